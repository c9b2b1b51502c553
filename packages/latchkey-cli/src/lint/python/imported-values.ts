// Settings whose value is a name imported from another module of the project:
// `from config import SECRET_KEY`, `import settings` then `settings.SECRET_KEY`,
// `from app import config` then `config.ProductionConfig.SECRET_KEY`. The name is replaced by the
// setting the other module writes (its value, line and file), so the finding points where the
// value is set. Only modules of the linted tree (PythonProject), MAX_HOPS names deep; nothing is
// executed.
import type { Setting } from "../value.ts";
import { effectiveSettings } from "./flask.ts";
import type { PyModule } from "./module.ts";
import type { PythonProject } from "./project.ts";

// `a = b.X`, `b.X = c.Y`, …: real projects re-export a setting once, maybe twice.
const MAX_HOPS = 3;

/** Replaces imported names in every module's settings, config classes and app config. */
export function resolveImportedSettings(project: PythonProject): void {
  for (const module of project.modules()) {
    for (const stmt of module.statements)
      if (stmt.kind === "set") stmt.setting = follow(project, module, stmt.setting, 0);
    for (const cls of module.classes)
      for (const [key, setting] of cls.settings)
        cls.settings.set(key, follow(project, module, setting, 0));
    for (const [key, setting] of module.app.settings)
      module.app.settings.set(key, follow(project, module, setting, 0));
  }
}

function follow(project: PythonProject, module: PyModule, setting: Setting, hops: number): Setting {
  const ref = setting.ref;
  if (ref === undefined || hops >= MAX_HOPS) return setting;
  const found = lookup(project, module, ref);
  if (found === undefined) return setting;
  return follow(project, found.module, found.setting, hops + 1);
}

/** The value an imported name (`AUTH_COOKIE`, `constants.AUTH_COOKIE`) has where it is written. */
export function importedValue(
  project: PythonProject,
  module: PyModule,
  ref: readonly string[],
): Setting | undefined {
  const found = lookup(project, module, ref);
  return found && follow(project, found.module, found.setting, 1);
}

function lookup(
  project: PythonProject,
  module: PyModule,
  ref: readonly string[],
): { module: PyModule; setting: Setting } | undefined {
  const [head, ...rest] = ref;
  for (const source of module.importSources) {
    const original = source.names.get(head!);
    if (original === undefined) continue;
    // `import settings` / `import app.settings as s`: the module itself.
    // `from config import SECRET_KEY`: a name in the module. `from app import config`: a submodule.
    let target: PyModule | undefined;
    let path: string[];
    if (original === "") {
      target = project.resolve(module, source.module);
      path = rest;
    } else {
      const joiner = source.module.endsWith(".") ? "" : ".";
      const submodule = project.resolve(module, `${source.module}${joiner}${original}`);
      if (submodule !== undefined) {
        target = submodule;
        path = rest;
      } else {
        target = project.resolve(module, source.module);
        path = [original, ...rest];
      }
    }
    if (target === undefined || target === module) return undefined;
    return settingIn(target, path);
  }
  return undefined;
}

/** `KEY` at module level, or `Class.KEY` of a config class (with what it inherits). */
function settingIn(
  module: PyModule,
  path: readonly string[],
): { module: PyModule; setting: Setting } | undefined {
  if (path.length === 1) {
    let last: Setting | undefined;
    for (const stmt of module.statements)
      if (stmt.kind === "set" && stmt.key === path[0]) last = stmt.setting;
    return last === undefined ? undefined : { module, setting: last };
  }
  if (path.length === 2) {
    const cls = module.classes.find((c) => c.name === path[0]);
    if (cls === undefined) return undefined;
    const byName = new Map(module.classes.map((c) => [c.name, c]));
    const setting = effectiveSettings(cls, byName, new Set()).get(path[1]!);
    return setting === undefined ? undefined : { module, setting };
  }
  return undefined;
}
