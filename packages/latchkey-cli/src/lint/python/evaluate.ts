// Resolves Python expressions to lint values: literals, same-file constants, dicts,
// `timedelta(...)`, arithmetic (`60 * 60 * 24`), and environment reads in the forms real
// projects use (`os.environ[...]`, `os.environ.get`, `os.getenv`, django-environ's `env(...)`,
// python-decouple's `config(...)`), including their literal defaults.
import type { SyntaxNode } from "@lezer/common";
import { type Setting, UNKNOWN, type Value } from "../value.ts";
import {
  argumentsOf,
  children,
  dottedName,
  operands,
  type PythonFile,
  positionOf,
  stringValue,
  subscript,
  textOf,
} from "./parse.ts";

/** Names visible at a point: a class body sees its own names, then the module's. */
export class PyScope {
  readonly names = new Map<string, SyntaxNode | "ambiguous">();
  readonly #memo = new Map<string, Value>();
  readonly #resolving = new Set<string>();

  constructor(
    readonly file: PythonFile,
    readonly parent?: PyScope,
  ) {}

  define(name: string, value: SyntaxNode, conditional: boolean): void {
    if (conditional && this.names.has(name)) this.names.set(name, "ambiguous");
    else this.names.set(name, value);
  }

  lookup(name: string): Value | undefined {
    const node = this.names.get(name);
    if (node === undefined) return this.parent?.lookup(name);
    if (node === "ambiguous") return { kind: "depends", on: name };
    const cached = this.#memo.get(name);
    if (cached !== undefined) return cached;
    if (this.#resolving.has(name)) return UNKNOWN;
    this.#resolving.add(name);
    const value = evaluatePython(node, this);
    this.#resolving.delete(name);
    this.#memo.set(name, value);
    return value;
  }
}

// Unresolved names that carry the deployment environment (`not DEBUG`, `IS_PRODUCTION`).
const ENV_LIKE_NAME = /debug|prod|dev|env|testing|https|ssl|secure/i;
const ENV_VAR_NAME = /^[A-Z][A-Z0-9_]*$/;
const MAX_DEPTH = 12;

export function evaluatePython(node: SyntaxNode, scope: PyScope, depth = 0): Value {
  if (depth > MAX_DEPTH) return UNKNOWN;
  const file = scope.file;
  switch (node.name) {
    case "Boolean":
      return { kind: "bool", value: textOf(file, node) === "True" };
    case "None":
      return { kind: "null" };
    case "Number": {
      const value = Number(textOf(file, node).replaceAll("_", ""));
      return Number.isFinite(value) ? { kind: "number", value } : UNKNOWN;
    }
    case "String": {
      const value = stringValue(textOf(file, node));
      return value === undefined ? UNKNOWN : { kind: "string", value };
    }
    case "ContinuedString": {
      let joined = "";
      for (const part of children(node)) {
        const value = part.name === "String" ? stringValue(textOf(file, part)) : undefined;
        if (value === undefined) return UNKNOWN;
        joined += value;
      }
      return { kind: "string", value: joined };
    }
    case "FormatString":
      return children(node).some((c) =>
        environmental(evaluatePython(operands(c)[0] ?? c, scope, depth + 1)),
      )
        ? { kind: "depends", on: shorten(textOf(file, node)) }
        : UNKNOWN;
    case "ParenthesizedExpression": {
      const inner = operands(node)[0];
      return inner ? evaluatePython(inner, scope, depth + 1) : UNKNOWN;
    }
    case "VariableName": {
      const name = textOf(file, node);
      const value = scope.lookup(name);
      if (value !== undefined) return value;
      return ENV_LIKE_NAME.test(name) ? { kind: "depends", on: name } : UNKNOWN;
    }
    case "MemberExpression":
      return evaluateMember(node, scope, depth);
    case "ArrayExpression":
    case "TupleExpression":
      return {
        kind: "list",
        items: operands(node).map((c) => evaluatePython(c, scope, depth + 1)),
      };
    case "DictionaryExpression":
      return evaluateDict(node, scope, depth);
    case "UnaryExpression": {
      const [op, arg] = children(node);
      if (!op || !arg) return UNKNOWN;
      const value = evaluatePython(arg, scope, depth + 1);
      if (environmental(value)) return { kind: "depends", on: shorten(textOf(file, node)) };
      if (op.name === "not" && value.kind === "bool") return { kind: "bool", value: !value.value };
      if (textOf(file, op) === "-" && value.kind === "number")
        return { kind: "number", value: -value.value };
      return UNKNOWN;
    }
    case "BinaryExpression":
      return evaluateBinary(node, scope, depth);
    case "ConditionalExpression": {
      const parts = children(node);
      const test = parts[2];
      const value = test ? evaluatePython(test, scope, depth + 1) : UNKNOWN;
      return environmental(value) ? { kind: "depends", on: shorten(textOf(file, test!)) } : UNKNOWN;
    }
    case "CallExpression":
      return evaluateCall(node, scope, depth);
    default:
      return UNKNOWN;
  }
}

export function environmental(value: Value): boolean {
  return value.kind === "env" || value.kind === "depends";
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}

function evaluateMember(node: SyntaxNode, scope: PyScope, depth: number): Value {
  const file = scope.file;
  const sub = subscript(node);
  if (sub !== undefined) {
    const object = dottedName(file, sub.object)?.join(".");
    const key = evaluatePython(sub.key, scope, depth + 1);
    if (object === "os.environ" || object === "environ") {
      return { kind: "env", ...(key.kind === "string" ? { name: key.value } : {}) };
    }
    const container = evaluatePython(sub.object, scope, depth + 1);
    if (container.kind === "object" && key.kind === "string")
      return container.entries.get(key.value)?.value ?? UNKNOWN;
    return environmental(container)
      ? { kind: "depends", on: shorten(textOf(file, node)) }
      : UNKNOWN;
  }
  const path = dottedName(file, node);
  if (path === undefined) return UNKNOWN;
  const last = path.at(-1) ?? "";
  // settings.DEBUG, app.debug, config.TESTING …
  return ENV_LIKE_NAME.test(last) ? { kind: "depends", on: path.join(".") } : UNKNOWN;
}

function evaluateDict(node: SyntaxNode, scope: PyScope, depth: number): Value {
  const file = scope.file;
  const entries = new Map<string, Setting>();
  let open = false;
  const parts = children(node).filter((c) => c.name !== "{" && c.name !== "}" && c.name !== ",");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.name === "**") {
      const spread = parts[i + 1] ? evaluatePython(parts[i + 1]!, scope, depth + 1) : UNKNOWN;
      if (spread.kind === "object") for (const [k, v] of spread.entries) entries.set(k, v);
      else open = true;
      i++;
      continue;
    }
    if (parts[i + 1]?.name !== ":" || parts[i + 2] === undefined) continue;
    const key = evaluatePython(part, scope, depth + 1);
    const valueNode = parts[i + 2]!;
    if (key.kind === "string") {
      entries.set(key.value, {
        value: evaluatePython(valueNode, scope, depth + 1),
        at: positionOf(file, part),
      });
    } else {
      open = true;
    }
    i += 2;
  }
  return { kind: "object", entries, open };
}

function evaluateBinary(node: SyntaxNode, scope: PyScope, depth: number): Value {
  const file = scope.file;
  const [leftNode, opNode, rightNode] = children(node);
  if (!leftNode || !opNode || !rightNode) return UNKNOWN;
  const left = evaluatePython(leftNode, scope, depth + 1);
  const right = evaluatePython(rightNode, scope, depth + 1);
  const op = textOf(file, opNode);
  if (op === "or" && left.kind === "env") return { ...left, fallback: right };
  if (environmental(left) || environmental(right))
    return { kind: "depends", on: shorten(textOf(file, node)) };
  if (op === "+" && left.kind === "string" && right.kind === "string")
    return { kind: "string", value: left.value + right.value };
  const l =
    left.kind === "number" ? left.value : left.kind === "duration" ? left.seconds : undefined;
  const r =
    right.kind === "number" ? right.value : right.kind === "duration" ? right.seconds : undefined;
  if (l === undefined || r === undefined) return UNKNOWN;
  const result =
    op === "*"
      ? l * r
      : op === "+"
        ? l + r
        : op === "-"
          ? l - r
          : op === "/" || op === "//"
            ? r === 0
              ? undefined
              : l / r
            : undefined;
  if (result === undefined) return UNKNOWN;
  return left.kind === "duration" || right.kind === "duration"
    ? { kind: "duration", seconds: result }
    : { kind: "number", value: result };
}

const TIMEDELTA_POSITIONAL = [86400, 1, 1e-6, 0.001, 60, 3600, 604800];
const TIMEDELTA_KEYWORDS: Record<string, number> = {
  days: 86400,
  seconds: 1,
  microseconds: 1e-6,
  milliseconds: 0.001,
  minutes: 60,
  hours: 3600,
  weeks: 604800,
};

function evaluateCall(node: SyntaxNode, scope: PyScope, depth: number): Value {
  const file = scope.file;
  const [calleeNode, argList] = children(node);
  if (!calleeNode) return UNKNOWN;
  const callee = dottedName(file, calleeNode)?.join(".") ?? "";
  const last = callee.split(".").at(-1) ?? "";
  const args = argumentsOf(file, argList ?? null);
  const arg = (n: SyntaxNode | undefined) =>
    n === undefined ? undefined : evaluatePython(n, scope, depth + 1);

  if (last === "timedelta") {
    let seconds = 0;
    for (const [i, n] of args.positional.entries()) {
      const v = arg(n);
      if (v?.kind !== "number") return UNKNOWN;
      seconds += v.value * (TIMEDELTA_POSITIONAL[i] ?? 0);
    }
    for (const [name, { value }] of args.keyword) {
      const v = arg(value);
      const factor = TIMEDELTA_KEYWORDS[name];
      if (v?.kind !== "number" || factor === undefined) return UNKNOWN;
      seconds += v.value * factor;
    }
    return { kind: "duration", seconds };
  }
  if (callee === "dict") {
    const entries = new Map<string, Setting>();
    for (const [name, { name: nameNode, value }] of args.keyword) {
      entries.set(name, { value: arg(value)!, at: positionOf(file, nameNode) });
    }
    return { kind: "object", entries, open: args.open || args.positional.length > 0 };
  }
  const first = arg(args.positional[0]);
  const fallbackNode = args.keyword.get("default")?.value ?? args.positional[1];
  const isEnvCall =
    callee === "os.environ.get" ||
    callee === "environ.get" ||
    callee === "os.getenv" ||
    callee === "getenv" ||
    callee === "os.environ.setdefault" ||
    (first?.kind === "string" &&
      ENV_VAR_NAME.test(first.value) &&
      /env|config|secret|setting/i.test(callee));
  if (isEnvCall) {
    const name = first?.kind === "string" ? first.value : undefined;
    const fallback = arg(fallbackNode);
    return {
      kind: "env",
      ...(name !== undefined ? { name } : {}),
      ...(fallback !== undefined ? { fallback } : {}),
    };
  }
  if (["int", "float", "bool", "str", "bytes"].includes(callee) && first !== undefined) {
    if (environmental(first)) return { kind: "depends", on: shorten(textOf(file, node)) };
    if (callee === "bool" && first.kind === "number")
      return { kind: "bool", value: first.value !== 0 };
    if (callee === "int" && first.kind === "number") return first;
    if (callee === "str" && first.kind === "string") return first;
    return UNKNOWN;
  }
  const all = [...args.positional, ...[...args.keyword.values()].map((k) => k.value)];
  if (all.some((n) => environmental(arg(n)!)))
    return { kind: "depends", on: shorten(textOf(file, node)) };
  return UNKNOWN;
}
