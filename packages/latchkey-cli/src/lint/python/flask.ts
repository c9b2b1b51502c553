// Flask, Flask-Session, Flask-Login and Flask-WTF settings, wherever a Flask project writes
// them: `app.config` in the app factory, config classes (`class ProductionConfig(Config)`), or a
// config module. Defaults are Flask 3.1's: SESSION_COOKIE_SECURE False, HTTPONLY True, SAMESITE
// None, PERMANENT_SESSION_LIFETIME 31 days; Flask-Login's REMEMBER_COOKIE_SECURE False,
// SAMESITE None, DURATION 365 days.
import type { Finding } from "../../report/finding.ts";
import { checkCookie } from "../cookie-checks.ts";
import {
  ENVIRONMENT_RANK,
  type EnvironmentTag,
  inEnvironment,
  UNKNOWN_ENVIRONMENT,
} from "../environment.ts";
import { lintFinding } from "../rules.ts";
import { checkSecret } from "../secret-check.ts";
import {
  describeSource,
  isEnvironmental,
  type Position,
  type Setting,
  truthiness,
} from "../value.ts";
import type { FlaskEnvironments } from "./flask-environment.ts";
import type { ConfigClass, PyModule } from "./module.ts";

export const FLASK_KEYS = new Set([
  "SECRET_KEY",
  "SESSION_COOKIE_SECURE",
  "SESSION_COOKIE_HTTPONLY",
  "SESSION_COOKIE_SAMESITE",
  "SESSION_COOKIE_NAME",
  "SESSION_COOKIE_DOMAIN",
  "PERMANENT_SESSION_LIFETIME",
  "SESSION_PERMANENT",
  "SESSION_TYPE",
  "REMEMBER_COOKIE_SECURE",
  "REMEMBER_COOKIE_HTTPONLY",
  "REMEMBER_COOKIE_SAMESITE",
  "REMEMBER_COOKIE_DURATION",
  "REMEMBER_COOKIE_NAME",
  "WTF_CSRF_ENABLED",
  "WTF_CSRF_CHECK_DEFAULT",
]);

const FLASK_DEFAULT_LIFETIME = 31 * 86400;
const REMEMBER_DEFAULT_DURATION = 365 * 86400;

export interface FlaskContext {
  file: string;
  anchor: Position;
  settings: ReadonlyMap<string, Setting>;
  /** Judge options the code leaves out by Flask's defaults (we see the whole configuration). */
  defaults: boolean;
  where: string;
  /** Some view calls `login_user(..., remember=…)`: Flask-Login's remember-me cookie is set. */
  remembersLogins: boolean;
  usesFlaskSession: boolean;
  /** The file makes sessions permanent (`session.permanent = True`). */
  permanentSessions: boolean;
}

/**
 * Lints the Flask configuration a module writes. `app` is what the modules it belongs with
 * (those it imports or is imported by) do: `login_user(user, remember=True)` in `auth.py`
 * gives the config class in `config.py` a remember-me cookie to judge.
 */
export function lintFlask(
  module: PyModule,
  isDjango: boolean,
  app?: Pick<FlaskContext, "remembersLogins" | "usesFlaskSession" | "permanentSessions">,
  environments?: FlaskEnvironments,
): Finding[] {
  const findings: Finding[] = [];
  const base = {
    file: module.file,
    remembersLogins: module.app.remembersLogins || app?.remembersLogins === true,
    usesFlaskSession: module.imports.has("flask_session") || app?.usesFlaskSession === true,
    permanentSessions: module.app.permanentSessions || app?.permanentSessions === true,
  };
  const config = module.app;
  if (config.settings.size > 0 || config.apps.length > 0) {
    const anchor = config.apps[0] ?? [...config.settings.values()][0]!.at;
    findings.push(
      ...inEnvironment(
        checkFlask({
          ...base,
          anchor,
          settings: config.settings,
          defaults:
            config.apps.length > 0 && !config.loadsExternal && usesSessions(config.settings),
          where: "",
        }),
        appEnvironment(module),
      ),
    );
  }
  findings.push(...lintConfigClasses(module, base, environments));
  // A development or test config module (`dev.py`) is judged too: its findings are info.
  if (!isDjango) {
    const settings = new Map<string, Setting>();
    for (const stmt of module.statements)
      if (stmt.kind === "set" && FLASK_KEYS.has(stmt.key)) settings.set(stmt.key, stmt.setting);
    if (settings.size > 0) {
      const anchor = [...settings.values()][0]!.at;
      findings.push(
        ...inEnvironment(
          checkFlask({ ...base, anchor, settings, defaults: false, where: "" }),
          environments?.ofModule(module) ?? UNKNOWN_ENVIRONMENT,
        ),
      );
    }
  }
  return dedupe(findings);
}

function lintConfigClasses(
  module: PyModule,
  base: Pick<FlaskContext, "file" | "remembersLogins" | "usesFlaskSession" | "permanentSessions">,
  environments: FlaskEnvironments | undefined,
): Finding[] {
  const byName = new Map(module.classes.map((c) => [c.name, c]));
  const usedAsBase = new Set(module.classes.flatMap((c) => c.bases));
  const findings: Finding[] = [];
  for (const cls of module.classes) {
    if (usedAsBase.has(cls.name)) continue; // judged through the classes that extend it
    const settings = effectiveSettings(cls, byName, new Set());
    if (![...settings.keys()].some((k) => FLASK_KEYS.has(k))) continue;
    findings.push(
      ...inEnvironment(
        checkFlask({
          ...base,
          anchor: cls.at,
          settings,
          defaults: usesSessions(settings),
          where: ` (in ${cls.name})`,
        }),
        environments?.ofClass(module, cls.name) ?? UNKNOWN_ENVIRONMENT,
      ),
    );
  }
  return findings;
}

// `app.config[...]` written where the app is built applies in every environment the app runs in.
function appEnvironment(module: PyModule): EnvironmentTag {
  return module.app.apps.length > 0
    ? {
        environment: "unknown",
        reason: "set where the app is built, so it applies in every environment the app runs in",
      }
    : UNKNOWN_ENVIRONMENT;
}

/**
 * Flask refuses to use its session without a SECRET_KEY, so an app or config that never sets
 * one (an API using only `db.session`, a database-only config class) has no session cookie
 * whose defaults could be wrong.
 */
export function usesSessions(settings: ReadonlyMap<string, Setting>): boolean {
  return settings.has("SECRET_KEY");
}

export function effectiveSettings(
  cls: ConfigClass,
  byName: Map<string, ConfigClass>,
  seen: Set<string>,
): Map<string, Setting> {
  const merged = new Map<string, Setting>();
  if (seen.has(cls.name)) return merged;
  seen.add(cls.name);
  // Python's MRO, simplified: later bases first so earlier ones win, then the class itself.
  for (const baseName of [...cls.bases].reverse()) {
    const parent = byName.get(baseName);
    if (parent) for (const [k, v] of effectiveSettings(parent, byName, seen)) merged.set(k, v);
  }
  for (const [k, v] of cls.settings) merged.set(k, v);
  return merged;
}

export function checkFlask(ctx: FlaskContext): Finding[] {
  const { settings, defaults, file, anchor, where } = ctx;
  const get = (key: string) => settings.get(key);
  const cookieName = get("SESSION_COOKIE_NAME")?.value;
  const permanent = get("SESSION_PERMANENT")?.value;
  // Flask-Session makes every session permanent unless SESSION_PERMANENT = False.
  const sessionsPermanentByDefault =
    ctx.permanentSessions ||
    ((ctx.usesFlaskSession || get("SESSION_TYPE") !== undefined) &&
      (permanent === undefined || truthiness(permanent) !== false));
  const findings: Finding[] = checkCookie({
    file,
    anchor,
    where,
    cookie: cookieName?.kind === "string" ? cookieName.value : "session",
    secure: {
      setting: get("SESSION_COOKIE_SECURE"),
      key: "SESSION_COOKIE_SECURE",
      fix: "Set SESSION_COOKIE_SECURE = True (Flask's default is False).",
      insecureByDefault: defaults,
    },
    httpOnly: {
      setting: get("SESSION_COOKIE_HTTPONLY"),
      key: "SESSION_COOKIE_HTTPONLY",
      fix: "Remove SESSION_COOKIE_HTTPONLY = False (Flask's default is True).",
      insecureByDefault: false,
    },
    sameSite: {
      setting: get("SESSION_COOKIE_SAMESITE"),
      key: "SESSION_COOKIE_SAMESITE",
      fix: 'Set SESSION_COOKIE_SAMESITE = "Lax" (or "Strict").',
      defaultValue: defaults ? undefined : "unknown",
    },
    lifetime: {
      setting: get("PERMANENT_SESSION_LIFETIME"),
      key: "PERMANENT_SESSION_LIFETIME",
      fix: "Set PERMANENT_SESSION_LIFETIME = timedelta(hours=1) or at most timedelta(hours=24).",
      defaultSeconds: defaults && sessionsPermanentByDefault ? FLASK_DEFAULT_LIFETIME : undefined,
    },
    ...(defaults || get("SESSION_COOKIE_NAME") !== undefined
      ? {
          name: {
            setting: get("SESSION_COOKIE_NAME"),
            key: "SESSION_COOKIE_NAME",
            fix: 'Set SESSION_COOKIE_NAME = "__Host-session" (with SESSION_COOKIE_SECURE = True and SESSION_COOKIE_PATH = "/").',
            defaultName: "session",
          },
        }
      : {}),
    domain: {
      setting: get("SESSION_COOKIE_DOMAIN"),
      key: "SESSION_COOKIE_DOMAIN",
      fix: "Remove SESSION_COOKIE_DOMAIN so the cookie stays host-only.",
    },
  });
  const rememberKeys = [...settings.keys()].some((k) => k.startsWith("REMEMBER_COOKIE_"));
  if (rememberKeys || (defaults && ctx.remembersLogins)) {
    // REMEMBER_COOKIE_* options say the app sets the cookie as surely as a login_user call does.
    const loginDefaults = defaults && (ctx.remembersLogins || rememberKeys);
    const name = get("REMEMBER_COOKIE_NAME")?.value;
    findings.push(
      ...checkCookie({
        file,
        anchor,
        where,
        cookie: name?.kind === "string" ? name.value : "remember_token",
        secure: {
          setting: get("REMEMBER_COOKIE_SECURE"),
          key: "REMEMBER_COOKIE_SECURE",
          fix: "Set REMEMBER_COOKIE_SECURE = True (Flask-Login's default is False).",
          insecureByDefault: loginDefaults,
        },
        httpOnly: {
          setting: get("REMEMBER_COOKIE_HTTPONLY"),
          key: "REMEMBER_COOKIE_HTTPONLY",
          fix: "Remove REMEMBER_COOKIE_HTTPONLY = False (Flask-Login's default is True).",
          insecureByDefault: false,
        },
        sameSite: {
          setting: get("REMEMBER_COOKIE_SAMESITE"),
          key: "REMEMBER_COOKIE_SAMESITE",
          fix: 'Set REMEMBER_COOKIE_SAMESITE = "Lax" (or "Strict").',
          defaultValue: loginDefaults ? undefined : "unknown",
        },
        lifetime: {
          setting: get("REMEMBER_COOKIE_DURATION"),
          key: "REMEMBER_COOKIE_DURATION",
          fix: "Set REMEMBER_COOKIE_DURATION = timedelta(days=1) or as short as the product allows.",
          defaultSeconds: loginDefaults ? REMEMBER_DEFAULT_DURATION : undefined,
        },
      }),
    );
  }
  findings.push(
    ...checkSecret({
      setting: get("SECRET_KEY"),
      key: "SECRET_KEY",
      file,
      where,
      fix: 'Load it from the environment: SECRET_KEY = os.environ["SECRET_KEY"], generated with `python -c "import secrets; print(secrets.token_hex(32))"`; rotate the committed one.',
    }),
  );
  for (const [key, severityIfOff, fix] of [
    [
      "WTF_CSRF_ENABLED",
      "high",
      "Remove WTF_CSRF_ENABLED = False outside tests (Flask-WTF's default is True).",
    ],
    [
      "WTF_CSRF_CHECK_DEFAULT",
      "medium",
      "Remove WTF_CSRF_CHECK_DEFAULT = False so every view is protected, or call csrf.protect() in each state-changing view.",
    ],
  ] as const) {
    const setting = get(key);
    if (setting === undefined) continue;
    const value = setting.value;
    const severity = isEnvironmental(value)
      ? "info"
      : truthiness(value) === false
        ? severityIfOff
        : undefined;
    if (severity === undefined) continue;
    const evidence = isEnvironmental(value)
      ? `${key} depends on ${describeSource(value)}`
      : `${key} = False`;
    findings.push(
      lintFinding({
        id: "csrf-disabled",
        severity,
        file: setting.file ?? file,
        at: setting.at,
        evidence: `${evidence}${where}`,
        fix,
      }),
    );
  }
  return findings;
}

/** The same setting reached through two leaf classes is one problem, reported once. */
// A value a base class writes, inherited by DevelopmentConfig and ProductionConfig, is one
// problem at one place: reported once, judged by the strictest environment that runs it.
function dedupe(findings: Finding[]): Finding[] {
  const kept = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.id}\u0000${f.location?.file}\u0000${f.location?.line}\u0000${f.location?.column}\u0000${f.cookie}`;
    const seen = kept.get(key);
    if (seen === undefined || rank(f) > rank(seen)) kept.set(key, f);
  }
  return [...kept.values()];
}

function rank(f: Finding): number {
  return ENVIRONMENT_RANK[f.environment ?? "unknown"];
}
