import type { TamperReason } from "../core/events.ts";

/**
 * A legacy session that verified: what it held, and whose it was. `data` is already mapped to
 * latchkey keys (each reader's `data` option); `userId` by its `userId` option.
 */
export interface LegacySession {
  readonly userId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  /** The legacy cookie outlived the browser ("remember me"): the latchkey session will too. */
  readonly persistent: boolean;
  /**
   * When the legacy app issued (signed) the cookie, in milliseconds since the epoch, when its
   * format says so (Flask's signed timestamp); absent otherwise. `withMigration`'s `marks` refuse a
   * cookie issued before a `revokeUser`/`revokeAll`; one without an issue time counts as issued
   * before every revocation.
   */
  readonly issuedAt?: number;
  /**
   * Deletes the legacy record, so a copy of the legacy cookie cannot be imported again. Server
   * stores only; a signed cookie cannot be withdrawn (`withMigration`'s `marks` refuse its copies).
   */
  retire?(): Promise<void>;
}

/** What a reader made of a request's legacy cookies. */
export type LegacyLookup =
  /** No legacy session: no cookie of its name, or its record expired or was deleted. */
  | { readonly outcome: "absent" }
  /** The cookie did not verify: never imported (a `tampered` event, an anonymous request). */
  | { readonly outcome: "refused"; readonly reason: TamperReason }
  | { readonly outcome: "found"; readonly session: LegacySession };

/**
 * Reads one framework's sessions. `cookieNames[0]` is the session cookie; every name listed is
 * expired once the session moved to latchkey. `read` gets the request's cookies of those names
 * (each present at most once: two of one name are refused before `read` runs).
 *
 * @example
 * ```ts
 * const reader: LegacyReader = {
 *   cookieNames: ["legacy"],
 *   async read(cookies) {
 *     const id = cookies.get("legacy");
 *     if (id === undefined) return { outcome: "absent" };
 *     const found = await db.sessions.find(id);
 *     return found === null
 *       ? { outcome: "absent" }
 *       : { outcome: "found", session: { userId: found.user, data: {}, persistent: false } };
 *   },
 * };
 * ```
 */
export interface LegacyReader {
  readonly cookieNames: readonly string[];
  /**
   * Other cookies the legacy framework set next to its session (Flask-Login's `remember_token`):
   * never read, only expired with the session cookie when a session moves.
   */
  readonly companionCookieNames?: readonly string[];
  /**
   * How long after it was issued a legacy cookie still verifies, in milliseconds (Flask's
   * `maxAge`); absent when the format has no expiry of its own (cookie-session). `withMigration`
   * remembers imports and revocations at least this long.
   */
  readonly maxAgeMs?: number;
  read(cookies: ReadonlyMap<string, string>): Promise<LegacyLookup>;
}

export const ABSENT: LegacyLookup = { outcome: "absent" };

export function refused(reason: TamperReason): LegacyLookup {
  return { outcome: "refused", reason };
}
