import { LatchkeyError } from "../core/errors.ts";
import { LinkedMap } from "../core/linked-map.ts";
import { removeChainSync } from "./chain.ts";
import { countsAgainstLimit, type LiveEntry, limitedUser, planLimitedCreate } from "./limit.ts";
import { revocationMarks } from "./memory-marks.ts";
import { UserIndex } from "./memory-user-index.ts";
import type { SessionChange, SessionSummary, Store, StoredSession } from "./types.ts";
import { withArgumentChecks } from "./validate.ts";

export interface MemoryStoreOptions {
  /** Most sessions kept at once; beyond it the least recently used one is dropped, anonymous ones first. Default 10 000. */
  maxSessions?: number;
  /**
   * Most anonymous sessions (no user id) kept at once, within `maxSessions`; beyond it the least
   * recently used anonymous one is dropped. Default: half of `maxSessions`. Visitors without a
   * cookie can create anonymous sessions as fast as they send requests; this cap keeps them from
   * pushing logged-in users out.
   */
  maxAnonymousSessions?: number;
  /**
   * Most revocation marks kept at once (sealed cookie sessions using this store for revocation).
   * Beyond it the oldest mark goes, and if it was still needed, every session of its kind issued
   * before it counts as revoked (over-revoking, never un-revoking). Default 100 000.
   */
  maxRevocationMarks?: number;
}

/**
 * Sessions in this process's memory: bounded, least-recently-used eviction (anonymous sessions
 * first, and capped on their own), expired entries swept as new ones arrive.
 *
 * Single-process only: a restart logs everybody out and a second process sees none of these
 * sessions. Use it for development, tests and single-instance apps; use sqliteStore() for one
 * machine and redisStore() / postgresStore() for several. Every operation runs without awaiting
 * anything, so claims, revocations and limited creates are atomic in this process.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { memoryStore } from "latchkey/stores/memory";
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!], store: memoryStore({ maxSessions: 50_000 }) });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const max = positiveInteger("maxSessions", options.maxSessions ?? 10_000);
  const maxAnonymous = positiveInteger(
    "maxAnonymousSessions",
    options.maxAnonymousSessions ?? Math.max(1, Math.floor(max / 2)),
  );
  if (maxAnonymous > max) {
    throw new LatchkeyError(
      "config-invalid",
      "memoryStore: maxAnonymousSessions must not exceed maxSessions",
    );
  }
  const marks = revocationMarks(
    positiveInteger("maxRevocationMarks", options.maxRevocationMarks ?? 100_000),
  );
  // Two maps, one per kind of session, each least recently used first: eviction takes the first
  // anonymous entry, or the first logged-in one only when no anonymous entry is left. LinkedMap,
  // not Map: moving an entry to the back on every use must not cost more as the store grows
  // (see linked-map.ts).
  const anonymous = new LinkedMap<string, StoredSession>();
  const loggedIn = new LinkedMap<string, StoredSession>();
  // Every entry of `loggedIn`, by its userId; kept in step by put(), remove() and unindex().
  const byUser = new UserIndex();
  const unindex = (ref: string, entry: StoredSession) =>
    byUser.delete(entry.meta.userId as string, ref);

  function find(ref: string): StoredSession | undefined {
    return anonymous.get(ref) ?? loggedIn.get(ref);
  }

  /** Stores `entry` under `ref` as the most recently used of its kind. */
  function put(ref: string, entry: StoredSession): void {
    const userId = entry.meta.userId;
    const was = loggedIn.get(ref);
    if (was !== undefined && was.meta.userId !== userId) unindex(ref, was);
    if (userId === null) {
      loggedIn.delete(ref);
      anonymous.setNewest(ref, entry);
    } else {
      anonymous.delete(ref);
      byUser.add(userId, ref);
      loggedIn.setNewest(ref, entry);
    }
  }

  function remove(ref: string): StoredSession | undefined {
    const anonymousEntry = anonymous.delete(ref);
    if (anonymousEntry !== undefined) return anonymousEntry;
    const entry = loggedIn.delete(ref);
    if (entry !== undefined) unindex(ref, entry);
    return entry;
  }

  /** Removes an entry and its successor chain; returns the refs removed. */
  function removeWithChain(ref: string): string[] {
    return removeChainSync(ref, (link) => {
      const entry = remove(link);
      if (entry === undefined) return { removed: false, successor: null };
      return { removed: true, successor: entry.meta.successor };
    });
  }

  function insert(ref: string, session: StoredSession): void {
    const entry = snapshot(
      session.secretHash,
      { ...session.meta },
      Object.assign(Object.create(null), session.data),
    );
    makeRoom(entry.meta.userId === null, Date.now());
    put(ref, entry);
  }

  function makeRoom(forAnonymous: boolean, now: number): void {
    sweepExpired(anonymous, now, noIndex);
    sweepExpired(loggedIn, now, unindex);
    if (forAnonymous) while (anonymous.size >= maxAnonymous) dropOldest(anonymous, noIndex);
    while (anonymous.size + loggedIn.size >= max) {
      if (anonymous.size > 0) dropOldest(anonymous, noIndex);
      else dropOldest(loggedIn, unindex);
    }
  }

  return withArgumentChecks({
    kind: "server",
    async get(ref) {
      // Found and made the most recently used of its kind in one step.
      const entry = anonymous.touch(ref) ?? loggedIn.touch(ref);
      if (entry === undefined) return null;
      // Entries are frozen snapshots, replaced (never changed) by update(): a reader can keep
      // what it got without copying it on every request, and can never change the store by it.
      return entry;
    },
    async create(ref, session) {
      insert(ref, session);
    },
    async claim(ref, successorRef, pointerUntil) {
      const entry = find(ref);
      if (entry === undefined) return { claimed: false, successor: null };
      if (entry.meta.successor !== null) return { claimed: false, successor: entry.meta.successor };
      if (pointerUntil === 0) remove(ref);
      else {
        const meta = { ...entry.meta, successor: successorRef, expiresAt: pointerUntil };
        put(ref, snapshot(entry.secretHash, meta, entry.data));
      }
      return { claimed: true };
    },
    async createWithinLimit(ref, session, limit) {
      const userId = limitedUser(session, limit);
      const live: LiveEntry[] = [];
      for (const other of byUser.refsOf(userId)) {
        const entry = loggedIn.get(other) as StoredSession;
        if (countsAgainstLimit(other, entry.meta, limit)) {
          live.push({ ref: other, createdAt: entry.meta.createdAt });
        }
      }
      const plan = planLimitedCreate(live, limit);
      if (!plan.create) return { created: false, live: plan.live };
      for (const evicted of plan.evict) removeWithChain(evicted);
      insert(ref, session);
      return { created: true, evicted: plan.evict };
    },
    async update(ref, change: SessionChange) {
      const entry = find(ref);
      if (entry === undefined || entry.meta.successor !== null) return false;
      const meta = change.meta ? { ...entry.meta, ...change.meta } : entry.meta;
      let data = entry.data;
      if (change.set || change.delete) {
        data = Object.assign(Object.create(null), entry.data, change.set);
        if (change.delete) for (const key of change.delete) delete data[key];
      }
      put(ref, snapshot(entry.secretHash, meta, data));
      return true;
    },
    async delete(ref) {
      removeWithChain(ref);
    },
    async listByUser(userId) {
      const found: SessionSummary[] = [];
      for (const ref of byUser.refsOf(userId)) {
        const entry = loggedIn.get(ref) as StoredSession;
        if (entry.meta.successor === null) found.push({ ref, meta: { ...entry.meta } });
      }
      return found;
    },
    async deleteByUser(userId) {
      // One synchronous pass: no rotation interleaves. Chains are followed as the contract says,
      // which also reaches a successor that does not carry the user's id.
      let removed = 0;
      for (const ref of byUser.refsOf(userId)) removed += removeWithChain(ref).length;
      return removed;
    },
    async deleteAll() {
      anonymous.clear();
      loggedIn.clear();
      byUser.clear();
    },
    async markRevoked(key, at, until) {
      marks.mark(key, at, until, Date.now());
    },
    async revokedSince(keys) {
      return marks.latest(keys);
    },
    // The map is in this process: when the process answers, the store does.
    async ping() {},
    async close() {
      anonymous.clear();
      loggedIn.clear();
      byUser.clear();
      marks.clear();
    },
  });
}

function snapshot(
  secretHash: string,
  meta: StoredSession["meta"],
  data: StoredSession["data"],
): StoredSession {
  return Object.freeze({ secretHash, meta: Object.freeze(meta), data: Object.freeze(data) });
}

type Dropped = (ref: string, entry: StoredSession) => void;
const noIndex: Dropped = () => {};

/** Expired entries gather at the front (least recently used); stops at the first live one. */
function sweepExpired(entries: LinkedMap<string, StoredSession>, now: number, dropped: Dropped) {
  for (let oldest = entries.oldest(); oldest !== undefined; oldest = entries.oldest()) {
    if (oldest.value.meta.expiresAt > now) return;
    entries.shift();
    dropped(oldest.key, oldest.value);
  }
}

function dropOldest(entries: LinkedMap<string, StoredSession>, dropped: Dropped): void {
  const oldest = entries.shift();
  if (oldest !== undefined) dropped(oldest.key, oldest.value);
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new LatchkeyError("config-invalid", `memoryStore: ${option} must be a positive integer`);
  }
  return value;
}
