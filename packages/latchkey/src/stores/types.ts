/**
 * The contract between latchkey and a server-side store. Small on purpose (a handful of
 * promise-returning methods, as in Lucia): one conformance suite checks every implementation.
 *
 * Keys (`ref`) are hashes of token ids, never tokens. Values are kept per key as JSON text, so a
 * store can apply a request's change set key by key (`update`) instead of overwriting the whole
 * record: two concurrent requests that change different keys both persist. A store must return
 * each value's text exactly as it was given (no re-formatting, e.g. PostgreSQL `json`, not
 * `jsonb`): the engine compares texts to notice in-place changes.
 */
export interface SessionMeta {
  /**
   * A random, stable id for the session (not a credential): kept through periodic rotation,
   * replaced at login and reauthentication. CSRF tokens are bound to it.
   */
  sid: string;
  /** When the session began (login resets it); the absolute timeout counts from here. */
  createdAt: number;
  /** Last recorded activity; the idle timeout counts from here. Written at most once per touch interval. */
  lastSeenAt: number;
  /** When this token was issued: periodic rotation counts from here. */
  issuedAt: number;
  /** When the store may forget the entry: the earlier of the idle and absolute deadlines (or the end of a rotation grace window). */
  expiresAt: number;
  userId: string | null;
  /** When the user last proved who they are (login or reauthentication). */
  authTime: number | null;
  /** "Remember me": the cookie carries Max-Age (never beyond the absolute timeout). */
  persistent: boolean;
  userAgent: string | null;
  /** Set on a token that was rotated away: the ref that replaced it, valid until `expiresAt`. */
  successor: string | null;
}

export interface StoredSession {
  /** SHA-256 of the token's secret part, base64url. */
  secretHash: string;
  meta: SessionMeta;
  /** Session values, each as JSON text. */
  data: Record<string, string>;
}

/** What one request changed. Absent parts are left as they are. */
export interface SessionChange {
  meta?: Partial<SessionMeta>;
  /** Keys to set, with their new JSON text. */
  set?: Record<string, string>;
  /** Keys to remove. */
  delete?: readonly string[];
}

/**
 * What `claim()` answers. `claimed: false` leaves the entry as it was; `successor` is the ref
 * that won the rotation (follow it), or null when the entry is gone (revoked, logged out, expired).
 */
export type ClaimResult = { claimed: true } | { claimed: false; successor: string | null };

/** What `createWithinLimit()` does when a login would exceed the user's limit. */
export type SessionLimitPolicy = "refuse" | "evict-oldest";

/** The per-user limit `createWithinLimit()` enforces. */
export interface SessionLimit {
  /** Most live sessions the user may have, the new one included: a whole number of 1 or more. */
  limit: number;
  policy: SessionLimitPolicy;
  /**
   * A ref not counted and never evicted: the token the login replaces, which the engine claims
   * (with `pointerUntil` 0) right after.
   */
  exceptRef?: string | null;
  /** The clock of the caller: entries with `expiresAt <= now` are not live. */
  now: number;
}

/** What `createWithinLimit()` did. */
export type LimitedCreateResult =
  /** The entry exists; `evicted` are the refs removed to make room (oldest first), with their successor chains. */
  | { created: true; evicted: string[] }
  /** Policy "refuse" and no room: nothing was created or removed; `live` is how many live sessions the user has. */
  | { created: false; live: number };

/** One entry of `listByUser`. */
export interface SessionSummary {
  ref: string;
  meta: SessionMeta;
}

export interface Store {
  /** Tells the engine this is a server-side store (and not the sealed-cookie marker). */
  readonly kind: "server";
  /**
   * The entry, or `null` when there is none. May return entries past `expiresAt`; the engine
   * checks. The engine never changes what it gets, so a store may return a shared, frozen object.
   */
  get(ref: string): Promise<StoredSession | null>;
  /** Adds a new entry. `ref` is fresh: random, never seen before. */
  create(ref: string, session: StoredSession): Promise<void>;
  /**
   * Applies a change set, atomically, and resolves to whether it was applied. Two kinds of entry
   * are left exactly as they are (resolving to false): a missing one (an update never resurrects a
   * session) and a rotated-away one (`meta.successor` set). The second is checked in the same
   * atomic step as the write (e.g. `WHERE successor IS NULL`): a request that loaded the entry
   * before a concurrent rotation claimed it must not move the pointer's `expiresAt`, which would
   * stretch the old token's grace window. The engine learns from `false` that the change is owed
   * to the live end of the successor chain, and sends it there.
   */
  update(ref: string, change: SessionChange): Promise<boolean>;
  /**
   * Rotates `ref` away, atomically: succeeds only when the entry exists and has no successor. Then
   * it sets `meta.successor = successorRef` and `meta.expiresAt = pointerUntil` (the store forgets
   * the entry then), or, when `pointerUntil` is 0, deletes the entry (login and manual rotation:
   * the old token dies at once). On failure nothing changes.
   *
   * Of any number of concurrent claims of one ref exactly one wins; every other one learns the
   * winner's ref. The caller creates the successor entry with `create()` *before* claiming (so a
   * token never points at nothing) and deletes it again when the claim fails (so each operation
   * touches one entry: a Redis Cluster script may touch one key).
   */
  claim(ref: string, successorRef: string, pointerUntil: number): Promise<ClaimResult>;
  /**
   * Optional: `create(ref, session)` and then `claim(oldRef, ref, pointerUntil)` as one atomic
   * operation, in one round trip (a token replaced at rotation or login). Resolves as `claim()`
   * does; when the claim fails, `ref` is not created (nothing to delete). A store that cannot do
   * both at once leaves it out: the engine then calls `create()`, `claim()` and, on failure,
   * `delete()` (see `createAndClaim` in stores/chain.ts).
   */
  createAndClaim?(
    ref: string,
    session: StoredSession,
    oldRef: string,
    pointerUntil: number,
  ): Promise<ClaimResult>;
  /**
   * Removes an entry and its successor chain (following `meta.successor` link by link, each link
   * removed together with reading its successor, atomically); removing a missing one is not an
   * error. A rotation that claimed the entry just before is removed with it; one that claims just
   * after finds the entry gone. So a revocation racing requests in flight leaves nothing alive.
   */
  delete(ref: string): Promise<void>;
  /**
   * Creates a login's new entry (`session.meta.userId` set) only if the user's live sessions stay
   * within `limit.limit`, atomically across processes. Live: that user's, `expiresAt > now`, no
   * successor, not `exceptRef`. Policy "refuse" creates nothing when there is no room; policy
   * "evict-oldest" removes the oldest live sessions by `createdAt` (with their successor chains)
   * so that, the new one included, the user has at most `limit`.
   *
   * A rotation in flight may be counted twice (its successor exists before the old token points at
   * it): the count errs on the side of fewer sessions, never more.
   */
  createWithinLimit(
    ref: string,
    session: StoredSession,
    limit: SessionLimit,
  ): Promise<LimitedCreateResult>;
  /**
   * The user's sessions (entries whose `meta.userId` is `userId`), excluding rotated-away tokens
   * (`meta.successor` set). May include entries past `expiresAt`; the engine filters them.
   */
  listByUser(userId: string): Promise<SessionSummary[]>;
  /**
   * Removes every entry of the user, rotated-away tokens included, and the successor chain of each
   * (as `delete()` does), so a rotation in flight for the user leaves nothing alive. Returns how
   * many entries were removed.
   */
  deleteByUser(userId: string): Promise<number>;
  /**
   * Removes every session in this store (incident response: "log everybody out"). Revocation marks
   * stay: they are what ends sealed cookie sessions, and `revokeAll()` may have just written one.
   */
  deleteAll(): Promise<void>;
  /**
   * Revocation marks for sealed cookie sessions, which have no server entry to delete. `mark`
   * records that everything under `key` issued before `at` is revoked, remembered until `until`
   * (then it may be forgotten). Keys: `"*"` (everybody), `"u:<userId>"`, `"s:<sid>"`.
   */
  markRevoked(key: string, at: number, until: number): Promise<void>;
  /** The latest mark among `keys` (0 when none), in one round trip. */
  revokedSince(keys: readonly string[]): Promise<number>;
  /**
   * One cheap round trip to the backend (Redis `PING`, SQL `SELECT 1`), for `sessions.check()`.
   * Optional: without it, `check()` reads a ref that cannot exist.
   */
  ping?(): Promise<void>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}
