// What every store refuses before it touches its backend, so that an id or key one backend
// cannot hold fails the same way everywhere: as a programming mistake (`argument-invalid`), not
// as a store outage. Measured before this check: a NUL byte in a user id made PostgreSQL reject
// the statement, which the engine reported as store-unavailable (a 503 and an outage event).
//
// The rules, and the backend each one comes from:
// - NUL (U+0000): PostgreSQL `text` and `jsonb` cannot hold it.
// - A lone surrogate: every driver encodes strings as UTF-8 and silently turns one into U+FFFD,
//   so the id read back would not be the id written (a different user).
// - Length: PostgreSQL's btree index entries (the user index, the marks' primary key) must stay
//   under about 2.7 kB; 512 UTF-16 units are at most 1.5 kB of UTF-8.
// Value keys may be empty ("" is an ordinary key on every store); user ids may not.
import { LatchkeyError } from "../core/errors.ts";
import type { SessionChange, Store, StoredSession } from "./types.ts";

/** Longest user id a store accepts, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 512;
/** Longest session value key a store accepts, in UTF-16 code units. */
export const MAX_VALUE_KEY_LENGTH = 1024;

// With the `u` flag a surrogate pair is one code point, so \p{Cs} matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

function refuse(operation: string, what: string, problem: string): never {
  throw new LatchkeyError("argument-invalid", `${operation}: ${what} ${problem}`);
}

function checkText(operation: string, what: string, text: unknown, max: number): void {
  if (typeof text !== "string") refuse(operation, what, "must be a string");
  if (text.length > max) refuse(operation, what, `must be at most ${max} characters`);
  if (text.includes("\0") || LONE_SURROGATE.test(text)) {
    refuse(operation, what, "must not contain NUL (U+0000) or an unpaired surrogate");
  }
}

/** Refuses a user id a store cannot hold: not a string, empty, too long, NUL or a lone surrogate. */
export function checkUserId(operation: string, userId: unknown): string {
  checkText(operation, "user id", userId, MAX_USER_ID_LENGTH);
  if (userId === "") refuse(operation, "user id", "must not be empty");
  return userId as string;
}

/** Refuses a session value key a store cannot hold (the empty key is allowed). */
export function checkValueKey(operation: string, key: unknown): void {
  checkText(operation, "value key", key, MAX_VALUE_KEY_LENGTH);
}

/**
 * Refuses a revocation mark key a store cannot hold. A user's mark (`u:<userId>`) follows the user
 * id rules, so a user id refused elsewhere cannot be revoked (or checked) under another spelling.
 */
export function checkMarkKey(operation: string, key: unknown): void {
  if (typeof key === "string" && key.startsWith("u:")) {
    checkUserId(operation, key.slice(2));
    return;
  }
  checkText(operation, "revocation key", key, MAX_USER_ID_LENGTH);
  if (key === "") refuse(operation, "revocation key", "must not be empty");
}

/** A new entry: its user id (when set) and every value key. */
export function checkSession(operation: string, session: StoredSession): void {
  if (session.meta.userId !== null) checkUserId(operation, session.meta.userId);
  for (const key of Object.keys(session.data)) checkValueKey(operation, key);
}

/** A change set: a user id it sets, and every key it sets or deletes. */
export function checkChange(operation: string, change: SessionChange): void {
  const userId = change.meta?.userId;
  if (userId !== undefined && userId !== null) checkUserId(operation, userId);
  if (change.set) for (const key of Object.keys(change.set)) checkValueKey(operation, key);
  if (change.delete) for (const key of change.delete) checkValueKey(operation, key);
}

/**
 * The store with every argument checked before it is called: the one place each shipped store
 * gets these checks, so they cannot differ between stores.
 */
export function withArgumentChecks<S extends Store>(store: S): S {
  const createAndClaim = store.createAndClaim?.bind(store);
  return {
    ...store,
    async create(ref, session) {
      checkSession("create", session);
      return store.create(ref, session);
    },
    ...(createAndClaim === undefined
      ? {}
      : {
          async createAndClaim(ref: string, session: StoredSession, old: string, until: number) {
            checkSession("createAndClaim", session);
            return createAndClaim(ref, session, old, until);
          },
        }),
    async update(ref, change) {
      checkChange("update", change);
      return store.update(ref, change);
    },
    async createWithinLimit(ref, session, limit) {
      checkSession("createWithinLimit", session);
      return store.createWithinLimit(ref, session, limit);
    },
    async listByUser(userId) {
      return store.listByUser(checkUserId("listByUser", userId));
    },
    async deleteByUser(userId) {
      return store.deleteByUser(checkUserId("deleteByUser", userId));
    },
    async markRevoked(key, at, until) {
      checkMarkKey("markRevoked", key);
      return store.markRevoked(key, at, until);
    },
    async revokedSince(keys) {
      for (const key of keys) checkMarkKey("revokedSince", key);
      return store.revokedSince(keys);
    },
  } satisfies Store as S;
}
