// Django settings, including settings split per environment (`settings/base.py` star-imported
// by `settings/production.py`, `settings/dev.py`, …). Every leaf module — one no other settings
// module imports — is a configuration Django can run with; its effective settings are the
// star imports and assignments in source order, and findings name the leaf they apply to.
// Defaults are Django 5's: SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE False, SAMESITE "Lax",
// SESSION_COOKIE_AGE two weeks, SESSION_COOKIE_NAME "sessionid".
import { dirname, join, sep } from "node:path";
import type { Finding } from "../../report/finding.ts";
import { checkCookie } from "../cookie-checks.ts";
import { type EnvironmentTag, environmentOfName, UNKNOWN_ENVIRONMENT } from "../environment.ts";
import { lintFinding } from "../rules.ts";
import { checkSecret } from "../secret-check.ts";
import { environmentOf } from "../source.ts";
import type { Setting, Value } from "../value.ts";
import type { PyModule } from "./module.ts";
import { SettingsUsage } from "./settings-usage.ts";

const DJANGO_MARKERS = new Set([
  "INSTALLED_APPS",
  "MIDDLEWARE",
  "MIDDLEWARE_CLASSES",
  "ROOT_URLCONF",
  "WSGI_APPLICATION",
  "ASGI_APPLICATION",
  "AUTH_PASSWORD_VALIDATORS",
  "SESSION_ENGINE",
  "SESSION_COOKIE_AGE",
  "CSRF_COOKIE_SECURE",
  "CSRF_TRUSTED_ORIGINS",
  "DEFAULT_AUTO_FIELD",
]);
const DEFAULT_COOKIE_AGE = 1209600;
const CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware";
const SESSION_MIDDLEWARE = [
  "django.contrib.sessions.middleware.SessionMiddleware",
  "django.contrib.auth.middleware.AuthenticationMiddleware",
];
const SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies";

export interface DjangoModule {
  module: PyModule;
  /** Absolute path, to resolve `from .base import *`. */
  path: string;
  /** The scanned directory it was found under: entry points are looked for up to here. */
  root?: string;
}

/** The modules that are Django settings: they set Django-only names, or star-import a settings module. */
export function djangoSettingsModules(candidates: readonly DjangoModule[]): DjangoModule[] {
  const settings = new Set(
    candidates.filter((c) =>
      c.module.statements.some((s) => s.kind === "set" && DJANGO_MARKERS.has(s.key)),
    ),
  );
  let grew = true;
  while (grew) {
    grew = false;
    for (const candidate of candidates) {
      if (settings.has(candidate)) continue;
      const imports = starImports(candidate, candidates);
      if (imports.some((m) => settings.has(m))) {
        settings.add(candidate);
        grew = true;
      }
    }
  }
  return [...settings];
}

function starImports(from: DjangoModule, modules: readonly DjangoModule[]): DjangoModule[] {
  return from.module.statements.flatMap((s) => {
    if (s.kind !== "star") return [];
    const target = resolveModule(from.path, s.module, modules);
    return target ? [target] : [];
  });
}

function resolveModule(
  fromPath: string,
  name: string,
  modules: readonly DjangoModule[],
): DjangoModule | undefined {
  const dots = /^\.*/.exec(name)![0].length;
  const rest = name.slice(dots).split(".").filter(Boolean);
  const candidates: string[] = [];
  if (dots > 0) {
    let dir = dirname(fromPath);
    for (let i = 1; i < dots; i++) dir = dirname(dir);
    candidates.push(`${join(dir, ...rest)}.py`, join(dir, ...rest, "__init__.py"));
    return modules.find((m) => candidates.includes(m.path));
  }
  const suffixes = [`${sep}${rest.join(sep)}.py`, `${sep}${rest.join(sep)}${sep}__init__.py`];
  return modules.find((m) => suffixes.some((s) => m.path.endsWith(s)));
}

function moduleName(m: DjangoModule): string {
  const base = m.path.split(sep).at(-1)!.replace(/\.py$/, "");
  return base === "__init__" ? (m.path.split(sep).at(-2) ?? "") : base;
}

function moduleEnvironment(m: DjangoModule) {
  return environmentOf(moduleName(m));
}

/** Effective settings of a module after its star imports and assignments, in source order. */
function effective(
  m: DjangoModule,
  modules: readonly DjangoModule[],
  seen: Set<DjangoModule>,
): Map<string, Setting> {
  const result = new Map<string, Setting>();
  if (seen.has(m)) return result;
  seen.add(m);
  const isDev = moduleEnvironment(m) === "development";
  for (const stmt of m.module.statements) {
    if (stmt.kind === "set") result.set(stmt.key, stmt.setting);
    else if (stmt.kind === "star") {
      const target = resolveModule(m.path, stmt.module, modules);
      if (target === undefined) continue;
      // `try: from .local import *` in production settings is a developer's machine override;
      // an unconditional `from .dev import *` is what this configuration really runs.
      if (!isDev && stmt.optional && moduleEnvironment(target) === "development") continue;
      for (const [k, v] of effective(target, modules, new Set(seen))) result.set(k, v);
    } else {
      const current = result.get(stmt.key);
      if (current?.value.kind !== "list") continue;
      const items =
        stmt.op === "add"
          ? [...current.value.items, ...stmt.items]
          : current.value.items.filter(
              (item) => !stmt.items.some((gone) => sameLiteral(gone, item)),
            );
      result.set(stmt.key, { value: { kind: "list", items }, at: stmt.at, file: m.module.file });
    }
  }
  return result;
}

function sameLiteral(a: Value, b: Value): boolean {
  return a.kind === "string" && b.kind === "string" && a.value === b.value;
}

/** Lints every runnable Django configuration among the given settings modules. */
export function lintDjango(settingsModules: readonly DjangoModule[]): Finding[] {
  const imported = new Set(settingsModules.flatMap((m) => starImports(m, settingsModules)));
  const merged = new Map<string, { finding: Finding; leaves: DjangoModule[] }>();
  for (const leaf of settingsModules) {
    // Development and test leaves (`local.py`, `test.py`) are judged too: their findings are info.
    if (imported.has(leaf)) continue;
    const settings = effective(leaf, settingsModules, new Set());
    for (const finding of checkDjango(settings, leaf.module.file)) {
      // A setting that is absent is absent from the whole project, not from one leaf: keyed by
      // the project (the module its leaves build on) and what is missing, so base.py +
      // production.py + staging.py report it once.
      const where = isAbsentSetting(finding, leaf)
        ? `absent\u0000${projectRoot(leaf, settingsModules).path}\u0000${finding.evidence}`
        : `${finding.location?.file}\u0000${finding.location?.line}\u0000${finding.location?.column}`;
      const key = `${finding.id}\u0000${where}\u0000${finding.cookie}`;
      const entry = merged.get(key);
      if (entry) entry.leaves.push(leaf);
      else merged.set(key, { finding, leaves: [leaf] });
    }
  }
  const usage = new SettingsUsage();
  const reasons = new Map<DjangoModule, EnvironmentTag | undefined>();
  const reasonFor = (leaf: DjangoModule) => {
    if (!reasons.has(leaf)) reasons.set(leaf, nonProductionTag(leaf, settingsModules, usage));
    return reasons.get(leaf);
  };
  return [...merged.values()].map(({ finding, leaves }) => {
    const located =
      leaves.length > 1 && isAbsentSetting(finding, leaves[0]!)
        ? atSharedModule(finding, leaves, settingsModules)
        : finding;
    // Say which configuration a finding applies to, unless it is the file the finding is in.
    const files = leaves.map((l) => l.module.file);
    const named =
      files.length === 1 && files[0] === located.location?.file
        ? located
        : { ...located, evidence: `${located.evidence} (effective in ${files.join(", ")})` };
    // Insecure on a developer's machine is a note, not a vulnerability — unless a production
    // configuration shares the problem.
    const tags = leaves.map(reasonFor);
    if (tags.some((t) => t === undefined)) {
      const tag = productionTag(leaves, usage);
      return { ...named, environment: tag.environment, environmentReason: tag.reason };
    }
    // Shared by development and test settings only: development is the wider of the two.
    const tag = tags.find((t) => t!.environment === "development") ?? tags[0]!;
    const said = `${tag!.environment} settings: ${tag!.reason}`;
    return {
      ...named,
      severity: "info" as const,
      severityReason: said,
      evidence: `${named.evidence} (${said})`,
      environment: tag!.environment,
      environmentReason: tag!.reason,
    };
  });
}

// A leaf no deploy file starts is development or test settings when its own name says so
// (`settings/local.py`, `settings/test.py`) or the project runs it only there (compose files,
// manage.py's default, a star-imported dev module, DEBUG = True beside other settings).
// Undefined: it may run in production.
function nonProductionTag(
  leaf: DjangoModule,
  modules: readonly DjangoModule[],
  usage: SettingsUsage,
): EnvironmentTag | undefined {
  if (usage.productionReason(leaf) !== undefined) return undefined;
  const named = environmentOfName(moduleName(leaf));
  const shown = `module name ${leaf.module.file.split(/[\\/]/).slice(-2).join("/")}`;
  if (named === "test" || named === "development") return { environment: named, reason: shown };
  const reason = usage.developmentReason(leaf, modules);
  return reason === undefined ? undefined : { environment: "development", reason };
}

// A configuration not judged development-only runs in production when a deploy file starts it or
// its name says so; otherwise nothing says where it runs.
function productionTag(leaves: readonly DjangoModule[], usage: SettingsUsage): EnvironmentTag {
  for (const leaf of leaves) {
    const started = usage.productionReason(leaf);
    if (started !== undefined) return { environment: "production", reason: started };
  }
  const named = leaves.find((l) => moduleEnvironment(l) === "production");
  if (named !== undefined)
    return {
      environment: "production",
      reason: `module name ${named.module.file.split(/[\\/]/).slice(-2).join("/")}`,
    };
  return UNKNOWN_ENVIRONMENT;
}

// Findings about a missing option sit at the top of the leaf module (there is no line to point
// at); one at 1:1 where the leaf really assigns something is not one of them.
function isAbsentSetting(finding: Finding, leaf: DjangoModule): boolean {
  const at = finding.location;
  return (
    at !== undefined &&
    at.file === leaf.module.file &&
    at.line === 1 &&
    at.column === 1 &&
    !leaf.module.statements.some(
      (s) => s.kind === "set" && s.setting.at.line === 1 && s.setting.file === leaf.module.file,
    )
  );
}

// The settings module every one of `leaves` star-imports (directly or not), nearest first: that
// is where the missing option belongs. Without one, the first leaf keeps it.
function atSharedModule(
  finding: Finding,
  leaves: readonly DjangoModule[],
  modules: readonly DjangoModule[],
): Finding {
  const closures = leaves.map((leaf) => importClosure(leaf, modules));
  const shared = closures[0]!.find((m) => closures.every((c) => c.includes(m)));
  if (shared === undefined || finding.location === undefined) return finding;
  return { ...finding, location: { ...finding.location, file: shared.module.file } };
}

/** The module a configuration ultimately builds on (itself when it imports none). */
function projectRoot(leaf: DjangoModule, modules: readonly DjangoModule[]): DjangoModule {
  return importClosure(leaf, modules).at(-1) ?? leaf;
}

/** Modules `from` star-imports, transitively, nearest first. */
function importClosure(from: DjangoModule, modules: readonly DjangoModule[]): DjangoModule[] {
  const out: DjangoModule[] = [];
  const queue = starImports(from, modules);
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (out.includes(next)) continue;
    out.push(next);
    queue.push(...starImports(next, modules));
  }
  return out;
}

// Signed cookies hold the session on the client; with a pickle serializer the server unpickles
// whatever a signed cookie holds. Whoever learns SECRET_KEY (a leak, a default, a backup) signs a
// pickle that runs code on the server when it is loaded.
function pickledCookieFindings(serializer: Setting | undefined, file: string): Finding[] {
  if (serializer?.value.kind !== "string") return [];
  const path = serializer.value.value;
  if (!path.endsWith(".PickleSerializer") && path !== "PickleSerializer") return [];
  return [
    lintFinding({
      id: "session-serializer-pickle",
      severity: "critical",
      file: serializer.file ?? file,
      at: serializer.at,
      evidence: `SESSION_SERIALIZER = "${path}" with SESSION_ENGINE = "${SIGNED_COOKIES}": a cookie signed with a leaked SECRET_KEY runs code on the server when it is unpickled`,
      fix: 'Use SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer" (the default) and a server-side SESSION_ENGINE; rotate SECRET_KEY if it may have leaked.',
    }),
  ];
}

function checkDjango(settings: Map<string, Setting>, file: string): Finding[] {
  const get = (key: string) => settings.get(key);
  const findings: Finding[] = [];
  const middleware = get("MIDDLEWARE") ?? get("MIDDLEWARE_CLASSES");
  const names = middlewareNames(middleware);
  // A project whose MIDDLEWARE has no session middleware (a token-authenticated API) sets no
  // session cookie, and without CsrfViewMiddleware no CSRF cookie: their defaults do not matter.
  const usesSessions = names === undefined || names.some((n) => SESSION_MIDDLEWARE.includes(n));
  const usesCsrf = names === undefined || names.includes(CSRF_MIDDLEWARE);
  if (usesSessions) findings.push(...sessionCookieFindings(get, file));
  if (usesCsrf) findings.push(...csrfCookieFindings(get, file));
  findings.push(
    ...checkSecret({
      setting: get("SECRET_KEY"),
      key: "SECRET_KEY",
      file,
      fix: 'Read it from the environment: SECRET_KEY = os.environ["DJANGO_SECRET_KEY"], generated with django.core.management.utils.get_random_secret_key(); rotate the committed one.',
    }),
  );
  if (usesSessions) {
    const engine = get("SESSION_ENGINE");
    if (engine?.value.kind === "string" && engine.value.value === SIGNED_COOKIES) {
      findings.push(
        lintFinding({
          id: "session-engine-signed-cookies",
          severity: "medium",
          file: engine.file ?? file,
          at: engine.at,
          evidence: `SESSION_ENGINE = "${SIGNED_COOKIES}": session data is readable by the client and logout cannot invalidate a copied cookie`,
          fix: 'Use a server-side engine: SESSION_ENGINE = "django.contrib.sessions.backends.db" (or "cache"/"cached_db").',
        }),
      );
      findings.push(...pickledCookieFindings(get("SESSION_SERIALIZER"), file));
    }
  }
  if (middleware !== undefined && usesSessions && !usesCsrf) {
    findings.push(
      lintFinding({
        id: "csrf-disabled",
        severity: "high",
        file: middleware.file ?? file,
        at: middleware.at,
        evidence: `MIDDLEWARE does not include ${CSRF_MIDDLEWARE}`,
        fix: `Add "${CSRF_MIDDLEWARE}" to MIDDLEWARE (after SessionMiddleware) and exempt only the views that must be.`,
      }),
    );
  }
  return findings;
}

/** The middleware list when every entry is a literal; undefined when we cannot know it. */
function middlewareNames(setting: Setting | undefined): string[] | undefined {
  if (setting?.value.kind !== "list") return undefined;
  const names: string[] = [];
  for (const item of setting.value.items) {
    if (item.kind !== "string") return undefined;
    names.push(item.value);
  }
  return names;
}

/** The session cookie: Django defaults to no Secure, Lax, two weeks, the name "sessionid". */
function sessionCookieFindings(get: (key: string) => Setting | undefined, file: string): Finding[] {
  const anchor = { line: 1, column: 1 };
  const name = get("SESSION_COOKIE_NAME")?.value;
  return checkCookie({
    file,
    anchor,
    cookie: name?.kind === "string" ? name.value : "sessionid",
    secure: {
      setting: get("SESSION_COOKIE_SECURE"),
      key: "SESSION_COOKIE_SECURE",
      fix: "Set SESSION_COOKIE_SECURE = True in the production settings.",
      insecureByDefault: true,
    },
    httpOnly: {
      setting: get("SESSION_COOKIE_HTTPONLY"),
      key: "SESSION_COOKIE_HTTPONLY",
      fix: "Remove SESSION_COOKIE_HTTPONLY = False (Django's default is True).",
      insecureByDefault: false,
    },
    sameSite: {
      setting: get("SESSION_COOKIE_SAMESITE"),
      key: "SESSION_COOKIE_SAMESITE",
      fix: 'Set SESSION_COOKIE_SAMESITE = "Lax" (the default) or "Strict".',
      defaultValue: "Lax",
    },
    lifetime: {
      setting: get("SESSION_COOKIE_AGE"),
      key: "SESSION_COOKIE_AGE",
      fix: "Set SESSION_COOKIE_AGE = 60 * 60 * 8 (or at most 86400) and SESSION_SAVE_EVERY_REQUEST = True for an idle timeout.",
      defaultSeconds: DEFAULT_COOKIE_AGE,
    },
    name: {
      setting: get("SESSION_COOKIE_NAME"),
      key: "SESSION_COOKIE_NAME",
      fix: 'Set SESSION_COOKIE_NAME = "__Host-session" (with SESSION_COOKIE_SECURE = True).',
      defaultName: "sessionid",
    },
    domain: {
      setting: get("SESSION_COOKIE_DOMAIN"),
      key: "SESSION_COOKIE_DOMAIN",
      fix: "Remove SESSION_COOKIE_DOMAIN so the cookie stays host-only.",
    },
  });
}

/** The CSRF cookie: Django defaults to no Secure and Lax. */
function csrfCookieFindings(get: (key: string) => Setting | undefined, file: string): Finding[] {
  const anchor = { line: 1, column: 1 };
  const csrfName = get("CSRF_COOKIE_NAME")?.value;
  return checkCookie({
    file,
    anchor,
    cookie: csrfName?.kind === "string" ? csrfName.value : "csrftoken",
    secure: {
      setting: get("CSRF_COOKIE_SECURE"),
      key: "CSRF_COOKIE_SECURE",
      fix: "Set CSRF_COOKIE_SECURE = True in the production settings.",
      insecureByDefault: true,
    },
    sameSite: {
      setting: get("CSRF_COOKIE_SAMESITE"),
      key: "CSRF_COOKIE_SAMESITE",
      fix: 'Set CSRF_COOKIE_SAMESITE = "Lax" (the default) or "Strict".',
      defaultValue: "Lax",
    },
  });
}
