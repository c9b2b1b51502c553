// Reads one Python file into the configuration it writes: module-level settings (Django
// settings, Flask config modules) in order with their star imports, config classes, and Flask
// app config writes (`app.config[...] = …`, `.update(...)`, `.from_mapping(...)`,
// `app.secret_key = …`).
import type { SyntaxNode } from "@lezer/common";
import type { Position, Setting, Value } from "../value.ts";
import { evaluatePython, PyScope } from "./evaluate.ts";
import {
  argumentsOf,
  children,
  dottedName,
  operands,
  type PythonFile,
  parsePython,
  positionOf,
  subscript,
  textOf,
} from "./parse.ts";

export type ModuleStatement =
  | { kind: "set"; key: string; setting: Setting }
  /** `from .base import *` — `module` keeps its leading dots. */
  | { kind: "star"; module: string; optional: boolean }
  /** `MIDDLEWARE.remove(x)`, `MIDDLEWARE += [...]`, `.append`, `.insert`. */
  | { kind: "mutate"; key: string; op: "remove" | "add"; items: Value[]; at: Position };

export interface ConfigClass {
  name: string;
  bases: string[];
  at: Position;
  settings: Map<string, Setting>;
}

export interface AppConfig {
  settings: Map<string, Setting>;
  /** `Flask(__name__)` calls. */
  apps: Position[];
  /** Config also comes from somewhere we do not read (`from_object`, `from_pyfile`, …). */
  loadsExternal: boolean;
  /** `session.permanent = True` somewhere in the file: PERMANENT_SESSION_LIFETIME applies. */
  permanentSessions: boolean;
  /** `config.from_object(...)`, `from_pyfile(...)`, … in source order. */
  loaders: ConfigLoader[];
  /**
   * `login_user(user, remember=…)` with anything but a literal False: Flask-Login then sets its
   * remember-me cookie, which has its own flags and a one-year default lifetime.
   */
  remembersLogins: boolean;
}

export interface PyModule {
  file: string;
  py: PythonFile;
  scope: PyScope;
  statements: ModuleStatement[];
  classes: ConfigClass[];
  app: AppConfig;
  /** Top-level packages imported: "flask", "flask_login", "django", … */
  imports: Set<string>;
  /** Every import, to follow configuration and the app's own modules across files. */
  importSources: ImportSource[];
}

/**
 * `from .config import Config as C` is `{ module: ".config", names: Map { "C" => "Config" } }`;
 * `import app.settings as s` is `{ module: "app.settings", names: Map { "s" => "" } }`.
 */
export interface ImportSource {
  module: string;
  names: Map<string, string>;
}

/** Where `app.config.from_object(...)` / `from_pyfile(...)` says the configuration is. */
export type ConfigLoader =
  /** `from_object("pkg.settings")` or `from_object("pkg.config.ProdConfig")`. */
  | { kind: "import-path"; path: string; at: Position }
  /** `from_object(Config)`, `from_object(config.ProdConfig)`: a name in the loading module. */
  | { kind: "name"; path: string[]; at: Position }
  /** `from_pyfile("settings.py")`, relative to the loading module. */
  | { kind: "file"; name: string; at: Position }
  /** From the environment or a computed value (`from_envvar`, `config[name]`): not followed. */
  | { kind: "opaque"; at: Position };

const SETTING_NAME = /^[A-Z][A-Z0-9_]*$/;
const EXTERNAL_LOADERS = new Set([
  "from_object",
  "from_pyfile",
  "from_envvar",
  "from_prefixed_env",
  "from_file",
  "from_json",
]);

export function readModule(text: string, file: string): PyModule {
  const py = parsePython(text);
  const scope = new PyScope(py);
  const module: PyModule = {
    file,
    py,
    scope,
    statements: [],
    classes: [],
    app: {
      settings: new Map(),
      apps: [],
      loadsExternal: false,
      permanentSessions: false,
      loaders: [],
      remembersLogins: false,
    },
    imports: new Set(),
    importSources: [],
  };
  readBlock(module, py.tree.topNode, scope, undefined, false);
  readAppConfig(module);
  return module;
}

function readBlock(
  module: PyModule,
  block: SyntaxNode,
  scope: PyScope,
  condition: string | undefined,
  optional: boolean,
): void {
  for (const stmt of children(block)) {
    switch (stmt.name) {
      case "AssignStatement":
        readAssignment(module, stmt, scope, condition);
        break;
      case "UpdateStatement":
        readUpdate(module, stmt, scope);
        break;
      case "ExpressionStatement":
        readMutation(module, stmt, scope);
        break;
      case "ImportStatement":
        readImport(module, stmt, optional || condition !== undefined);
        break;
      case "IfStatement": {
        const test = children(stmt)[1];
        const text = test ? `if ${textOf(module.py, test)}` : "a condition";
        for (const body of stmt.getChildren("Body")) readBlock(module, body, scope, text, optional);
        break;
      }
      case "TryStatement": {
        const bodies = stmt.getChildren("Body");
        bodies.forEach((body, i) => {
          readBlock(
            module,
            body,
            scope,
            i === 0 ? condition : (condition ?? "an except branch"),
            true,
          );
        });
        break;
      }
      case "ClassDefinition":
        if (scope.parent === undefined) readClass(module, stmt);
        break;
      case "DecoratedStatement": {
        const inner = children(stmt).at(-1);
        if (inner?.name === "ClassDefinition" && scope.parent === undefined)
          readClass(module, inner);
        break;
      }
      default:
        break;
    }
  }
}

function readAssignment(
  module: PyModule,
  stmt: SyntaxNode,
  scope: PyScope,
  condition: string | undefined,
): void {
  const parts = children(stmt);
  const valueNode = parts.at(-1);
  if (!valueNode || parts.length < 3) return;
  for (let i = 0; i < parts.length - 1; i++) {
    const target = parts[i]!;
    if (target.name !== "VariableName") continue;
    const name = textOf(module.py, target);
    scope.define(name, valueNode, condition !== undefined);
    if (scope.parent === undefined && SETTING_NAME.test(name)) {
      module.statements.push({
        kind: "set",
        key: name,
        setting: settingAt(module, target, valueNode, scope, condition),
      });
    }
  }
}

export function settingAt(
  module: PyModule,
  keyNode: SyntaxNode,
  valueNode: SyntaxNode,
  scope: PyScope,
  condition: string | undefined,
): Setting {
  const value: Value =
    condition === undefined ? evaluatePython(valueNode, scope) : { kind: "depends", on: condition };
  const ref =
    condition === undefined &&
    (valueNode.name === "VariableName" || valueNode.name === "MemberExpression")
      ? dottedName(module.py, valueNode)
      : undefined;
  return { value, at: positionOf(module.py, keyNode), file: module.file, ...(ref ? { ref } : {}) };
}

function readUpdate(module: PyModule, stmt: SyntaxNode, scope: PyScope): void {
  const [target, op, value] = children(stmt);
  if (target?.name !== "VariableName" || !op || !value || textOf(module.py, op) !== "+=") return;
  const list = evaluatePython(value, scope);
  const items = list.kind === "list" ? list.items : [];
  module.statements.push({
    kind: "mutate",
    key: textOf(module.py, target),
    op: "add",
    items,
    at: positionOf(module.py, stmt),
  });
}

function readMutation(module: PyModule, stmt: SyntaxNode, scope: PyScope): void {
  const call = children(stmt)[0];
  if (call?.name !== "CallExpression") return;
  const [callee, argList] = children(call);
  const path = callee ? dottedName(module.py, callee) : undefined;
  if (path?.length !== 2 || !SETTING_NAME.test(path[0]!)) return;
  const method = path[1]!;
  const args = argumentsOf(module.py, argList ?? null).positional.map((n) =>
    evaluatePython(n, scope),
  );
  const at = positionOf(module.py, stmt);
  if (method === "remove")
    module.statements.push({ kind: "mutate", key: path[0]!, op: "remove", items: args, at });
  else if (method === "append" || method === "insert") {
    module.statements.push({ kind: "mutate", key: path[0]!, op: "add", items: args.slice(-1), at });
  }
}

function readImport(module: PyModule, stmt: SyntaxNode, optional: boolean): void {
  const parts = children(stmt);
  if (parts[0]?.name === "from") {
    let source = "";
    for (const part of parts.slice(1)) {
      if (part.name === "import") break;
      source += textOf(module.py, part);
    }
    const root = source.replace(/^\.+/, "").split(".")[0];
    if (root) module.imports.add(root);
    if (parts.at(-1)?.name === "*")
      module.statements.push({ kind: "star", module: source, optional });
    const start = parts.findIndex((p) => p.name === "import") + 1;
    module.importSources.push({ module: source, names: importedNames(module, parts.slice(start)) });
    return;
  }
  for (const part of parts)
    if (part.name === "VariableName") module.imports.add(textOf(module.py, part));
  for (const [local, dotted] of importedNames(module, parts.slice(1)))
    module.importSources.push({ module: dotted, names: new Map([[local, ""]]) });
}

/** `a.b as c, d` → Map { "c" => "a.b", "d" => "d" }; for `import a.b` the local name is `a.b`. */
function importedNames(module: PyModule, parts: readonly SyntaxNode[]): Map<string, string> {
  const names = new Map<string, string>();
  let dotted = "";
  let alias: string | undefined;
  let renaming = false;
  const flush = () => {
    if (dotted !== "") names.set(alias ?? dotted, dotted);
    dotted = "";
    alias = undefined;
    renaming = false;
  };
  for (const part of parts) {
    if (part.name === ",") flush();
    else if (part.name === "as") renaming = true;
    else if (part.name === "VariableName" && renaming) alias = textOf(module.py, part);
    else if (part.name === "VariableName" || part.name === ".") dotted += textOf(module.py, part);
  }
  flush();
  return names;
}

function readClass(module: PyModule, node: SyntaxNode): void {
  const nameNode = node.getChild("VariableName");
  const body = node.getChild("Body");
  if (!nameNode || !body) return;
  const bases = argumentsOf(module.py, node.getChild("ArgList")).positional.flatMap((b) => {
    const path = dottedName(module.py, b);
    return path ? [path.at(-1)!] : [];
  });
  const scope = new PyScope(module.py, module.scope);
  const settings = new Map<string, Setting>();
  for (const stmt of children(body)) {
    if (stmt.name !== "AssignStatement") continue;
    const parts = children(stmt);
    const target = parts[0];
    const value = parts.at(-1);
    if (target?.name !== "VariableName" || !value || parts.length < 3) continue;
    const name = textOf(module.py, target);
    scope.define(name, value, false);
    if (SETTING_NAME.test(name))
      settings.set(name, settingAt(module, target, value, scope, undefined));
  }
  module.classes.push({
    name: textOf(module.py, nameNode),
    bases,
    at: positionOf(module.py, nameNode),
    settings,
  });
}

/** Flask app config writes anywhere in the file, in source order. */
function readAppConfig(module: PyModule): void {
  const { py, app, scope } = module;
  const cursor = py.tree.cursor();
  do {
    const node = cursor.node;
    if (node.name === "AssignStatement") readAppAssignment(module, node);
    else if (node.name === "CallExpression") {
      const [calleeNode, argList] = children(node);
      const path = calleeNode ? dottedName(py, calleeNode) : undefined;
      if (path === undefined) continue;
      const last = path.at(-1)!;
      if (last === "Flask" && (path.length === 1 || path[0] === "flask"))
        app.apps.push(positionOf(py, node));
      if (last === "login_user") {
        const remember = argumentsOf(py, argList ?? null).keyword.get("remember");
        if (remember && textOf(py, remember.value) !== "False") app.remembersLogins = true;
      }
      if (path.length < 2 || path.at(-2) !== "config") continue;
      if (EXTERNAL_LOADERS.has(last)) {
        app.loadsExternal = true;
        app.loaders.push(configLoader(module, last, node, argList ?? null));
      }
      if (last !== "update" && last !== "from_mapping") continue;
      const args = argumentsOf(py, argList ?? null);
      const condition = conditionOf(module, node);
      for (const [key, { name, value }] of args.keyword) {
        app.settings.set(key, settingAt(module, name, value, scope, condition));
      }
      let unresolved = false;
      for (const positional of [...args.positional, ...args.spreads]) {
        const mapping = evaluatePython(positional, scope);
        if (mapping.kind !== "object") {
          unresolved = true;
          continue;
        }
        for (const [key, setting] of mapping.entries) {
          app.settings.set(
            key,
            condition === undefined
              ? { ...setting, file: module.file }
              : { ...setting, value: { kind: "depends", on: condition }, file: module.file },
          );
        }
        if (mapping.open) unresolved = true;
      }
      // `*args` (a star without a `**` mapping we could try) may carry anything.
      if (unresolved || (args.open && args.spreads.length === 0)) app.loadsExternal = true;
    }
  } while (cursor.next());
}

function configLoader(
  module: PyModule,
  method: string,
  call: SyntaxNode,
  argList: SyntaxNode | null,
): ConfigLoader {
  const at = positionOf(module.py, call);
  const arg = argumentsOf(module.py, argList).positional[0];
  if (arg === undefined || (method !== "from_object" && method !== "from_pyfile"))
    return { kind: "opaque", at };
  const value = evaluatePython(arg, module.scope);
  if (value.kind === "string")
    return method === "from_object"
      ? { kind: "import-path", path: value.value, at }
      : { kind: "file", name: value.value, at };
  const path = dottedName(module.py, arg);
  return method === "from_object" && path ? { kind: "name", path, at } : { kind: "opaque", at };
}

const APP_ATTRIBUTES: Record<string, string> = {
  secret_key: "SECRET_KEY",
  permanent_session_lifetime: "PERMANENT_SESSION_LIFETIME",
  session_cookie_name: "SESSION_COOKIE_NAME",
};

function readAppAssignment(module: PyModule, node: SyntaxNode): void {
  const parts = operands(node).filter((p) => p.name !== "AssignOp");
  const target = parts[0];
  const value = parts.at(-1);
  if (!target || !value || parts.length < 2) return;
  const condition = conditionOf(module, node);
  const sub = subscript(target);
  if (sub !== undefined) {
    const object = dottedName(module.py, sub.object);
    const key = evaluatePython(sub.key, module.scope);
    if (object?.at(-1) === "config" && object.length >= 2 && key.kind === "string") {
      module.app.settings.set(key.value, settingAt(module, target, value, module.scope, condition));
    }
    return;
  }
  const path = dottedName(module.py, target);
  if (path?.join(".") === "session.permanent" && textOf(module.py, value) === "True") {
    module.app.permanentSessions = true;
  }
  const mapped = path && path.length >= 2 ? APP_ATTRIBUTES[path.at(-1)!] : undefined;
  if (mapped !== undefined)
    module.app.settings.set(mapped, settingAt(module, target, value, module.scope, condition));
}

/** The `if` test guarding a node inside a function body, if any. */
function conditionOf(module: PyModule, node: SyntaxNode): string | undefined {
  for (let parent = node.parent; parent !== null; parent = parent.parent) {
    if (parent.name === "IfStatement") {
      const test = children(parent)[1];
      return test ? `if ${textOf(module.py, test)}` : "a condition";
    }
    if (parent.name === "FunctionDefinition" || parent.name === "ClassDefinition") return undefined;
  }
  return undefined;
}
