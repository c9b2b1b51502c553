// Values imported from the project's own modules: `import config from "./config"`,
// `const pkg = require("../package.json")`. A session secret is often a config module's field,
// and sometimes — measured on real Express apps — `pkg.name`, the public package name. Relative
// specifiers are followed, and so are the project's own non-relative ones (tsconfig `paths`,
// package.json `imports`, workspace packages: ./specifiers.ts) and node-config's
// `require("config")` (config/default merged with config/production, as NODE_ENV=production
// loads them); only to regular files inside the scanned root (read through
// read-regular-file, so no link, FIFO or oversized file), MAX_IMPORT_DEPTH modules deep and
// MAX_MODULES files per run: the repository being linted may be built to make us wander.
import { realpathSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative } from "node:path";
import type { Node } from "@babel/types";
import { readRegularFile } from "../read-regular-file.ts";
import { UNKNOWN, type Value } from "../value.ts";
import { evaluate } from "./evaluate.ts";
import { parseScript, positionOf } from "./parse.ts";
import { type ImportBinding, type Importer, type Origin, Scope } from "./scope.ts";
import { Specifiers } from "./specifiers.ts";

const MAX_IMPORT_DEPTH = 5;
const MAX_MODULES = 100;
const EXTENSIONS = [".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json"];

interface LoadedModule {
  scope?: Scope;
  exports: Map<string, Node>;
  json?: Value;
}

/** Resolves imported names to values for the files of one scanned root. */
export class ProjectModules {
  readonly #root: string;
  readonly #display: (path: string) => string;
  readonly #loaded = new Map<string, LoadedModule | undefined>();
  readonly #specifiers: Specifiers;

  /** `display` turns an absolute path into the path findings show. */
  constructor(root: string, display: (path: string) => string) {
    this.#root = root;
    this.#display = display;
    this.#specifiers = new Specifiers(root);
  }

  /** The importer a file's scope uses to see through `binding`; `depth` counts modules followed. */
  importerFor(fromPath: string, depth = 0): Importer {
    const importer: Importer = (binding) => this.#valueOf(fromPath, binding, depth);
    importer.origin = (binding) => this.#originOf(fromPath, binding, depth);
    return importer;
  }

  #valueOf(fromPath: string, binding: ImportBinding, depth: number): Value {
    if (depth >= MAX_IMPORT_DEPTH) return UNKNOWN;
    const dir = dirname(fromPath);
    if (binding.source === "config") return this.#nodeConfig(dir, binding, depth);
    const target = this.#target(fromPath, binding, depth);
    if (target === undefined) return UNKNOWN;
    return writtenIn(this.#exported(target.module, binding.imported), this.#display(target.path));
  }

  // Where an imported name is written (`export const secret = …` in another file), so a finding
  // about its value points there. JSON has no line of its own: undefined.
  #originOf(fromPath: string, binding: ImportBinding, depth: number): Origin | undefined {
    if (depth >= MAX_IMPORT_DEPTH || binding.source === "config") return undefined;
    const target = this.#target(fromPath, binding, depth);
    if (target === undefined || target.module.json !== undefined) return undefined;
    const name = binding.imported === "*" ? "default" : binding.imported;
    const node = target.module.exports.get(name);
    if (node !== undefined) return { file: this.#display(target.path), at: positionOf(node) };
    const reexported = target.module.scope?.reexports.get(name);
    return reexported && target.module.scope?.importedOrigin(reexported);
  }

  #target(
    fromPath: string,
    binding: ImportBinding,
    depth: number,
  ): { path: string; module: LoadedModule } | undefined {
    const dir = dirname(fromPath);
    const path = binding.source.startsWith(".")
      ? this.#resolve(dir, binding.source)
      : this.#specifiers
          .candidates(dir, binding.source)
          .map((candidate) => this.#resolve(dir, candidate))
          .find((found) => found !== undefined);
    const module = path === undefined ? undefined : this.#load(path, depth + 1);
    return module === undefined || path === undefined ? undefined : { path, module };
  }

  // node-config: with NODE_ENV=production it loads config/default, then config/production over
  // it. Only when the package has a config/default file of its own (else `config` is some other
  // dependency).
  #nodeConfig(dir: string, binding: ImportBinding, depth: number): Value {
    const home = this.#specifiers.nearest(dir, "config");
    if (home === undefined) return UNKNOWN;
    let merged: Value = UNKNOWN;
    for (const name of ["default", "production"]) {
      const path = this.#resolve(home, `./config/${name}`);
      const module = path === undefined ? undefined : this.#load(path, depth + 1);
      if (module === undefined || path === undefined) continue;
      const value = writtenIn(this.#exported(module, "default"), this.#display(path));
      merged =
        merged.kind === "object" && value.kind === "object" ? deepMerge(merged, value) : value;
    }
    if (binding.imported === "default" || binding.imported === "*") return merged;
    return merged.kind === "object"
      ? (merged.entries.get(binding.imported)?.value ?? UNKNOWN)
      : UNKNOWN;
  }

  #exported(module: LoadedModule, name: string): Value {
    if (module.json !== undefined) {
      if (name === "default" || name === "*") return module.json;
      if (module.json.kind !== "object") return UNKNOWN;
      return module.json.entries.get(name)?.value ?? UNKNOWN;
    }
    const node = module.exports.get(name === "*" ? "default" : name);
    if (node && module.scope) return evaluate(node, module.scope);
    // `export { x } from "./y"`: the importer of that module follows it, one module deeper.
    const reexported = module.scope?.reexports.get(name);
    return reexported && module.scope ? module.scope.importedValueOf(reexported) : UNKNOWN;
  }

  #resolve(dir: string, specifier: string): string | undefined {
    const base = isAbsolute(specifier) ? specifier : join(dir, specifier);
    const candidates = extname(base)
      ? [base, ...EXTENSIONS.map((e) => base.replace(/\.[cm]?js$/, e))]
      : [...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => join(base, `index${e}`))];
    for (const candidate of candidates) {
      if (!this.#isInsideRoot(candidate)) continue;
      try {
        const real = realpathSync(candidate);
        if (real === candidate && this.#isInsideRoot(real)) return real;
      } catch {
        // not there: try the next form
      }
    }
    return undefined;
  }

  #isInsideRoot(path: string): boolean {
    const rel = relative(this.#root, path);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  }

  #load(path: string, depth: number): LoadedModule | undefined {
    if (this.#loaded.has(path)) return this.#loaded.get(path);
    if (this.#loaded.size >= MAX_MODULES) return undefined;
    this.#loaded.set(path, undefined); // an import cycle meets this and stops
    const read = readRegularFile(path);
    if ("skipped" in read) return undefined;
    let module: LoadedModule | undefined;
    if (path.endsWith(".json")) {
      const publicFields = path.endsWith("package.json") ? "package.json" : undefined;
      module = { exports: new Map(), json: jsonValue(read.text, publicFields) };
    } else {
      const parsed = parseScript(read.text, path);
      if (parsed) {
        const scope = new Scope(parsed.ast, read.text, this.importerFor(path, depth));
        module = { scope, exports: scope.exports };
      }
    }
    this.#loaded.set(path, module);
    return module;
  }
}

/** node-config's merge: objects key by key, anything else replaced. */
function deepMerge(
  base: Extract<Value, { kind: "object" }>,
  over: Extract<Value, { kind: "object" }>,
): Extract<Value, { kind: "object" }> {
  const entries = new Map(base.entries);
  for (const [key, setting] of over.entries) {
    const under = entries.get(key);
    entries.set(
      key,
      under?.value.kind === "object" && setting.value.kind === "object"
        ? { ...setting, value: deepMerge(under.value, setting.value) }
        : setting,
    );
  }
  return { kind: "object", entries, open: base.open || over.open };
}

/** Options read from another module are reported where they are written, not where imported. */
function writtenIn(value: Value, file: string): Value {
  if (value.kind !== "object") return value;
  const entries = new Map(
    [...value.entries].map(([k, s]) => [
      k,
      { ...s, value: writtenIn(s.value, file), file: s.file ?? file },
    ]),
  );
  return { ...value, entries };
}

/** `publicFile`: every string in it is published (package.json's name, description, URLs). */
function jsonValue(text: string, publicFile: string | undefined): Value {
  try {
    return toValue(JSON.parse(text), 0, publicFile, []);
  } catch {
    return UNKNOWN;
  }
}

const AT_TOP = { line: 1, column: 1 };

function toValue(
  data: unknown,
  depth: number,
  publicFile: string | undefined,
  path: string[],
): Value {
  if (typeof data === "string")
    return publicFile === undefined
      ? { kind: "string", value: data }
      : { kind: "string", value: data, public: `the "${path.join(".")}" field of ${publicFile}` };
  if (typeof data === "number") return { kind: "number", value: data };
  if (typeof data === "boolean") return { kind: "bool", value: data };
  if (data === null) return { kind: "null" };
  if (typeof data !== "object" || Array.isArray(data) || depth > 4) return UNKNOWN;
  const entries = new Map(
    Object.entries(data).map(([k, v]) => [
      k,
      { value: toValue(v, depth + 1, publicFile, [...path, k]), at: AT_TOP },
    ]),
  );
  return { kind: "object", entries, open: false };
}
