// How `latchkey lint` turns a place in a source file into a report finding. Ids shared with
// `latchkey audit` mean the same problem, seen in code instead of on the wire.
import { CATALOGUE, type FindingIdOf } from "../findings/catalogue.ts";
import type { Finding, Severity } from "../report/finding.ts";
import type { EnvironmentTag } from "./environment.ts";
import type { Position } from "./value.ts";

/** The ids lint can report; titles and standards are the catalogue's, shared with audit. */
export type RuleId = FindingIdOf<"lint">;

export interface FindingInput {
  id: RuleId;
  severity: Severity;
  file: string;
  at: Position;
  evidence: string;
  fix: string;
  cookie?: string;
  /** The catalogue's title fitted to the case (a remember-me cookie is not "the session cookie"). */
  title?: string;
  /** The environment the finding applies to, when the code itself says (a NODE_ENV branch). */
  environment?: EnvironmentTag;
}

/** Builds a report finding for a place in a source file. */
export function lintFinding(input: FindingInput): Finding {
  const entry = CATALOGUE[input.id];
  return {
    id: input.id,
    severity: input.severity,
    ...(input.environment !== undefined
      ? { environment: input.environment.environment, environmentReason: input.environment.reason }
      : {}),
    title: input.title ?? entry.title,
    ...(input.cookie !== undefined ? { cookie: input.cookie } : {}),
    evidence: input.evidence,
    standard: entry.standard,
    fix: input.fix,
    location: {
      file: input.file,
      line: input.at.line,
      column: input.at.column,
      ...(input.at.endLine !== undefined ? { endLine: input.at.endLine } : {}),
      ...(input.at.endColumn !== undefined ? { endColumn: input.at.endColumn } : {}),
    },
  };
}
