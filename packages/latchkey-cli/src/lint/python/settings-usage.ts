// Which Django settings modules only ever run on a developer's machine. Measured on real
// projects: a `settings/docker.py` that star-imports `dev.py` and is named only in
// docker-compose.yml was judged as if it were production. What starts a settings module says
// what it is for: DJANGO_SETTINGS_MODULE in a Dockerfile, Procfile or wsgi.py is production;
// in docker-compose.yml, .env.example or manage.py's default it is development.
import { dirname, join, relative, sep } from "node:path";
import { readRegularFile } from "../read-regular-file.ts";
import { environmentOf } from "../source.ts";
import type { DjangoModule } from "./django.ts";

export const PRODUCTION_FILES = [
  "Dockerfile",
  "Containerfile",
  "Procfile",
  "wsgi.py",
  "asgi.py",
  "app.yaml",
  "fly.toml",
  "render.yaml",
];
export const DEVELOPMENT_FILES = [
  "docker-compose.yml",
  "docker-compose.yaml",
  "docker-compose.override.yml",
  "compose.yml",
  "compose.yaml",
  ".env.example",
  ".env.sample",
  "manage.py",
];
// `DJANGO_SETTINGS_MODULE=x.y`, `ENV DJANGO_SETTINGS_MODULE x.y`, `setdefault("…", "x.y")`,
// `--settings=x.y`.
const REFERENCE = /(?:DJANGO_SETTINGS_MODULE[\s"'=:,]{1,6}|--settings[= ])["']?([A-Za-z_][\w.]*)/g;

/** Reads the entry-point files around settings modules once per run. */
export class SettingsUsage {
  readonly #names = new Map<string, string[]>();

  /** The deploy files (Dockerfile, Procfile, wsgi.py, …) that start `leaf`, as one line. */
  productionReason(leaf: DjangoModule): string | undefined {
    const files = this.#ancestors(leaf).flatMap((dir) =>
      PRODUCTION_FILES.filter((name) =>
        this.#referenced(join(dir, name)).some((dotted) => namesModule(dotted, leaf)),
      ),
    );
    return files.length === 0
      ? undefined
      : `DJANGO_SETTINGS_MODULE names it in ${[...new Set(files)].join(", ")}`;
  }

  /** Why `leaf` looks like development-only settings; undefined when it may run in production. */
  developmentReason(leaf: DjangoModule, modules: readonly DjangoModule[]): string | undefined {
    const production: string[] = [];
    const development: string[] = [];
    for (const dir of this.#ancestors(leaf)) {
      for (const [list, names] of [
        [production, PRODUCTION_FILES],
        [development, DEVELOPMENT_FILES],
      ] as const) {
        for (const name of names) {
          const path = join(dir, name);
          if (this.#referenced(path).some((dotted) => namesModule(dotted, leaf))) list.push(name);
        }
      }
    }
    if (production.length > 0) return undefined;
    if (development.length > 0) return `started only by ${[...new Set(development)].join(", ")}`;
    const devImport = leaf.module.statements.find(
      (s) =>
        s.kind === "star" &&
        !s.optional &&
        environmentOf(s.module.split(".").at(-1) ?? "") === "development",
    );
    if (devImport?.kind === "star")
      return `it star-imports ${devImport.module} (development settings)`;
    const debug = leaf.module.statements.find((s) => s.kind === "set" && s.key === "DEBUG");
    const siblings = modules.filter((m) => m !== leaf && dirname(m.path) === dirname(leaf.path));
    if (
      debug?.kind === "set" &&
      debug.setting.value.kind === "bool" &&
      debug.setting.value.value &&
      siblings.length > 0
    )
      return "DEBUG = True, next to other settings modules";
    return undefined;
  }

  /** The leaf's folder and its parents, up to the scanned root. */
  #ancestors(leaf: DjangoModule): string[] {
    const dirs: string[] = [];
    const root = leaf.root ?? dirname(leaf.path);
    for (let dir = dirname(leaf.path); ; dir = dirname(dir)) {
      const rel = relative(root, dir);
      if (rel.startsWith("..") || rel.startsWith(sep)) break;
      dirs.push(dir);
      if (rel === "" || dir === dirname(dir)) break;
    }
    return dirs;
  }

  #referenced(path: string): string[] {
    const known = this.#names.get(path);
    if (known !== undefined) return known;
    const read = readRegularFile(path);
    const names = "text" in read ? [...read.text.matchAll(REFERENCE)].map((m) => m[1]!) : [];
    this.#names.set(path, names);
    return names;
  }
}

/** `mysite.settings.docker` names `…/mysite/settings/docker.py`. */
function namesModule(dotted: string, leaf: DjangoModule): boolean {
  const tail = `${sep}${dotted.split(".").join(sep)}`;
  return leaf.path.endsWith(`${tail}.py`) || leaf.path.endsWith(`${tail}${sep}__init__.py`);
}
