/**
 * What became of the cookie a session had before `logout()`, `login()`, `rotate()` or
 * `reauthenticate()` ended or replaced it.
 *
 * With a server store, or sealed cookie sessions with a revocation store, the previous cookie
 * stops working at once, copies included (`copiesRemainValid: false`). Sealed cookie sessions
 * without a revocation store keep nothing on the server: the browser is told to drop or replace
 * the cookie, but a copy taken earlier (another tab's request in flight, malware, a shared
 * computer) still authenticates until its idle or absolute timeout (`copiesRemainValid: true`).
 * Add a revocation store to end copies: `cookieStore({ revocation: redisStore(…) })`.
 *
 * @example
 * ```ts
 * const { copiesRemainValid } = await req.session.logout();
 * if (copiesRemainValid) log.warn("logout: copies of the sealed cookie stay valid until they expire");
 * ```
 */
export interface CredentialChange {
  /** True when copies of the previous cookie still authenticate until their timeouts. */
  readonly copiesRemainValid: boolean;
}

/** The previous cookie, and every copy of it, no longer authenticates (or there was none). */
export const COPIES_END: CredentialChange = Object.freeze({ copiesRemainValid: false });

/** The previous cookie was replaced in this browser only: copies of it still authenticate. */
export const COPIES_REMAIN: CredentialChange = Object.freeze({ copiesRemainValid: true });
