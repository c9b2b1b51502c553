/**
 * What latchkey reports through `onEvent`. A `ref` is a hash of the session's token id: it lets
 * logs follow one session without ever containing a token (OWASP session cheat sheet, "Logging
 * Sessions Life Cycle"; ASVS 5.0 16.2.5).
 */
export type SessionEventType =
  | "created"
  | "login"
  | "rotated"
  | "expired"
  | "destroyed"
  | "tampered"
  | "unknown-id"
  | "revoked"
  | "user-agent-changed"
  | "csrf-refused"
  | "store-unavailable"
  | "device-bound-registered"
  | "device-bound-refreshed"
  | "device-bound-refused";

export type TamperReason =
  | "malformed"
  | "bad-mac"
  | "bad-secret"
  | "unknown-key"
  | "does-not-open"
  | "bad-payload"
  | "ambiguous-cookie"
  | "non-canonical";

export interface SessionEvent {
  type: SessionEventType;
  /** Milliseconds since the epoch, from the configured clock. */
  at: number;
  ref?: string;
  /** The ref this one replaced (login, rotated). */
  previousRef?: string;
  userId?: string;
  /**
   * expired: "idle" | "absolute"; rotated: "periodic" | "manual" | "secret-rotation" (a token
   * minted under an older secret, re-issued under the newest); login: "reauthenticate" for step-up;
   * revoked: "user" | "others" | "all" | "ref" | "session-limit"; tampered: a TamperReason;
   * unknown-id: "revoked" (a sealed session ended by a mark), "legacy-replayed" (a legacy cookie
   * `latchkey/migrate` imported before, or issued before its user was revoked; `ref` its hash);
   * csrf-refused: why; store-unavailable: the operation; device-bound-registered: the key's
   * algorithm; device-bound-refused: which check failed (`bound-cookie-missing`,
   * `signature-invalid`, `challenge-invalid`, `already-bound`, …).
   */
  reason?: string;
  /**
   * device-bound-*: the RFC 7638 SHA-256 thumbprint of the session's device key (public; names
   * the device, proves nothing), when the session has one.
   */
  thumbprint?: string;
  /**
   * store-unavailable: why the store failed, as a short code that is safe to log: a Node errno
   * code (`ECONNREFUSED`, `ETIMEDOUT`), a Redis error kind (`NOAUTH`, `LOADING`), a PostgreSQL
   * SQLSTATE (`28P01`), an SQLite code (`SQLITE_BUSY`), an error class name, or `unknown`. Never
   * an error message: drivers put keys, values and connection strings into those.
   */
  cause?: string;
}
