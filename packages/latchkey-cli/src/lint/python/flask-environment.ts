// Which environment a Flask config class or config module is for, from how the project uses it:
// - what deploy files select (`APP_SETTINGS=config.ProductionConfig` in a Procfile,
//   `ENV FLASK_CONFIG=production` in a Dockerfile, `create_app("production")` in wsgi.py) —
//   production files win; a selection made only by development files (docker-compose.yml,
//   .env.example, .flaskenv), or by a deploy file that turns on the debugger (`FLASK_DEBUG=1`,
//   `app.debug = True`), means development;
// - the config map an app factory picks from (`config = {"testing": TestingConfig, …}`);
// - the class or module name (`DevelopmentConfig`, `settings/production.py`).
// Only text is read, never executed; every file read goes through read-regular-file.
import { readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import {
  type DeployEnvironment,
  type EnvironmentTag,
  environmentOfName,
  UNKNOWN_ENVIRONMENT,
} from "../environment.ts";
import { readRegularFile } from "../read-regular-file.ts";
import type { PyModule } from "./module.ts";
import type { PythonProject } from "./project.ts";
import { DEVELOPMENT_FILES, PRODUCTION_FILES } from "./settings-usage.ts";

const FLASK_DEVELOPMENT_FILES = [...DEVELOPMENT_FILES, ".flaskenv", ".env", "run.py"];
// `APP_SETTINGS=config.ProductionConfig`, `FLASK_CONFIG: production`, `ENV CONFIG_NAME prod`,
// `create_app("production")`, `create_app(config_name="testing")`.
const SELECTION =
  /\b(?:APP_SETTINGS|FLASK_CONFIG|FLASK_ENV|APP_ENV|APP_CONFIG|CONFIG_NAME|CONFIG_CLASS|CONFIG|FLASK_CONFIGURATION)\b[\s"'=:,]{1,6}["']?([A-Za-z_][\w.]*)|create_app\(\s*(?:\w+\s*=\s*)?["']([A-Za-z_][\w.]*)["']/g;
// `"production": ProductionConfig,` inside a dict literal.
// A deploy file that turns on Flask's debugger (`ENV FLASK_DEBUG=1`, `app.debug = True`,
// `app.run(debug=True)`) starts a development server, whatever file it is.
const DEBUG_ON =
  /\bFLASK_DEBUG\b[\s"'=:]{1,6}["']?(?:1|true|True|on)\b|\.debug\s*=\s*True\b|\.run\([^)\n]{0,200}\bdebug\s*=\s*True\b/;
const MAP_ENTRY = /["']([A-Za-z][\w-]*)["']\s*:\s*([A-Za-z_][\w.]*)\s*[,}\n]/g;
const MAX_TEXT = 200_000;

interface Selection {
  /** The dotted config name a deploy file selects (e.g. `config.ProductionConfig`). */
  selects: string;
  shown: string;
  file: string;
}

interface DirSelections {
  production: Selection[];
  development: Selection[];
}

export class FlaskEnvironments {
  readonly #project: PythonProject;
  readonly #dirs = new Map<string, DirSelections>();
  #maps: Map<string, { key: string; file: string }[]> | undefined;

  constructor(project: PythonProject) {
    this.#project = project;
  }

  /** The environment of config class `name` defined in `module`. */
  ofClass(module: PyModule, name: string): EnvironmentTag {
    const keys = this.#mapKeys().get(name) ?? [];
    const selected = this.#selected(module, [name, ...keys.map((k) => k.key)]);
    if (selected !== undefined) return selected;
    const mapped = keys.find((k) => k.key !== "default" && environmentOfName(k.key) !== "unknown");
    if (mapped !== undefined)
      return {
        environment: environmentOfName(mapped.key),
        reason: `config["${mapped.key}"] in ${mapped.file} selects ${name}`,
      };
    return byName(name, `class name ${name}`);
  }

  /** The environment of a config module (`settings/production.py`, `config.py`). */
  ofModule(module: PyModule): EnvironmentTag {
    const parts = module.file.split(/[\\/]/);
    const base = parts.at(-1)!.replace(/\.py$/, "");
    const name = base === "__init__" ? (parts.at(-2) ?? base) : base;
    const selected = this.#selected(module, [name]);
    if (selected !== undefined) return selected;
    return byName(name, `module name ${parts.slice(-2).join("/")}`);
  }

  // What deploy files around the module select, production files first.
  #selected(module: PyModule, wanted: readonly string[]): EnvironmentTag | undefined {
    const found = this.#project.fileOf(module);
    if (found === undefined) return undefined;
    const names = (s: Selection) =>
      wanted.some((t) => s.selects === t || s.selects.endsWith(`.${t}`));
    const dirs = ancestors(found.path, found.root).map((dir) => this.#inDir(dir));
    const production = dirs.flatMap((d) => d.production.filter(names));
    if (production.length > 0)
      return {
        environment: "production",
        reason: `${production[0]!.shown} in ${production[0]!.file}`,
      };
    const development = dirs.flatMap((d) => d.development.filter(names));
    if (development.length === 0) return undefined;
    const named = environmentOfName(development[0]!.selects.split(".").at(-1)!);
    return {
      environment: named === "test" ? "test" : "development",
      reason: `selected only by ${[...new Set(development.map((d) => d.file))].join(", ")} (${development[0]!.shown})`,
    };
  }

  // The selections the deploy files of one folder make; the folder is listed once, so absent
  // files cost nothing.
  #inDir(dir: string): DirSelections {
    const known = this.#dirs.get(dir);
    if (known !== undefined) return known;
    let present: Set<string>;
    try {
      present = new Set(readdirSync(dir));
    } catch {
      present = new Set();
    }
    const read = (list: readonly string[]) =>
      list.filter((name) => present.has(name)).map((name) => this.#read(join(dir, name)));
    const deployed = read(PRODUCTION_FILES);
    const selections = {
      production: deployed.filter((f) => !f.debug).flatMap((f) => f.found),
      development: [
        ...read(FLASK_DEVELOPMENT_FILES).flatMap((f) => f.found),
        ...deployed.filter((f) => f.debug).flatMap((f) => f.found),
      ],
    };
    this.#dirs.set(dir, selections);
    return selections;
  }

  #read(path: string): { found: Selection[]; debug: boolean } {
    const read = readRegularFile(path);
    const file = path.split(sep).at(-1)!;
    const found: Selection[] = [];
    const text = "text" in read ? read.text.slice(0, MAX_TEXT) : "";
    const debug = DEBUG_ON.test(text);
    const label = debug ? `${file}, which turns on Flask's debugger` : file;
    if (text !== "")
      for (const m of text.matchAll(SELECTION)) {
        const selects = m[1] ?? m[2]!;
        const shown = m[2] !== undefined ? `create_app("${m[2]}")` : m[0].replace(/\s+/g, " ");
        found.push({ selects, shown: shown.slice(0, 80), file: label });
      }
    return { found, debug };
  }

  /** Class name → the keys of config maps that point at it, across the project's modules. */
  #mapKeys(): Map<string, { key: string; file: string }[]> {
    if (this.#maps !== undefined) return this.#maps;
    const maps = new Map<string, { key: string; file: string }[]>();
    for (const module of this.#project.modules()) {
      if (module.classes.length === 0 && module.importSources.length === 0) continue;
      for (const m of module.py.text.slice(0, MAX_TEXT).matchAll(MAP_ENTRY)) {
        const className = m[2]!.split(".").at(-1)!;
        if (!/Config|Settings/i.test(className)) continue;
        const list = maps.get(className) ?? [];
        list.push({ key: m[1]!, file: module.file.split(/[\\/]/).at(-1)! });
        maps.set(className, list);
      }
    }
    this.#maps = maps;
    return maps;
  }
}

function byName(name: string, reason: string): EnvironmentTag {
  const environment: DeployEnvironment = environmentOfName(name);
  return environment === "unknown" ? UNKNOWN_ENVIRONMENT : { environment, reason };
}

/** The file's folder and its parents, up to the scanned root. */
function ancestors(path: string, root: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const rel = relative(root, dir);
    if (rel.startsWith("..") || rel.startsWith(sep)) break;
    dirs.push(dir);
    if (rel === "" || dir === dirname(dir)) break;
  }
  return dirs;
}
