// Which environment a JavaScript/TypeScript file runs in, from how its package starts it:
// - node-config files: config/production.js is production, config/development.js development,
//   config/test.js test, and config/default.js is what production runs wherever
//   config/production.js does not override it;
// - package.json: the file `main` names or the `start`/`serve`/`prod` script runs (and the local
//   modules that file imports directly) is production; a file only `dev`/`watch`/`debug` scripts
//   run is development, one only `test` scripts run is test.
// Only text is read (package.json and the entry file, through read-regular-file), once per
// package per run.
import { existsSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import {
  type DeployEnvironment,
  type EnvironmentTag,
  environmentOfName,
  UNKNOWN_ENVIRONMENT,
} from "../environment.ts";
import { readRegularFile } from "../read-regular-file.ts";

const EXTENSIONS = ["", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts", "/index.js", "/index.ts"];
const SCRIPT_FILE =
  /(?:^|[\s=])((?:\.{0,2}\/)?[\w@./-]+\.[cm]?[jt]sx?|(?:\.\/)?bin\/[\w.-]+)(?=$|[\s;&|)])/g;
const LOCAL_IMPORT = /(?:require\(\s*|\bfrom\s+|\bimport\s+)["'](\.{1,2}\/[^"'\n]{1,200})["']/g;
const PRODUCTION_SCRIPTS = /^(?:start|serve|prod|production|start:prod)$/;
const DEVELOPMENT_SCRIPTS = /^(?:dev|develop|development|watch|debug|start:dev|serve:dev)$/;
const TEST_SCRIPTS = /^test(?::.*)?$/;
const MAX_TEXT = 200_000;

interface Started {
  environment: DeployEnvironment;
  reason: string;
}

export class ScriptEnvironments {
  readonly #byPackage = new Map<string, Map<string, Started>>();
  readonly #wholeApp = new Map<string, Started | undefined>();

  /** The environment `path` runs in; `packageDir` is its package's folder. */
  of(path: string, packageDir: string): EnvironmentTag {
    const config = nodeConfigFile(path);
    if (config !== undefined) return config;
    const started = this.#started(packageDir);
    return started.get(path) ?? this.#wholeApp.get(packageDir) ?? UNKNOWN_ENVIRONMENT;
  }

  #started(dir: string): Map<string, Started> {
    const known = this.#byPackage.get(dir);
    if (known !== undefined) return known;
    const started = new Map<string, Started>();
    this.#byPackage.set(dir, started);
    const read = readRegularFile(join(dir, "package.json"));
    if (!("text" in read)) return started;
    let manifest: { main?: unknown; scripts?: unknown };
    try {
      manifest = JSON.parse(read.text) as typeof manifest;
    } catch {
      return started;
    }
    const record = (file: string, tag: Started) => {
      // `node dist/server.js` runs what src/server.ts compiles to.
      const built = /^(?:\.\/)?(?:dist|build|out)\/(.+)\.[cm]?js$/.exec(file);
      const path =
        resolveFile(dir, file) ?? (built ? resolveFile(dir, `src/${built[1]}.ts`) : undefined);
      if (path === undefined) return;
      const seen = started.get(path);
      if (seen === undefined || rank(tag.environment) > rank(seen.environment))
        started.set(path, tag);
    };
    const scripts =
      typeof manifest.scripts === "object" && manifest.scripts !== null
        ? Object.entries(manifest.scripts as Record<string, unknown>)
        : [];
    const entries: string[] = [];
    if (typeof manifest.main === "string") {
      record(manifest.main, { environment: "production", reason: 'package.json "main"' });
      entries.push(manifest.main);
    }
    for (const [name, command] of scripts) {
      if (typeof command !== "string") continue;
      // `next start` serves every route and server action of the package.
      if (PRODUCTION_SCRIPTS.test(name) && /(?:^|[\s;&])next start\b/.test(command))
        this.#wholeApp.set(dir, {
          environment: "production",
          reason: `package.json's "${name}" script is \`next start\`, which serves every route`,
        });
      const environment: DeployEnvironment | undefined = PRODUCTION_SCRIPTS.test(name)
        ? "production"
        : DEVELOPMENT_SCRIPTS.test(name)
          ? "development"
          : TEST_SCRIPTS.test(name)
            ? "test"
            : undefined;
      if (environment === undefined) continue;
      for (const m of command.slice(0, 1000).matchAll(SCRIPT_FILE)) {
        record(m[1]!, { environment, reason: `package.json's "${name}" script runs it` });
        if (environment === "production") entries.push(m[1]!);
      }
    }
    // The modules a production entry point imports run in production too (`bin/www` → app.js).
    for (const entry of entries) {
      const path = resolveFile(dir, entry);
      if (path === undefined) continue;
      const text = readRegularFile(path);
      if (!("text" in text)) continue;
      for (const m of text.text.slice(0, MAX_TEXT).matchAll(LOCAL_IMPORT)) {
        const shown = relative(dir, path).split("\\").join("/");
        record(relative(dir, resolve(dirname(path), m[1]!)), {
          environment: "production",
          reason: `imported by ${shown}, which package.json starts in production`,
        });
      }
    }
    return started;
  }
}

function rank(environment: DeployEnvironment): number {
  return environment === "production" ? 3 : environment === "development" ? 1 : 0;
}

function resolveFile(dir: string, file: string): string | undefined {
  const base = resolve(dir, file);
  const rel = relative(dir, base);
  if (rel.startsWith("..")) return undefined;
  for (const ext of EXTENSIONS)
    if (existsSync(base + ext) && extname(base + ext)) return base + ext;
  return existsSync(base) ? base : undefined;
}

function nodeConfigFile(path: string): EnvironmentTag | undefined {
  const dir = dirname(path);
  if (basename(dir) !== "config") return undefined;
  const name = basename(path).replace(/\.[^.]+$/, "");
  const hasDefault = [".js", ".json", ".ts", ".cjs", ".mjs"].some((e) =>
    existsSync(join(dir, `default${e}`)),
  );
  if (!hasDefault) return undefined;
  if (name === "default")
    return {
      environment: "production",
      reason: "node-config loads config/default in every environment, production included",
    };
  const environment = environmentOfName(name);
  if (environment === "unknown") return undefined;
  return { environment, reason: `node-config loads config/${name} when NODE_ENV=${name}` };
}
