/**
 * Headers a response needs because of the session. `null` fields: leave that header alone.
 *
 * @example
 * ```ts
 * const headers = await sessions.commit(session);
 * if (headers !== null) {
 *   res.setHeader("set-cookie", headers.setCookie);
 *   res.setHeader("cache-control", headers.cacheControl);
 *   if (headers.clearSiteData !== null) res.setHeader("clear-site-data", headers.clearSiteData);
 * }
 * ```
 */
export interface SessionHeaders {
  /** One Set-Cookie line for the session cookie. */
  readonly setCookie: string;
  /** Always `no-store` when a session cookie is set (ASVS 5.0 14.3.2): a cache must never replay it. */
  readonly cacheControl: "no-store";
  /** `Clear-Site-Data` on logout. */
  readonly clearSiteData: string | null;
  /**
   * More Set-Cookie lines the response carries with the session cookie: a migrated request
   * expires the legacy framework's cookie (`latchkey/migrate`). Absent almost always.
   */
  readonly alsoSetCookie?: readonly string[];
  /**
   * Further response headers that go with this commit (lower-case names): the
   * `Secure-Session-Registration` offer on a login's response when `deviceBound` is on. Absent
   * almost always.
   */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

/**
 * The end of a request, in two steps so that every adapter can order them as its framework
 * needs: `persist()` does the store work, then `headers` says what the response carries. Adapters
 * await `persist()` before sending the response, so a failed write never goes out as a success.
 *
 * When `writes` is false, `headers` is final at once. When it is true, read `headers` only after
 * `persist()` resolved: the store work may change them (a rotation lost to a concurrent request
 * or to a revocation sends no cookie; a sealed session revoked meanwhile is not re-sealed).
 *
 * @example
 * ```ts
 * const pending = sessions.prepare(session);
 * await pending.persist(); // throws store-unavailable rather than answer as if it had worked
 * if (pending.headers !== null) res.setHeader("set-cookie", pending.headers.setCookie);
 * ```
 */
export interface PendingCommit {
  /** What the response carries; final once `persist()` resolved (at once when `writes` is false). */
  readonly headers: SessionHeaders | null;
  /** False when `persist()` has nothing to do (a sealed cookie, an unchanged session): the headers can go out at once. */
  readonly writes: boolean;
  persist(): Promise<void>;
}

const resolved = Promise.resolve();

/** Nothing to send and nothing to write: the common read-only request. */
export const NOTHING_TO_COMMIT: PendingCommit = {
  headers: null,
  writes: false,
  persist: () => resolved,
};

export function headersOnly(headers: SessionHeaders): PendingCommit {
  return { headers, writes: false, persist: () => resolved };
}

/**
 * A commit whose headers are decided by its store work: `settle` does the work and answers the
 * headers the response carries, read by adapters once `persist()` resolved. `headers` holds
 * `provisional` before that, for a response that streams and cannot wait.
 */
export function settledCommit(
  provisional: SessionHeaders | null,
  settle: () => Promise<SessionHeaders | null>,
): PendingCommit {
  const pending = {
    headers: provisional,
    writes: true as const,
    persist: async () => {
      pending.headers = await settle();
    },
  };
  return pending;
}
