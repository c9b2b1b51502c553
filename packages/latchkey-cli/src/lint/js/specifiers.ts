// Where a non-relative import of the project's own code points: a tsconfig/jsconfig `paths` alias
// (`@/config`) or `baseUrl` import, a package.json `imports` entry (`#config`), or a workspace
// package of the same repository (`@acme/config`). Only JSON manifests are read (through
// read-regular-file), each once per run; the candidates returned are files to try, which the
// caller checks stay inside the scanned root. Anything else (`express`, `node:fs`) is a
// dependency and resolves to nothing.
import { existsSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { readRegularFile } from "../read-regular-file.ts";

// A hostile workspace glob must not list a huge folder.
const MAX_WORKSPACE_DIRS = 200;

export class Specifiers {
  readonly #root: string;
  readonly #json = new Map<string, unknown>();
  #workspaces: Map<string, string> | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  /** Paths (without extension resolution) that `specifier` may name, imported from `dir`. */
  candidates(dir: string, specifier: string): string[] {
    if (specifier.startsWith("#")) return this.#packageImports(dir, specifier);
    return [...this.#tsconfigPaths(dir, specifier), ...this.#workspace(specifier)];
  }

  /** The nearest folder at or above `dir`, inside the root, holding `name`. */
  nearest(dir: string, name: string): string | undefined {
    for (let at = dir; this.#inside(at); at = dirname(at)) {
      if (existsSync(join(at, name))) return at;
      if (at === this.#root || at === dirname(at)) break;
    }
    return undefined;
  }

  #packageImports(dir: string, specifier: string): string[] {
    const home = this.nearest(dir, "package.json");
    if (home === undefined) return [];
    const imports = field(this.#read(join(home, "package.json")), "imports");
    if (!isRecord(imports)) return [];
    return mapped(imports, specifier).map((target) => join(home, target));
  }

  #tsconfigPaths(dir: string, specifier: string): string[] {
    const out: string[] = [];
    for (const name of ["tsconfig.json", "jsconfig.json"]) {
      const home = this.nearest(dir, name);
      if (home === undefined) continue;
      const options = field(this.#read(join(home, name), true), "compilerOptions");
      if (!isRecord(options)) continue;
      const baseUrl = typeof options.baseUrl === "string" ? join(home, options.baseUrl) : home;
      if (isRecord(options.paths))
        for (const target of mapped(options.paths, specifier)) out.push(join(baseUrl, target));
      if (typeof options.baseUrl === "string") out.push(join(baseUrl, specifier));
    }
    return out;
  }

  #workspace(specifier: string): string[] {
    const packages = this.#workspacePackages();
    for (const [name, dir] of packages) {
      if (specifier !== name && !specifier.startsWith(`${name}/`)) continue;
      const sub = specifier.slice(name.length + 1);
      if (sub !== "") return [join(dir, sub), join(dir, "src", sub)];
      const manifest = this.#read(join(dir, "package.json"));
      const entries = [
        field(manifest, "exports"),
        field(manifest, "main"),
        field(manifest, "module"),
      ];
      const out: string[] = [];
      for (const entry of entries) {
        const target =
          typeof entry === "string"
            ? entry
            : isRecord(entry)
              ? exportTarget(entry["."] ?? entry)
              : undefined;
        if (target !== undefined) out.push(join(dir, target));
      }
      out.push(join(dir, "index"), join(dir, "src", "index"));
      return out;
    }
    return [];
  }

  /** Workspace package name → folder, from the root package.json's `workspaces` globs. */
  #workspacePackages(): Map<string, string> {
    if (this.#workspaces !== undefined) return this.#workspaces;
    const packages = new Map<string, string>();
    this.#workspaces = packages;
    const home = this.nearest(this.#root, "package.json") ?? this.#root;
    const declared = field(this.#read(join(home, "package.json")), "workspaces");
    const globs = Array.isArray(declared)
      ? declared
      : isRecord(declared) && Array.isArray(declared.packages)
        ? declared.packages
        : [];
    let seen = 0;
    for (const glob of globs) {
      if (typeof glob !== "string" || glob.includes("..")) continue;
      const dirs = glob.endsWith("/*")
        ? listDirs(join(home, glob.slice(0, -2)))
        : [join(home, glob)];
      for (const dir of dirs) {
        if (++seen > MAX_WORKSPACE_DIRS || !this.#inside(dir)) break;
        const name = field(this.#read(join(dir, "package.json")), "name");
        if (typeof name === "string") packages.set(name, dir);
      }
    }
    return packages;
  }

  #read(path: string, comments = false): unknown {
    if (this.#json.has(path)) return this.#json.get(path);
    let data: unknown;
    const read = readRegularFile(path);
    if ("text" in read) {
      try {
        data = JSON.parse(comments ? stripJsonComments(read.text) : read.text);
      } catch {
        data = undefined;
      }
    }
    this.#json.set(path, data);
    return data;
  }

  #inside(path: string): boolean {
    const rel = relative(this.#root, path);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(data: unknown, key: string): unknown {
  return isRecord(data) ? data[key] : undefined;
}

/** `{"@/*": ["src/*"]}` or `{"#config": "./src/config.js"}` applied to a specifier. */
function mapped(map: Record<string, unknown>, specifier: string): string[] {
  const out: string[] = [];
  for (const [pattern, raw] of Object.entries(map)) {
    const star = pattern.indexOf("*");
    let rest: string | undefined;
    if (star < 0) rest = pattern === specifier ? "" : undefined;
    else {
      const head = pattern.slice(0, star);
      const tail = pattern.slice(star + 1);
      if (
        specifier.startsWith(head) &&
        specifier.endsWith(tail) &&
        specifier.length >= head.length + tail.length
      )
        rest = specifier.slice(head.length, specifier.length - tail.length);
    }
    if (rest === undefined) continue;
    for (const target of Array.isArray(raw) ? raw : [raw]) {
      const path = exportTarget(target);
      if (path !== undefined) out.push(path.replace("*", rest));
    }
  }
  return out;
}

/** A conditional export (`{"node": …, "default": …}`) down to one path. */
function exportTarget(target: unknown, depth = 0): string | undefined {
  if (typeof target === "string") return target;
  if (!isRecord(target) || depth > 3) return undefined;
  for (const key of ["node", "require", "import", "default"]) {
    const found = exportTarget(target[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .slice(0, MAX_WORKSPACE_DIRS)
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** tsconfig.json allows comments and trailing commas; strings are kept as they are. Linear. */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}
