import { LatchkeyError } from "../core/errors.ts";
import { removeChainSync } from "./chain.ts";
import { countsAgainstLimit, type LiveEntry, limitedUser, planLimitedCreate } from "./limit.ts";
import type { SessionChange, SessionSummary, Store, StoredSession } from "./types.ts";

export interface MemoryStoreOptions {
  /** Most sessions kept at once; beyond it the least recently used one is dropped. Default 10 000. */
  maxSessions?: number;
}

/**
 * Sessions in this process's memory: bounded, least-recently-used eviction, expired entries
 * swept as new ones arrive.
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
  const max = options.maxSessions ?? 10_000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new LatchkeyError(
      "config-invalid",
      "memoryStore: maxSessions must be a positive integer",
    );
  }
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  const entries = new Map<string, StoredSession>();
  const marks = new Map<string, { at: number; until: number }>();

  /** Removes an entry and its successor chain; returns the refs removed. */
  function removeWithChain(ref: string): string[] {
    return removeChainSync(ref, (link) => {
      const entry = entries.get(link);
      if (entry === undefined) return { removed: false, successor: null };
      entries.delete(link);
      return { removed: true, successor: entry.meta.successor };
    });
  }

  function insert(ref: string, session: StoredSession): void {
    sweep(Date.now());
    entries.set(
      ref,
      snapshot(
        session.secretHash,
        { ...session.meta },
        Object.assign(Object.create(null), session.data),
      ),
    );
  }

  function sweep(now: number): void {
    // Expired entries gather at the front (least recently used); stop at the first live one.
    for (const [ref, entry] of entries) {
      if (entry.meta.expiresAt > now) break;
      entries.delete(ref);
    }
    while (entries.size >= max) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }

  return {
    kind: "server",
    async get(ref) {
      const entry = entries.get(ref);
      if (entry === undefined) return null;
      entries.delete(ref);
      entries.set(ref, entry);
      // Entries are frozen snapshots, replaced (never changed) by update(): a reader can keep
      // what it got without copying it on every request, and can never change the store by it.
      return entry;
    },
    async create(ref, session) {
      insert(ref, session);
    },
    async claim(ref, successorRef, pointerUntil) {
      const entry = entries.get(ref);
      if (entry === undefined) return { claimed: false, successor: null };
      if (entry.meta.successor !== null) return { claimed: false, successor: entry.meta.successor };
      if (pointerUntil === 0) entries.delete(ref);
      else {
        const meta = { ...entry.meta, successor: successorRef, expiresAt: pointerUntil };
        entries.set(ref, snapshot(entry.secretHash, meta, entry.data));
      }
      return { claimed: true };
    },
    async createWithinLimit(ref, session, limit) {
      const userId = limitedUser(session, limit);
      const live: LiveEntry[] = [];
      for (const [other, entry] of entries) {
        if (entry.meta.userId === userId && countsAgainstLimit(other, entry.meta, limit)) {
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
      const entry = entries.get(ref);
      if (entry === undefined) return;
      const meta = change.meta ? { ...entry.meta, ...change.meta } : entry.meta;
      let data = entry.data;
      if (change.set || change.delete) {
        data = Object.assign(Object.create(null), entry.data, change.set);
        if (change.delete) for (const key of change.delete) delete data[key];
      }
      entries.set(ref, snapshot(entry.secretHash, meta, data));
    },
    async delete(ref) {
      removeWithChain(ref);
    },
    async listByUser(userId) {
      const found: SessionSummary[] = [];
      for (const [ref, entry] of entries) {
        if (entry.meta.userId === userId && entry.meta.successor === null) {
          found.push({ ref, meta: { ...entry.meta } });
        }
      }
      return found;
    },
    async deleteByUser(userId) {
      // One synchronous pass: no rotation interleaves. Chains are followed as the contract says,
      // which also reaches a successor that does not carry the user's id.
      const mine: string[] = [];
      for (const [ref, entry] of entries) if (entry.meta.userId === userId) mine.push(ref);
      let removed = 0;
      for (const ref of mine) removed += removeWithChain(ref).length;
      return removed;
    },
    async deleteAll() {
      entries.clear();
    },
    async markRevoked(key, at, until) {
      const now = Date.now();
      for (const [k, mark] of marks) if (mark.until <= now) marks.delete(k);
      const previous = marks.get(key);
      marks.set(key, {
        at: Math.max(at, previous?.at ?? 0),
        until: Math.max(until, previous?.until ?? 0),
      });
    },
    async revokedSince(keys) {
      let latest = 0;
      for (const key of keys) latest = Math.max(latest, marks.get(key)?.at ?? 0);
      return latest;
    },
    async close() {
      entries.clear();
      marks.clear();
    },
  };
}

function snapshot(
  secretHash: string,
  meta: StoredSession["meta"],
  data: StoredSession["data"],
): StoredSession {
  return Object.freeze({ secretHash, meta: Object.freeze(meta), data: Object.freeze(data) });
}
