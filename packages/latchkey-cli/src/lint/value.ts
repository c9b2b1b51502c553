// What a configuration expression is worth, as far as one file can tell. Both language front
// ends (src/lint/js, src/lint/python) reduce their syntax trees to these values, so every rule
// is written once against them — `secure: false`, `SESSION_COOKIE_SECURE = False` and
// `cookie: { secure: false }` all arrive here as `{ kind: "bool", value: false }`.

/** 1-based, as editors and SARIF count. */
export interface Position {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export type Value =
  | { kind: "bool"; value: boolean }
  /** `public`: where the string is published (package.json's "name"), so it is no secret. */
  | { kind: "string"; value: string; public?: string }
  | { kind: "number"; value: number }
  /** A length of time resolved from `timedelta(...)`, `ms("7d")` or a duration string. */
  | { kind: "duration"; seconds: number }
  /** Python `None`, JavaScript `null` / `undefined`. */
  | { kind: "null" }
  | { kind: "list"; items: Value[] }
  /** `open` when a spread or unknown merge may add keys we cannot see. */
  | { kind: "object"; entries: Map<string, Setting>; open: boolean }
  /** Read straight from the environment; `fallback` is what is used when the variable is unset. */
  | { kind: "env"; name?: string; fallback?: Value }
  /** Computed from the environment or a debug flag: `NODE_ENV === "production"`, `not DEBUG`. */
  /**
   * `production`: what it is when the app runs with NODE_ENV=production, when that can be read
   * (`secure: process.env.NODE_ENV === "production"` is true there); `unsetInProduction` when
   * only a branch production does not take sets it, so production runs the default.
   */
  | { kind: "depends"; on: string; production?: Value; unsetInProduction?: boolean }
  | { kind: "unknown" };

/** A configuration value and where it was written. */
export interface Setting {
  value: Value;
  at: Position;
  /** The file that wrote it, when it differs from the file being reported (Django split settings). */
  file?: string;
  /**
   * Python: the dotted name the value is read from (`settings.SECRET_KEY`, `SECRET_KEY`), so an
   * imported module's setting can replace it once the project's modules are known.
   */
  ref?: string[];
}

export const UNKNOWN: Value = { kind: "unknown" };

/** A literal that a rule can judge on its own (not from the environment, not unknown). */
export function isLiteral(value: Value): boolean {
  return (
    value.kind === "bool" ||
    value.kind === "string" ||
    value.kind === "number" ||
    value.kind === "null" ||
    value.kind === "duration"
  );
}

/** Python/JavaScript truthiness of a literal; undefined when the value is not a literal. */
export function truthiness(value: Value): boolean | undefined {
  switch (value.kind) {
    case "bool":
      return value.value;
    case "string":
      return value.value.length > 0;
    case "number":
      return value.value !== 0;
    case "null":
      return false;
    default:
      return undefined;
  }
}

/** True when the value was read from or computed from the environment. */
export function isEnvironmental(
  value: Value,
): value is Extract<Value, { kind: "env" | "depends" }> {
  return value.kind === "env" || value.kind === "depends";
}

/** A short description of where an environment-dependent value comes from. */
export function describeSource(value: Value): string {
  if (value.kind === "env")
    return value.name !== undefined ? `env ${value.name}` : "the environment";
  if (value.kind === "depends") return value.on;
  return "a value only known at run time";
}

/**
 * The evidence form of a secret: its first characters and its length, never the whole
 * value (the report may end up in CI logs or a code-scanning dashboard).
 */
export function redactSecret(secret: string): string {
  const chars = [...secret];
  // At most four characters, and never more than a third of a short secret.
  const head = chars.slice(0, Math.min(4, Math.floor(chars.length / 3))).join("");
  return `"${JSON.stringify(head).slice(1, -1)}…" (${secret.length} chars)`;
}

/** Human form of a literal for evidence (never used for secrets). */
export function showLiteral(value: Value): string {
  switch (value.kind) {
    case "bool":
      return String(value.value);
    case "string":
      return JSON.stringify(value.value);
    case "number":
      return String(value.value);
    case "duration":
      return formatSeconds(value.seconds);
    case "null":
      return "None/null";
    default:
      return describeSource(value);
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hours`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  msec: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
  y: 31557600,
  yr: 31557600,
  year: 31557600,
  years: 31557600,
};

/**
 * Parses the duration strings JavaScript projects write (`ms("7d")`, latchkey's `"24h"`,
 * `"2 weeks"`) into seconds; undefined for anything else.
 */
export function parseDurationText(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "ms").toLowerCase();
  const factor = UNIT_SECONDS[unit];
  return factor === undefined ? undefined : amount * factor;
}
