// The cookie checks every framework shares, written once against resolved values. Framework front
// ends (js/frameworks.ts, python/flask.ts, python/django.ts) only say which option is which,
// what the framework's default is, and how to fix it in that framework.

import { CATALOGUE } from "../findings/catalogue.ts";
import type { Finding } from "../report/finding.ts";
import type { EnvironmentTag } from "./environment.ts";
import { lintFinding, type RuleId } from "./rules.ts";
import {
  describeSource,
  formatSeconds,
  isEnvironmental,
  type Position,
  type Setting,
  showLiteral,
  truthiness,
  type Value,
} from "./value.ts";

/**
 * The longest session we accept without a finding: 24 hours, the absolute timeout NIST SP 800-63B
 * sets for AAL2 and latchkey's own `nist-aal2` preset. Past a week it is `medium`.
 */
export const MAX_LIFETIME_SECONDS = 24 * 3600;
const LONG_LIFETIME_SECONDS = 7 * 24 * 3600;

/** Cookie names that tell an attacker which framework (and which exploits) to try. */
const DEFAULT_COOKIE_NAMES = new Set([
  "connect.sid",
  "sessionid",
  "session",
  "sessionId",
  "express:sess",
  "remember_token",
  "PHPSESSID",
  "JSESSIONID",
]);

export interface OptionSpec {
  /** Undefined when the code never sets the option. */
  setting: Setting | undefined;
  /** How the user writes the option: `SESSION_COOKIE_SECURE`, `cookie.secure`. */
  key: string;
  fix: string;
}

export interface CookieSpec {
  /** The file findings about missing options are reported in (where `anchor` is). */
  file: string;
  /** Where to report an option that is missing: the call or class that configures the cookie. */
  anchor: Position;
  /** The cookie's name, for the finding (never its value). */
  cookie: string;
  /** Appended to evidence, e.g. " (in ProductionConfig)". */
  where?: string;
  secure?: OptionSpec & { insecureByDefault: boolean };
  httpOnly?: OptionSpec & { insecureByDefault: boolean };
  sameSite?: OptionSpec & { defaultValue: string | undefined };
  /** `setting` holds seconds (numbers or durations); front ends convert milliseconds first. */
  lifetime?: OptionSpec & { defaultSeconds: number | undefined };
  name?: OptionSpec & { defaultName: string };
  domain?: OptionSpec;
}

type Emit = (
  id: RuleId,
  sev: Finding["severity"],
  at: Setting | undefined,
  evidence: string,
  fix: string,
  environment?: EnvironmentTag,
) => void;

/** Checks one cookie's options: Secure, HttpOnly, SameSite, lifetime, name and Domain. */
export function checkCookie(spec: CookieSpec): Finding[] {
  const findings: Finding[] = [];
  const where = spec.where ?? "";
  const kind = cookieKind(spec);
  const emit: Emit = (id, severity, setting, evidence, fix, environment) => {
    findings.push(
      lintFinding({
        id,
        severity,
        ...(environment !== undefined ? { environment } : {}),
        title: fittedTitle(CATALOGUE[id].title, kind),
        file: setting?.file ?? spec.file,
        at: setting?.at ?? spec.anchor,
        evidence: `${evidence}${where}`,
        fix,
        cookie: spec.cookie,
      }),
    );
  };
  if (spec.secure !== undefined) checkFlag("cookie-missing-secure", spec.secure, emit);
  if (spec.httpOnly !== undefined) checkFlag("cookie-missing-httponly", spec.httpOnly, emit);
  if (spec.sameSite !== undefined) checkSameSite(spec, spec.sameSite, emit);
  if (spec.lifetime !== undefined) checkLifetime(spec.lifetime, emit);
  if (spec.name !== undefined) checkName(spec.name, emit);
  if (spec.domain !== undefined) checkDomain(spec.domain, emit);
  return findings;
}

type CookieKind = "Session cookie" | "Remember-me cookie" | "CSRF cookie";

// What the configured cookie is, from its settings' names (REMEMBER_COOKIE_*, CSRF_COOKIE_*) or
// its own name: the titles name it, so a remember-me finding does not send the reader to the
// session cookie's settings.
function cookieKind(spec: CookieSpec): CookieKind {
  const keys = [spec.secure, spec.httpOnly, spec.sameSite, spec.lifetime, spec.name, spec.domain]
    .map((o) => o?.key ?? "")
    .join(" ");
  if (/\bREMEMBER_/.test(keys) || /remember/i.test(spec.cookie)) return "Remember-me cookie";
  if (/\bCSRF_/.test(keys) || /csrf|xsrf/i.test(spec.cookie)) return "CSRF cookie";
  return "Session cookie";
}

function lowerKind(kind: CookieKind): string {
  return kind === "CSRF cookie" ? kind : kind.toLowerCase();
}

/** "Session cookie lives too long" → "Remember-me cookie lives too long"; "Cookie …" likewise. */
function fittedTitle(title: string, kind: CookieKind): string {
  if (kind === "Session cookie") return title;
  return title.replace(/^(?:Session cookie|Cookie)\b/, kind);
}

/** Shows a literal the way the user wrote the option: `False`/`None` for Python settings. */
function shown(key: string, value: Value): string {
  if (/^[A-Z][A-Z0-9_]*$/.test(key)) {
    if (value.kind === "bool") return value.value ? "True" : "False";
    if (value.kind === "null") return "None";
  }
  if (value.kind === "null") return "null";
  return showLiteral(value);
}

function checkFlag(
  id: RuleId,
  option: OptionSpec & { insecureByDefault: boolean },
  emit: Emit,
): void {
  const { setting, key, fix } = option;
  if (setting === undefined) {
    if (option.insecureByDefault)
      emit(id, "medium", undefined, `${key} is not set and the default is off`, fix);
    return;
  }
  const value = setting.value;
  if (value.kind === "depends" && value.unsetInProduction) {
    // Set only in a branch production does not take: production runs the default.
    if (option.insecureByDefault)
      emit(
        id,
        "medium",
        setting,
        `${key} is set only when NODE_ENV is not production (${value.on}): production runs the default, off`,
        fix,
        {
          environment: "production",
          reason: `${value.on} is false when NODE_ENV is production`,
        },
      );
    return;
  }
  if (isEnvironmental(value)) {
    // `secure: NODE_ENV === "production"` is on in production: only a development run has it off.
    const inProduction = value.kind === "depends" ? value.production : undefined;
    const on = inProduction === undefined ? undefined : truthiness(inProduction);
    if (on === false) {
      emit(
        id,
        "high",
        setting,
        `${key} is off when NODE_ENV is production (${describeSource(value)})`,
        fix,
        {
          environment: "production",
          reason: `${describeSource(value)} is false when NODE_ENV is production`,
        },
      );
    } else if (on === true) {
      emit(
        id,
        "info",
        setting,
        `${key} is on only when NODE_ENV is production (${describeSource(value)})`,
        fix,
        {
          environment: "development",
          reason: `${describeSource(value)} is true when NODE_ENV is production; only other environments run without it`,
        },
      );
    } else {
      emit(
        id,
        "info",
        setting,
        `${key} depends on ${describeSource(value)}: as safe as the production environment`,
        fix,
      );
    }
    return;
  }
  if (truthiness(value) === false) emit(id, "high", setting, `${key} = ${shown(key, value)}`, fix);
}

function effectivelySecure(spec: CookieSpec): boolean | undefined {
  const secure = spec.secure;
  if (secure === undefined) return undefined;
  if (secure.setting === undefined) return !secure.insecureByDefault;
  const value = secure.setting.value;
  // Judged as production runs it: `secure: NODE_ENV === "production"` is on there.
  if (value.kind === "depends" && value.production !== undefined)
    return truthiness(value.production);
  return truthiness(value);
}

// Severities follow `latchkey audit` for a session cookie: missing or invalid SameSite is medium,
// None without Secure is high (browsers reject the cookie; over HTTP it would go cross-site), and
// None with Secure is low (a deliberate cross-site cookie that needs CSRF tokens).
function checkSameSite(
  spec: CookieSpec,
  option: OptionSpec & { defaultValue: string | undefined },
  emit: Emit,
): void {
  const { setting, key, fix } = option;
  if (setting === undefined) {
    if (option.defaultValue === undefined) {
      emit(
        "cookie-samesite-missing",
        "medium",
        undefined,
        `${key} is not set: the cookie is sent without SameSite`,
        fix,
      );
    }
    return;
  }
  const value = setting.value;
  if (isEnvironmental(value)) {
    emit(
      "cookie-samesite-missing",
      "info",
      setting,
      `${key} depends on ${describeSource(value)}`,
      fix,
    );
    return;
  }
  if (value.kind === "bool" && value.value) return; // express/cookie: `sameSite: true` means Strict
  if (
    value.kind === "null" ||
    (value.kind === "bool" && !value.value) ||
    (value.kind === "string" && value.value === "")
  ) {
    emit(
      "cookie-samesite-missing",
      "medium",
      setting,
      `${key} = ${shown(key, value)}: no SameSite attribute`,
      fix,
    );
    return;
  }
  if (value.kind !== "string") return;
  const lowered = value.value.toLowerCase();
  if (lowered === "lax" || lowered === "strict") return;
  if (lowered === "none") {
    const secure = effectivelySecure(spec);
    if (secure === false) {
      emit(
        "cookie-samesite-none-insecure",
        "high",
        setting,
        `${key} = "${value.value}" while Secure is off: browsers reject the cookie, and over HTTP it would go cross-site`,
        fix,
      );
    } else if (secure === true) {
      emit(
        "cookie-samesite-none",
        "low",
        setting,
        `${key} = "${value.value}": the ${lowerKind(cookieKind(spec))} is sent on cross-site requests`,
        fix,
      );
    }
    return;
  }
  emit(
    "cookie-samesite-invalid",
    "medium",
    setting,
    `${key} = ${shown(key, value)} is not Strict, Lax or None`,
    fix,
  );
}

function secondsOf(value: Value): number | undefined {
  if (value.kind === "duration") return value.seconds;
  if (value.kind === "number") return value.value;
  return undefined;
}

function checkLifetime(
  option: OptionSpec & { defaultSeconds: number | undefined },
  emit: Emit,
): void {
  const { setting, key, fix } = option;
  const seconds = setting === undefined ? option.defaultSeconds : secondsOf(setting.value);
  if (seconds === undefined || seconds <= MAX_LIFETIME_SECONDS) return;
  const severity = seconds > LONG_LIFETIME_SECONDS && setting !== undefined ? "medium" : "low";
  const shown = formatSeconds(Math.round(seconds));
  const evidence =
    setting === undefined ? `${key} is not set: the default is ${shown}` : `${key} = ${shown}`;
  emit("cookie-lifetime-long", severity, setting, evidence, fix);
}

function checkName(option: OptionSpec & { defaultName: string }, emit: Emit): void {
  const { setting, key, fix } = option;
  if (setting === undefined) {
    emit(
      "cookie-name-fingerprint",
      "low",
      undefined,
      `${key} is not set: the cookie is called "${option.defaultName}"`,
      fix,
    );
    return;
  }
  const value = setting.value;
  if (value.kind === "string" && DEFAULT_COOKIE_NAMES.has(value.value)) {
    emit(
      "cookie-name-fingerprint",
      "low",
      setting,
      `${key} = "${value.value}", a framework default`,
      fix,
    );
  }
}

function checkDomain(option: OptionSpec, emit: Emit): void {
  const { setting, key, fix } = option;
  const value = setting?.value;
  if (value?.kind === "string" && value.value !== "") {
    emit(
      "cookie-domain-broad",
      "low",
      setting,
      `${key} = "${value.value}": every subdomain receives the cookie`,
      fix,
    );
  }
}
