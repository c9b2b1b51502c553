import { LatchkeyError } from "./errors.ts";

// Values in a session before login were written while nobody was authenticated, so anyone may have
// put them there: an attacker who logs the victim's browser into a session of the attacker's
// choosing (login CSRF), or who used a shared computer first, plants values that would otherwise
// be read as the victim's own once the victim logs in. It is session fixation one step on: a new
// token at login defeats a planted id, but not planted values carried into the new session. So
// login starts empty unless the application names what carries over.

/**
 * Which values of the session reach the session that `login()` starts: `"none"` (it starts
 * empty), `"all"`, or the names of the keys to carry over (e.g. a shopping cart).
 *
 * @example
 * ```ts
 * createSessions({ secrets, store, keepOnLogin: ["cart", "locale"] });
 * await req.session.login(user.id, { keep: ["returnTo"] }); // for this login only
 * ```
 */
export type KeepOnLogin = "none" | "all" | readonly string[];

/** `KeepOnLogin` as the modes use it: every key, or only those in the set. */
export type KeptKeys = "all" | ReadonlySet<string>;

/** `"none"`, the default: the logged-in session starts empty. */
export const NOTHING_KEPT: KeptKeys = new Set<string>();

/**
 * Checks a `keepOnLogin` option (`code` "config-invalid") or a `login({ keep })` argument
 * ("argument-invalid") and resolves it once.
 */
export function resolveKeepOnLogin(
  value: unknown,
  code: "config-invalid" | "argument-invalid",
  where: string,
): KeptKeys {
  if (value === "all") return "all";
  if (value === "none") return NOTHING_KEPT;
  if (Array.isArray(value) && value.every((key) => typeof key === "string" && key.length > 0)) {
    return new Set(value as string[]);
  }
  throw new LatchkeyError(
    code,
    `${where} must be "none", "all" or a list of session keys (e.g. ["cart"]); values set ` +
      "before login are carried into the logged-in session only when named.",
  );
}

/** The values (JSON text per key) that carry over into the logged-in session. */
export function keptOnLogin(
  data: Readonly<Record<string, string>>,
  kept: KeptKeys,
): Record<string, string> {
  if (kept === "all") return data as Record<string, string>;
  const result: Record<string, string> = Object.create(null);
  for (const key of kept) {
    if (Object.hasOwn(data, key)) result[key] = data[key] as string;
  }
  return result;
}

/** What one `login()` carries over: its own `keep`, checked, or else the configured default. */
export function keptForLogin(keep: KeepOnLogin | undefined, configured: KeptKeys): KeptKeys {
  if (keep === undefined) return configured;
  return resolveKeepOnLogin(keep, "argument-invalid", "login(userId, { keep })");
}

/** The keys of `data` that do not carry over. */
export function keysNotKept(data: Readonly<Record<string, string>>, kept: KeptKeys): string[] {
  if (kept === "all") return [];
  return Object.keys(data).filter((key) => !kept.has(key));
}
