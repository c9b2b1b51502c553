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
  /** Applies a change set. A missing entry stays missing: an update never resurrects a session. */
  update(ref: string, change: SessionChange): Promise<void>;
  /** Removes an entry; removing a missing one is not an error. */
  delete(ref: string): Promise<void>;
  /**
   * The user's sessions (entries whose `meta.userId` is `userId`), excluding rotated-away tokens
   * (`meta.successor` set). May include entries past `expiresAt`; the engine filters them.
   */
  listByUser(userId: string): Promise<SessionSummary[]>;
  /** Removes every entry of the user, rotated-away tokens included. Returns how many were removed. */
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
  /** Releases connections and timers. */
  close?(): Promise<void>;
}
