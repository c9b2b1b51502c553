// What one JavaScript/TypeScript file binds: imports and `require`s, same-file constants, and
// later writes into option objects (`sess.cookie.secure = true`, with the condition guarding
// them). Collected in one pass over the tree, then read by the evaluator.
import type { File, Node } from "@babel/types";
import { type Position, UNKNOWN, type Value } from "../value.ts";
import { walk } from "./parse.ts";

export type Binding = { node: Node } | { value: Value } | "ambiguous";

export interface MemberWrite {
  path: string[];
  value: Node;
  /** The condition guarding the write, as source text, when it sits inside an `if`/`?:`. */
  condition: string | undefined;
  /** The test of the `if`/`?:` guarding the write, and which branch the write is in. */
  test?: Node;
  branch?: boolean;
  at: Node;
}

/** Where a value is written: a file shown in findings and a position in it. */
export interface Origin {
  file: string;
  at: Position;
}

/** Sees through imports of the project's own modules (see ./imports.ts). */
export type Importer = ((binding: ImportBinding) => Value) & {
  origin?: (binding: ImportBinding) => Origin | undefined;
};

export interface ImportBinding {
  source: string;
  /** "default", "*" or the exported name. */
  imported: string;
}

export class Scope {
  readonly bindings = new Map<string, Binding>();
  readonly writes = new Map<string, MemberWrite[]>();
  readonly imports = new Map<string, ImportBinding>();
  /** What the file exports: "default" (`export default`, `module.exports =`) or a name. */
  readonly exports = new Map<string, Node>();
  /** Names exported from another module: `export { a } from "./x"`, `export { b as c }`. */
  readonly reexports = new Map<string, ImportBinding>();
  readonly #text: string;
  readonly #importer: Importer | undefined;

  /** `importer` sees through imports of the project's own modules (see ./imports.ts). */
  constructor(ast: File, text: string, importer?: Importer) {
    this.#text = text;
    this.#importer = importer;
    walk(ast, (node, ancestors) => this.#collect(node, ancestors));
  }

  /** The value an imported name has in the module it comes from, when that can be read. */
  importedValue(name: string): Value {
    const binding = this.imports.get(name);
    return binding ? this.importedValueOf(binding) : UNKNOWN;
  }

  /** Where the module `binding` comes from writes it, when that can be read. */
  importedOrigin(binding: ImportBinding): Origin | undefined {
    return this.#importer?.origin?.(binding);
  }

  /** The value `binding` names in the module it comes from, when that can be read. */
  importedValueOf(binding: ImportBinding): Value {
    return this.#importer ? this.#importer(binding) : UNKNOWN;
  }

  sourceOf(node: Node): string {
    const text = this.#text.slice(node.start ?? 0, node.end ?? 0).replace(/\s+/g, " ");
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  }

  #bind(name: string, binding: Binding) {
    this.bindings.set(name, this.bindings.has(name) ? "ambiguous" : binding);
  }

  #collect(node: Node, ancestors: readonly Node[]) {
    // TypeScript's CommonJS form: `import session = require("express-session")`.
    if (
      node.type === "TSImportEqualsDeclaration" &&
      node.moduleReference.type === "TSExternalModuleReference"
    ) {
      this.imports.set(node.id.name, {
        source: node.moduleReference.expression.value,
        imported: "default",
      });
      return;
    }
    if (node.type === "ImportDeclaration") {
      for (const spec of node.specifiers) {
        const imported =
          spec.type === "ImportDefaultSpecifier"
            ? "default"
            : spec.type === "ImportNamespaceSpecifier"
              ? "*"
              : spec.imported.type === "Identifier"
                ? spec.imported.name
                : spec.imported.value;
        this.imports.set(spec.local.name, { source: node.source.value, imported });
      }
      return;
    }
    if (node.type === "ExportDefaultDeclaration") {
      this.exports.set("default", node.declaration);
      return;
    }
    if (node.type === "ExportNamedDeclaration" && node.source) {
      for (const spec of node.specifiers) {
        if (spec.type !== "ExportSpecifier") continue;
        const exported =
          spec.exported.type === "Identifier" ? spec.exported.name : spec.exported.value;
        this.reexports.set(exported, { source: node.source.value, imported: spec.local.name });
      }
      return;
    }
    if (node.type === "ExportNamedDeclaration" && !node.source) {
      // `export { sessionCookie }` of a local or imported name.
      for (const spec of node.specifiers) {
        if (spec.type !== "ExportSpecifier") continue;
        const exported =
          spec.exported.type === "Identifier" ? spec.exported.name : spec.exported.value;
        if (exported !== spec.local.name) continue;
        const imported = this.imports.get(spec.local.name);
        if (imported !== undefined) this.reexports.set(exported, imported);
        else this.exports.set(exported, spec.local);
      }
    }
    if (
      node.type === "ExportNamedDeclaration" &&
      node.declaration?.type === "VariableDeclaration"
    ) {
      for (const d of node.declaration.declarations)
        if (d.id.type === "Identifier" && d.init) this.exports.set(d.id.name, d.init);
    }
    if (node.type === "VariableDeclarator") {
      const required = node.init ? requiredModule(node.init) : undefined;
      if (node.id.type === "Identifier") {
        if (required !== undefined) this.imports.set(node.id.name, required);
        else if (node.init) this.#bind(node.id.name, { node: node.init });
      } else if (node.id.type === "ObjectPattern") {
        const fromEnv = node.init !== null && node.init !== undefined && isProcessEnv(node.init);
        for (const prop of node.id.properties) {
          if (prop.type !== "ObjectProperty" || prop.key.type !== "Identifier") continue;
          const local = prop.value.type === "Identifier" ? prop.value.name : undefined;
          if (local === undefined) continue;
          if (required !== undefined)
            this.imports.set(local, { source: required.source, imported: prop.key.name });
          else if (fromEnv) this.#bind(local, { value: { kind: "env", name: prop.key.name } });
        }
      }
      return;
    }
    if (
      node.type === "AssignmentExpression" &&
      node.operator === "=" &&
      node.left.type === "MemberExpression"
    ) {
      const chain = memberPath(node.left);
      if (chain === undefined || chain.length < 2) return;
      const exported = commonJsExport(chain);
      if (exported !== undefined && ancestors.length <= 3) this.exports.set(exported, node.right);
      const [root, ...path] = chain;
      const list = this.writes.get(root!) ?? [];
      list.push({
        path,
        value: node.right,
        condition: this.#conditionOf(ancestors),
        ...this.#guardOf(ancestors, node),
        at: node,
      });
      this.writes.set(root!, list);
    }
  }

  // The nearest `if` or `?:` around a write, and whether the write is in its first branch.
  #guardOf(
    ancestors: readonly Node[],
    node: Node,
  ): { test: Node; branch: boolean } | Record<string, never> {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      if (a.type === "IfStatement" || a.type === "ConditionalExpression") {
        const inside = ancestors[i + 1] ?? node;
        if (inside === a.test) return {};
        return { test: a.test, branch: inside === a.consequent };
      }
      if (a.type === "SwitchStatement" || a.type === "LogicalExpression") return {};
    }
    return {};
  }

  #conditionOf(ancestors: readonly Node[]): string | undefined {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      if (a.type === "IfStatement" || a.type === "ConditionalExpression")
        return this.sourceOf(a.test);
      if (a.type === "SwitchStatement") return this.sourceOf(a.discriminant);
      if (a.type === "LogicalExpression") return this.sourceOf(a.left);
    }
    return undefined;
  }
}

/** `module.exports = …` → "default"; `module.exports.x = …`, `exports.x = …` → "x". */
function commonJsExport(chain: readonly string[]): string | undefined {
  if (chain[0] === "module" && chain[1] === "exports")
    return chain.length === 2 ? "default" : chain.length === 3 ? chain[2] : undefined;
  return chain[0] === "exports" && chain.length === 2 ? chain[1] : undefined;
}

function requiredModule(init: Node): ImportBinding | undefined {
  let node = init;
  let imported = "default";
  if (node.type === "MemberExpression" && node.property.type === "Identifier") {
    imported = node.property.name === "default" ? "default" : node.property.name;
    node = node.object;
  }
  if (node.type === "AwaitExpression") node = node.argument;
  if (
    node.type === "CallExpression" &&
    ((node.callee.type === "Identifier" && node.callee.name === "require") ||
      node.callee.type === "Import") &&
    node.arguments[0]?.type === "StringLiteral"
  ) {
    return { source: node.arguments[0].value, imported };
  }
  return undefined;
}

/** `a.b["c"].d` → ["a", "b", "c", "d"]; undefined for computed or non-identifier roots. */
export function memberPath(node: Node): string[] | undefined {
  if (node.type === "Identifier") return [node.name];
  if (node.type === "ThisExpression") return ["this"];
  if (node.type !== "MemberExpression" && node.type !== "OptionalMemberExpression")
    return undefined;
  const head = memberPath(node.object);
  if (head === undefined) return undefined;
  const prop = node.property;
  if (!node.computed && prop.type === "Identifier") return [...head, prop.name];
  if (prop.type === "StringLiteral") return [...head, prop.value];
  return undefined;
}

function isProcessEnv(node: Node): boolean {
  const path = memberPath(unwrap(node));
  return path !== undefined && path.length === 2 && path[0] === "process" && path[1] === "env";
}

/** Strips TypeScript assertions and parentheses: `(x as T)!` → `x`. */
export function unwrap(node: Node): Node {
  let current = node;
  while (
    current.type === "TSAsExpression" ||
    current.type === "TSSatisfiesExpression" ||
    current.type === "TSNonNullExpression" ||
    current.type === "TSTypeAssertion" ||
    current.type === "ParenthesizedExpression" ||
    current.type === "TypeCastExpression"
  ) {
    current = current.expression;
  }
  return current;
}
