// Resolves JavaScript/TypeScript expressions to lint values: literals, same-file constants,
// object literals (with spreads and later `opts.cookie.secure = …` writes), environment reads
// (`process.env.X`, `app.get("env")`), and a little arithmetic (`24 * 60 * 60 * 1000`).
import type { Expression, Node } from "@babel/types";
import {
  isLiteral,
  parseDurationText,
  type Setting,
  truthiness,
  UNKNOWN,
  type Value,
} from "../value.ts";
import { positionOf } from "./parse.ts";
import { type MemberWrite, memberPath, type Scope, unwrap } from "./scope.ts";

// Names that, when we cannot resolve them, almost always carry the deployment environment.
const ENV_LIKE_NAME = /prod|dev|debug|https|ssl|secure|env|test/i;

const MAX_DEPTH = 12;

// Set while an expression is re-read as it runs in production (NODE_ENV=production): evaluation
// is synchronous, so one flag is enough.
let inProduction = false;

/**
 * Resolves an expression to a value. A value that depends on the environment also says, when it
 * can be read, what it is with NODE_ENV=production (`production`).
 */
export function evaluate(node: Node, scope: Scope, depth = 0): Value {
  const value = evaluateNode(node, scope, depth);
  if (value.kind !== "depends" || inProduction || value.production !== undefined) return value;
  inProduction = true;
  try {
    const production = evaluateNode(node, scope, depth);
    return isLiteral(production) ? { ...value, production } : value;
  } finally {
    inProduction = false;
  }
}

function evaluateNode(node: Node, scope: Scope, depth: number): Value {
  if (depth > MAX_DEPTH) return UNKNOWN;
  const n = unwrap(node);
  switch (n.type) {
    case "BooleanLiteral":
      return { kind: "bool", value: n.value };
    case "StringLiteral":
      return { kind: "string", value: n.value };
    case "NumericLiteral":
      return { kind: "number", value: n.value };
    case "NullLiteral":
      return { kind: "null" };
    case "TemplateLiteral":
      if (n.expressions.length === 0)
        return { kind: "string", value: n.quasis.map((q) => q.value.cooked ?? "").join("") };
      return anyEnvironmental(n.expressions, scope, depth)
        ? { kind: "depends", on: scope.sourceOf(n) }
        : UNKNOWN;
    case "Identifier":
      return evaluateIdentifier(n.name, scope, depth);
    case "MemberExpression":
    case "OptionalMemberExpression":
      return evaluateMember(n, scope, depth);
    case "ObjectExpression":
      return evaluateObject(n, scope, depth);
    case "ArrayExpression":
      return {
        kind: "list",
        items: n.elements.map((e) =>
          e === null || e.type === "SpreadElement" ? UNKNOWN : evaluate(e, scope, depth + 1),
        ),
      };
    case "UnaryExpression": {
      const inner = evaluate(n.argument, scope, depth + 1);
      if (n.operator === "void") return { kind: "null" };
      if (inner.kind === "env" || inner.kind === "depends")
        return { kind: "depends", on: scope.sourceOf(n) };
      if (n.operator === "!") {
        if (inner.kind === "bool") return { kind: "bool", value: !inner.value };
        if (inner.kind === "number") return { kind: "bool", value: inner.value === 0 };
      }
      if (n.operator === "-" && inner.kind === "number")
        return { kind: "number", value: -inner.value };
      return UNKNOWN;
    }
    case "BinaryExpression":
      return evaluateBinary(n.operator, n.left, n.right, n, scope, depth);
    case "LogicalExpression": {
      const left = evaluate(n.left, scope, depth + 1);
      const right = evaluate(n.right, scope, depth + 1);
      if (n.operator !== "&&" && left.kind === "env") return { ...left, fallback: right };
      const truthy = inProduction ? truthiness(left) : undefined;
      if (truthy !== undefined) {
        if (n.operator === "&&") return truthy ? right : left;
        if (n.operator === "||") return truthy ? left : right;
        return left.kind === "null" ? right : left;
      }
      if (
        left.kind === "env" ||
        left.kind === "depends" ||
        right.kind === "env" ||
        right.kind === "depends"
      ) {
        return { kind: "depends", on: scope.sourceOf(n) };
      }
      return UNKNOWN;
    }
    case "ConditionalExpression": {
      const test = evaluate(n.test, scope, depth + 1);
      const chosen = inProduction ? truthiness(test) : undefined;
      if (chosen !== undefined)
        return evaluate(chosen ? n.consequent : n.alternate, scope, depth + 1);
      if (test.kind === "env" || test.kind === "depends")
        return { kind: "depends", on: scope.sourceOf(n.test) };
      return UNKNOWN;
    }
    case "CallExpression":
      return evaluateCall(n, scope, depth);
    default:
      return UNKNOWN;
  }
}

function anyEnvironmental(nodes: readonly Node[], scope: Scope, depth: number): boolean {
  return nodes.some((e) => {
    const v = evaluate(e, scope, depth + 1);
    return v.kind === "env" || v.kind === "depends";
  });
}

function evaluateIdentifier(name: string, scope: Scope, depth: number): Value {
  if (name === "undefined") return { kind: "null" };
  const binding = scope.bindings.get(name);
  if (binding === undefined && scope.imports.has(name)) return scope.importedValue(name);
  if (binding === undefined || binding === "ambiguous") {
    return ENV_LIKE_NAME.test(name) && !scope.imports.has(name)
      ? { kind: "depends", on: name }
      : UNKNOWN;
  }
  const base = "value" in binding ? binding.value : evaluate(binding.node, scope, depth + 1);
  const writes = scope.writes.get(name);
  if (base.kind !== "object" || writes === undefined) return base;
  return applyWrites(base, writes, scope, depth);
}

function applyWrites(
  base: Extract<Value, { kind: "object" }>,
  writes: MemberWrite[],
  scope: Scope,
  depth: number,
): Value {
  const root = cloneObject(base);
  for (const write of writes) {
    let target = root;
    for (const key of write.path.slice(0, -1)) {
      const existing = target.entries.get(key);
      let next: Extract<Value, { kind: "object" }>;
      if (existing?.value.kind === "object") next = cloneObject(existing.value);
      else next = { kind: "object", entries: new Map(), open: false };
      target.entries.set(key, { value: next, at: existing?.at ?? positionOf(write.at) });
      target = next;
    }
    const last = write.path.at(-1)!;
    const written = evaluate(write.value, scope, depth + 1);
    if (write.condition === undefined || write.test === undefined) {
      target.entries.set(last, {
        value: write.condition === undefined ? written : { kind: "depends", on: write.condition },
        at: positionOf(write.at),
      });
      continue;
    }
    // `if (app.get("env") === "production") sess.cookie.secure = true`: the write happens in
    // production when its test is true there (or false, for a write in the else branch).
    const previous = target.entries.get(last);
    const wasProduction = inProduction;
    inProduction = true;
    let runs: boolean | undefined;
    let productionValue: Value;
    try {
      const test = truthiness(evaluateNode(write.test, scope, depth + 1));
      runs = test === undefined ? undefined : test === write.branch;
      productionValue = runs
        ? evaluateNode(write.value, scope, depth + 1)
        : (previous?.value ?? UNKNOWN);
    } finally {
      inProduction = wasProduction;
    }
    if (inProduction) {
      if (runs === true)
        target.entries.set(last, { value: productionValue, at: positionOf(write.at) });
      else if (runs === undefined)
        target.entries.set(last, { value: UNKNOWN, at: positionOf(write.at) });
      continue;
    }
    const value: Value = {
      kind: "depends",
      on: write.condition,
      ...(runs !== undefined && isLiteral(productionValue) ? { production: productionValue } : {}),
      ...(runs === false && previous === undefined ? { unsetInProduction: true } : {}),
    };
    target.entries.set(last, { value, at: positionOf(write.at) });
  }
  return root;
}

function cloneObject(
  value: Extract<Value, { kind: "object" }>,
): Extract<Value, { kind: "object" }> {
  return { kind: "object", entries: new Map(value.entries), open: value.open };
}

function evaluateMember(n: Node, scope: Scope, depth: number): Value {
  const path = memberPath(n);
  if (path === undefined) return UNKNOWN;
  if (path[0] === "process" && path[1] === "env" && path.length === 3)
    return inProduction && path[2] === "NODE_ENV"
      ? { kind: "string", value: "production" }
      : { kind: "env", name: path[2]! };
  if (path[0] === "import" || (path[0] === "process" && path[1] === "env")) return { kind: "env" };
  // Follow a same-file constant object: `config.session.secret`.
  const root = evaluateIdentifier(path[0]!, scope, depth + 1);
  if (root.kind === "object") {
    let current: Value = root;
    for (const key of path.slice(1)) {
      if (current.kind !== "object") return UNKNOWN;
      const entry: Setting | undefined = current.entries.get(key);
      if (entry === undefined) return UNKNOWN;
      current = entry.value;
    }
    return current;
  }
  if (root.kind === "env" || root.kind === "depends")
    return { kind: "depends", on: path.join(".") };
  const last = path.at(-1)!;
  return ENV_LIKE_NAME.test(last) ? { kind: "depends", on: path.join(".") } : UNKNOWN;
}

function evaluateObject(
  n: Extract<Node, { type: "ObjectExpression" }>,
  scope: Scope,
  depth: number,
): Value {
  const entries = new Map<string, Setting>();
  let open = false;
  for (const prop of n.properties) {
    if (prop.type === "SpreadElement") {
      const spread = evaluate(prop.argument, scope, depth + 1);
      if (spread.kind === "object") {
        for (const [k, v] of spread.entries) entries.set(k, v);
        open ||= spread.open;
      } else {
        open = true;
      }
      continue;
    }
    const key = propertyKey(prop);
    if (key === undefined) {
      open = true;
      continue;
    }
    const valueNode = prop.type === "ObjectProperty" ? prop.value : undefined;
    const value = valueNode === undefined ? UNKNOWN : evaluate(valueNode, scope, depth + 1);
    // `secret: config.session.secret` is reported where config.js writes it.
    const origin = valueNode === undefined ? undefined : writtenElsewhere(valueNode, scope, depth);
    entries.set(key, origin ?? { value, at: positionOf(prop) });
  }
  return { kind: "object", entries, open };
}

/** The setting a member path or `config.get("a.b")` reads, when another module wrote it. */
function writtenElsewhere(node: Node, scope: Scope, depth: number): Setting | undefined {
  const n = unwrap(node);
  let path: string[] | undefined;
  if (n.type === "CallExpression") {
    const callee = memberPath(n.callee);
    const first = n.arguments[0];
    if (callee?.length === 2 && callee[1] === "get" && first?.type === "StringLiteral")
      path = [callee[0]!, ...first.value.split(".")];
  } else if (n.type === "MemberExpression") path = memberPath(n);
  else if (n.type === "Identifier" && scope.imports.has(n.name) && !scope.bindings.has(n.name)) {
    // `secret: sessionSecret` imported from another module: reported where that module writes it.
    const origin = scope.importedOrigin(scope.imports.get(n.name)!);
    const value = origin && evaluate(n, scope, depth + 1);
    return origin && value ? { value, at: origin.at, file: origin.file } : undefined;
  }
  if (path === undefined || path.length < 2 || !scope.imports.has(path[0]!)) return undefined;
  let current: Value = evaluateIdentifier(path[0]!, scope, depth + 1);
  let setting: Setting | undefined;
  for (const key of path.slice(1)) {
    if (current.kind !== "object") return undefined;
    setting = current.entries.get(key);
    if (setting === undefined) return undefined;
    current = setting.value;
  }
  // JSON values carry no line of their own: those stay reported where they are used.
  return setting?.file !== undefined && !setting.file.endsWith(".json") ? setting : undefined;
}

function propertyKey(prop: Node): string | undefined {
  if (prop.type !== "ObjectProperty" && prop.type !== "ObjectMethod") return undefined;
  if (prop.computed) return prop.key.type === "StringLiteral" ? prop.key.value : undefined;
  if (prop.key.type === "Identifier") return prop.key.name;
  if (prop.key.type === "StringLiteral") return prop.key.value;
  return undefined;
}

function evaluateBinary(
  op: string,
  leftNode: Node,
  rightNode: Node,
  whole: Node,
  scope: Scope,
  depth: number,
): Value {
  const left = evaluate(leftNode, scope, depth + 1);
  const right = evaluate(rightNode, scope, depth + 1);
  if (
    left.kind === "env" ||
    left.kind === "depends" ||
    right.kind === "env" ||
    right.kind === "depends"
  ) {
    return { kind: "depends", on: scope.sourceOf(whole) };
  }
  const equal = sameLiteral(left, right);
  if (equal !== undefined && (op === "===" || op === "==")) return { kind: "bool", value: equal };
  if (equal !== undefined && (op === "!==" || op === "!=")) return { kind: "bool", value: !equal };
  const l = numeric(left);
  const r = numeric(right);
  if (op === "+" && left.kind === "string" && right.kind === "string")
    return { kind: "string", value: left.value + right.value };
  if (l === undefined || r === undefined) return UNKNOWN;
  const scale = left.kind === "duration" || right.kind === "duration";
  const result =
    op === "*"
      ? l * r
      : op === "+"
        ? l + r
        : op === "-"
          ? l - r
          : op === "/" && r !== 0
            ? l / r
            : undefined;
  if (result === undefined) return UNKNOWN;
  // ms("1d") * 7 stays a duration; plain numbers stay numbers.
  return scale ? { kind: "duration", seconds: result } : { kind: "number", value: result };
}

/** Whether two literals are equal; undefined unless both are strings, numbers or booleans. */
function sameLiteral(a: Value, b: Value): boolean | undefined {
  if (a.kind === "string" && b.kind === "string") return a.value === b.value;
  if (a.kind === "number" && b.kind === "number") return a.value === b.value;
  if (a.kind === "bool" && b.kind === "bool") return a.value === b.value;
  return undefined;
}

function numeric(value: Value): number | undefined {
  if (value.kind === "number") return value.value;
  if (value.kind === "duration") return value.seconds;
  return undefined;
}

function evaluateCall(
  n: Extract<Node, { type: "CallExpression" }>,
  scope: Scope,
  depth: number,
): Value {
  const callee = memberPath(n.callee);
  const args = n.arguments.filter(
    (a): a is Expression => a.type !== "SpreadElement" && a.type !== "ArgumentPlaceholder",
  );
  const first = args[0];
  // Express: app.get("env") is NODE_ENV.
  if (
    callee !== undefined &&
    callee.at(-1) === "get" &&
    first?.type === "StringLiteral" &&
    first.value === "env"
  ) {
    return inProduction
      ? { kind: "string", value: "production" }
      : { kind: "env", name: "NODE_ENV" };
  }
  // node-config: `config.get("session.cookie")` reads a dotted path of the merged configuration.
  if (callee?.length === 2 && callee[1] === "get" && first?.type === "StringLiteral") {
    let current: Value = evaluateIdentifier(callee[0]!, scope, depth + 1);
    for (const key of first.value.split(".")) {
      if (current.kind !== "object") return UNKNOWN;
      current = current.entries.get(key)?.value ?? UNKNOWN;
    }
    if (current.kind !== "unknown") return current;
  }
  if (callee?.length === 1) {
    const name = callee[0]!;
    const imported = scope.imports.get(name);
    if (imported?.source === "ms" && first !== undefined) {
      const arg = evaluate(first, scope, depth + 1);
      if (arg.kind === "string") {
        const seconds = parseDurationText(arg.value);
        if (seconds !== undefined) return { kind: "duration", seconds };
      }
    }
    if (
      ["Number", "parseInt", "parseFloat", "Boolean", "String", "JSON.parse"].includes(name) &&
      first !== undefined
    ) {
      const arg = evaluate(first, scope, depth + 1);
      if (arg.kind === "env" || arg.kind === "depends")
        return { kind: "depends", on: scope.sourceOf(n) };
    }
  }
  if (anyEnvironmental(args, scope, depth)) return { kind: "depends", on: scope.sourceOf(n) };
  return UNKNOWN;
}
