// Flask applications whose configuration lives in another module: `app.config.from_object(
// "pkg.settings")`, `from_object(Config)` with `from config import Config`, `from_pyfile(
// "settings.py")`. When every loader can be followed, we see the whole configuration, so what
// it leaves out ships Flask's defaults — reported once, at the module or class that holds the
// configuration. One loader we cannot follow (`from_envvar`, `config[name]`) may set anything:
// then only the explicit values are judged, file by file, as before.
//
// Modules that import each other are one application: `login_user(user, remember=True)` in
// `auth.py` means the remember-me cookie settings of the config in `config.py` matter.
import type { Finding } from "../../report/finding.ts";
import { inEnvironment } from "../environment.ts";
import type { Position, Setting } from "../value.ts";
import { checkFlask, effectiveSettings, usesSessions } from "./flask.ts";
import type { FlaskEnvironments } from "./flask-environment.ts";
import type { ConfigLoader, PyModule } from "./module.ts";
import type { PythonProject } from "./project.ts";

/** What the modules of one application do, wherever in it they do it. */
export interface ApplicationFacts {
  remembersLogins: boolean;
  usesFlaskSession: boolean;
  permanentSessions: boolean;
}

// `from .base import *` chains in real settings packages are two or three deep.
const MAX_IMPORT_DEPTH = 5;

/** Groups modules connected by imports into applications and says what each application uses. */
export function applicationFacts(project: PythonProject): Map<PyModule, ApplicationFacts> {
  const parent = new Map<PyModule, PyModule>();
  const find = (m: PyModule): PyModule => {
    let root = m;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(m, root);
    return root;
  };
  const modules = project.modules();
  for (const module of modules) {
    find(module);
    for (const source of module.importSources) {
      const targets = [project.resolve(module, source.module)];
      // `from app import routes` imports a submodule, not a name.
      for (const original of source.names.values()) {
        if (original === "") continue;
        const joiner = source.module.endsWith(".") ? "" : ".";
        targets.push(project.resolve(module, `${source.module}${joiner}${original}`));
      }
      for (const target of targets) if (target) parent.set(find(target), find(module));
    }
  }
  const facts = new Map<PyModule, ApplicationFacts>();
  for (const module of parent.keys()) {
    const root = find(module);
    const app = facts.get(root) ?? {
      remembersLogins: false,
      usesFlaskSession: false,
      permanentSessions: false,
    };
    app.remembersLogins ||= module.app.remembersLogins;
    app.usesFlaskSession ||= module.imports.has("flask_session");
    app.permanentSessions ||= module.app.permanentSessions;
    facts.set(root, app);
  }
  return new Map([...parent.keys()].map((m) => [m, facts.get(find(m))!]));
}

interface ConfigSource {
  settings: Map<string, Setting>;
  file: string;
  at: Position;
  where: string;
  name: string;
  /** The module holding the configuration, and whether it is a class in it or the module itself. */
  module: PyModule;
  isClass: boolean;
}

/** Lints every Flask app whose config loaders can all be followed, with Flask's defaults. */
export function lintFlaskApps(
  project: PythonProject,
  facts: ReadonlyMap<PyModule, ApplicationFacts>,
  environments: FlaskEnvironments,
): Finding[] {
  const findings: Finding[] = [];
  for (const module of project.modules()) {
    const { loaders } = module.app;
    if (loaders.length === 0) continue;
    const sources = loaders.map((loader) => configSource(project, module, loader));
    if (sources.some((s) => s === undefined)) continue;
    const settings = new Map<string, Setting>();
    for (const source of sources) for (const [k, v] of source!.settings) settings.set(k, v);
    for (const [k, v] of module.app.settings) settings.set(k, v);
    const holder = sources.at(-1)!;
    // A development or test config is judged too; its environment makes its findings info.
    if (!usesSessions(settings)) continue;
    const app = facts.get(module) ?? {
      remembersLogins: false,
      usesFlaskSession: false,
      permanentSessions: false,
    };
    findings.push(
      ...inEnvironment(
        checkFlask({
          ...app,
          file: holder.file,
          anchor: holder.at,
          settings,
          defaults: true,
          where: holder.where,
        }),
        holder.isClass
          ? environments.ofClass(holder.module, holder.name)
          : environments.ofModule(holder.module),
      ),
    );
  }
  return findings;
}

function configSource(
  project: PythonProject,
  module: PyModule,
  loader: ConfigLoader,
): ConfigSource | undefined {
  switch (loader.kind) {
    case "opaque":
      return undefined;
    case "file": {
      const target = project.resolveFile(module, loader.name);
      return target && moduleSource(project, target);
    }
    case "import-path": {
      const whole = project.resolve(module, loader.path);
      if (whole) return moduleSource(project, whole);
      const dot = loader.path.lastIndexOf(".");
      if (dot <= 0) return undefined;
      const holder = project.resolve(module, loader.path.slice(0, dot));
      return holder && classSource(holder, loader.path.slice(dot + 1));
    }
    case "name": {
      const [head, ...rest] = loader.path;
      if (rest.length === 0 && module.classes.some((c) => c.name === head))
        return classSource(module, head!);
      const imported = module.importSources.find((s) => s.names.has(head!));
      if (imported === undefined) return undefined;
      const original = imported.names.get(head!)!;
      let target: PyModule | undefined;
      let className: string | undefined = rest[0];
      if (original === "" || imported.module.endsWith(".")) {
        target = project.resolve(
          module,
          original === "" ? imported.module : `${imported.module}${original}`,
        );
      } else {
        const submodule = project.resolve(module, `${imported.module}.${original}`);
        if (submodule) target = submodule;
        else {
          target = project.resolve(module, imported.module);
          if (rest.length > 0) return undefined; // an attribute of a class: not a config
          className = original;
        }
      }
      if (target === undefined || rest.length > 1) return undefined;
      return className === undefined
        ? moduleSource(project, target)
        : classSource(target, className);
    }
  }
}

function moduleSource(project: PythonProject, module: PyModule): ConfigSource {
  const name = module.file.split(/[\\/]/).at(-1)!.replace(/\.py$/, "");
  return {
    settings: moduleSettings(project, module, 0, new Set()),
    file: module.file,
    at: { line: 1, column: 1 },
    where: "",
    name: name === "__init__" ? (module.file.split(/[\\/]/).at(-2) ?? name) : name,
    module,
    isClass: false,
  };
}

function classSource(module: PyModule, name: string): ConfigSource | undefined {
  const cls = module.classes.find((c) => c.name === name);
  if (cls === undefined) return undefined;
  const byName = new Map(module.classes.map((c) => [c.name, c]));
  return {
    settings: effectiveSettings(cls, byName, new Set()),
    file: module.file,
    at: cls.at,
    where: ` (in ${cls.name})`,
    name,
    module,
    isClass: true,
  };
}

/** A module's settings after its star imports, in source order, MAX_IMPORT_DEPTH deep at most. */
function moduleSettings(
  project: PythonProject,
  module: PyModule,
  depth: number,
  seen: Set<PyModule>,
): Map<string, Setting> {
  const result = new Map<string, Setting>();
  if (seen.has(module)) return result;
  seen.add(module);
  for (const stmt of module.statements) {
    if (stmt.kind === "set") result.set(stmt.key, stmt.setting);
    else if (stmt.kind === "star" && depth < MAX_IMPORT_DEPTH) {
      const target = project.resolve(module, stmt.module);
      if (target)
        for (const [k, v] of moduleSettings(project, target, depth + 1, seen)) result.set(k, v);
    }
  }
  return result;
}
