// Python through @lezer/python: an error-tolerant parser, so a file with one syntax error still
// yields a tree for everything around it. Helpers here turn lezer's untyped nodes into the few
// shapes the settings reader needs.
import type { SyntaxNode, Tree } from "@lezer/common";
import { parser } from "@lezer/python";
import { LineIndex } from "../source.ts";
import type { Comment } from "../suppress.ts";
import type { Position } from "../value.ts";

export interface PythonFile {
  text: string;
  tree: Tree;
  lines: LineIndex;
  comments: Comment[];
}

export function parsePython(text: string): PythonFile {
  const tree = parser.parse(text);
  const lines = new LineIndex(text);
  const comments: Comment[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.name === "Comment") {
      const at = lines.position(cursor.from);
      const lineStart = cursor.from - (at.column - 1);
      comments.push({
        text: text.slice(cursor.from, cursor.to),
        line: at.line,
        endLine: at.line,
        standalone: text.slice(lineStart, cursor.from).trim() === "",
      });
    }
  } while (cursor.next());
  return { text, tree, lines, comments };
}

export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child);
  return out;
}

/** Children that are not punctuation or keywords. */
export function operands(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((c) => !PUNCTUATION.has(c.name));
}

const PUNCTUATION = new Set(["(", ")", "[", "]", "{", "}", ",", ":", ".", "At", "Comment"]);

export function textOf(file: PythonFile, node: SyntaxNode): string {
  return file.text.slice(node.from, node.to);
}

export function positionOf(file: PythonFile, node: SyntaxNode): Position {
  return file.lines.position(node.from, node.to);
}

/** `a.b.c` → ["a", "b", "c"]; undefined for anything but names and attribute access. */
export function dottedName(file: PythonFile, node: SyntaxNode): string[] | undefined {
  if (node.name === "VariableName") return [textOf(file, node)];
  if (node.name !== "MemberExpression") return undefined;
  const parts = children(node);
  const head = parts[0] && dottedName(file, parts[0]);
  const prop = parts.at(-1);
  if (head === undefined || prop?.name !== "PropertyName") return undefined;
  return [...head, textOf(file, prop)];
}

/** For `x[key]`: the object and the key node; undefined for attribute access. */
export function subscript(node: SyntaxNode): { object: SyntaxNode; key: SyntaxNode } | undefined {
  if (node.name !== "MemberExpression") return undefined;
  const parts = children(node);
  if (parts[1]?.name !== "[") return undefined;
  const object = parts[0];
  const key = parts[2];
  return object && key ? { object, key } : undefined;
}

export interface Arguments {
  positional: SyntaxNode[];
  keyword: Map<string, { name: SyntaxNode; value: SyntaxNode }>;
  /** `**kwargs` or `*args`: more may be passed than we can see. */
  open: boolean;
  /** The expressions after `**`, which a caller may be able to resolve to a dict. */
  spreads: SyntaxNode[];
}

export function argumentsOf(file: PythonFile, argList: SyntaxNode | null): Arguments {
  const result: Arguments = { positional: [], keyword: new Map(), open: false, spreads: [] };
  if (argList === null) return result;
  const parts = children(argList).filter((c) => c.name !== "(" && c.name !== ")");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.name === ",") continue;
    if (part.name === "*" || part.name === "**") {
      result.open = true;
      const spread = parts[i + 1];
      if (part.name === "**" && spread !== undefined) result.spreads.push(spread);
      i++;
      continue;
    }
    const next = parts[i + 1];
    if (part.name === "VariableName" && next?.name === "AssignOp") {
      const value = parts[i + 2];
      if (value) result.keyword.set(textOf(file, part), { name: part, value });
      i += 2;
      continue;
    }
    result.positional.push(part);
  }
  return result;
}

/** Decodes a Python string literal (prefixes, triple quotes, common escapes). */
export function stringValue(literal: string): string | undefined {
  const match = /^([rRbBuU]{0,2})('''|"""|'|")([\s\S]*)\2$/.exec(literal);
  if (match === null) return undefined;
  const raw = /r/i.test(match[1] ?? "");
  const body = match[3] ?? "";
  if (raw) return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\\'"nrt0]|\n)/g, (_, esc: string) => {
    if (esc.startsWith("x") || esc.startsWith("u"))
      return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
    return { n: "\n", r: "\r", t: "\t", "0": "\0", "\n": "" }[esc] ?? esc;
  });
}
