// Suppression comments: `# latchkey: ignore cookie-missing-secure` or
// `// latchkey: ignore cookie-missing-secure, session-store-memory`. A directive must name the
// rules it silences (a bare `latchkey: ignore` silences nothing), and applies to its own line
// and, when the comment stands alone on its line, to the line below.
import type { Finding } from "../report/finding.ts";

export interface Comment {
  /** The comment's text including its marker (`#`, `//`, `/*`). */
  text: string;
  line: number;
  /** True when only whitespace precedes the comment on its line. */
  standalone: boolean;
  /** The last line of the comment (block comments span several). */
  endLine: number;
}

const DIRECTIVE = /latchkey:\s*ignore\b([^\n*]*)/g;
const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Line number → rule ids silenced on that line. */
export type Suppressions = Map<number, Set<string>>;

export function collectSuppressions(comments: readonly Comment[]): Suppressions {
  const result: Suppressions = new Map();
  const add = (line: number, id: string) => {
    const ids = result.get(line) ?? new Set<string>();
    ids.add(id);
    result.set(line, ids);
  };
  for (const comment of comments) {
    for (const match of comment.text.matchAll(DIRECTIVE)) {
      const ids = (match[1] ?? "").split(/[\s,]+/).filter((word) => RULE_ID.test(word));
      for (const id of ids) {
        add(comment.line, id);
        if (comment.standalone) add(comment.endLine + 1, id);
      }
    }
  }
  return result;
}

export function isSuppressed(finding: Finding, suppressions: Suppressions | undefined): boolean {
  const line = finding.location?.line;
  if (line === undefined || suppressions === undefined) return false;
  return suppressions.get(line)?.has(finding.id) ?? false;
}
