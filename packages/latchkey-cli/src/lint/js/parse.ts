// Parses JavaScript and TypeScript with @babel/parser (error-recovering, so one odd construct
// does not hide a whole file) and walks the tree without a traversal library.
import { parse } from "@babel/parser";
import type { File, Node } from "@babel/types";
import type { Comment } from "../suppress.ts";
import type { Position } from "../value.ts";

export interface ParsedScript {
  ast: File;
  comments: Comment[];
}

/** Parses a script; undefined when the file is not JavaScript/TypeScript we can read. */
export function parseScript(text: string, path: string): ParsedScript | undefined {
  const typescript = /\.[cm]?tsx?$/.test(path);
  const jsx = !/\.[cm]?ts$/.test(path);
  let ast: File;
  try {
    ast = parse(text, {
      sourceType: "unambiguous",
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      errorRecovery: true,
      plugins: [
        ...(typescript ? (["typescript"] as const) : []),
        ...(jsx ? (["jsx"] as const) : []),
        "decorators-legacy",
        "importAttributes",
      ],
    });
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const comments: Comment[] = (ast.comments ?? []).map((c) => {
    const line = c.loc?.start.line ?? 0;
    const before = (lines[line - 1] ?? "").slice(0, c.loc?.start.column ?? 0);
    return {
      text: c.type === "CommentLine" ? `//${c.value}` : `/*${c.value}*/`,
      line,
      endLine: c.loc?.end.line ?? line,
      standalone: before.trim() === "",
    };
  });
  return { ast, comments };
}

const SKIP_KEYS = new Set([
  "loc",
  "start",
  "end",
  "extra",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "comments",
  "tokens",
  "errors",
]);

/** Visits every node depth-first; `ancestors` is the path from the root (not including `node`). */
export function walk(root: Node, visit: (node: Node, ancestors: readonly Node[]) => void): void {
  const ancestors: Node[] = [];
  const step = (node: Node) => {
    visit(node, ancestors);
    ancestors.push(node);
    for (const key in node) {
      if (SKIP_KEYS.has(key)) continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (isNode(item)) step(item);
      } else if (isNode(child)) {
        step(child);
      }
    }
    ancestors.pop();
  };
  step(root);
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { type?: unknown }).type === "string"
  );
}

export function positionOf(node: Node): Position {
  const loc = node.loc;
  if (loc === null || loc === undefined) return { line: 1, column: 1 };
  return {
    line: loc.start.line,
    column: loc.start.column + 1,
    endLine: loc.end.line,
    endColumn: loc.end.column + 1,
  };
}
