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
 * machine and redisStore() / postgresStore() for several.
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
    throw new RangeError("memoryStore: maxSessions must be a positive integer");
  }
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  const entries = new Map<string, StoredSession>();
  const marks = new Map<string, { at: number; until: number }>();

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
      sweep(Date.now());
      entries.set(
        ref,
        snapshot(
          session.secretHash,
          { ...session.meta },
          Object.assign(Object.create(null), session.data),
        ),
      );
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
      entries.delete(ref);
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
      let removed = 0;
      for (const [ref, entry] of entries) {
        if (entry.meta.userId === userId) {
          entries.delete(ref);
          removed++;
        }
      }
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
