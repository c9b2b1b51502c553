import type { Store } from "../../packages/latchkey/src/stores/types.ts";

export interface StoreCalls {
  get: number;
  create: number;
  update: number;
  delete: number;
}

/** Wraps a store and counts its calls, so tests can assert "this request wrote nothing". */
export function countingStore(inner: Store): {
  store: Store;
  calls: StoreCalls;
  writes(): number;
  reset(): void;
} {
  const calls: StoreCalls = { get: 0, create: 0, update: 0, delete: 0 };
  const store: Store = {
    kind: "server",
    get(ref) {
      calls.get++;
      return inner.get(ref);
    },
    create(ref, session) {
      calls.create++;
      return inner.create(ref, session);
    },
    update(ref, change) {
      calls.update++;
      return inner.update(ref, change);
    },
    delete(ref) {
      calls.delete++;
      return inner.delete(ref);
    },
    claim: (ref, successor, pointerUntil) => inner.claim(ref, successor, pointerUntil),
    createWithinLimit: (ref, session, limit) => inner.createWithinLimit(ref, session, limit),
    listByUser: (userId) => inner.listByUser(userId),
    deleteByUser: (userId) => inner.deleteByUser(userId),
    deleteAll: () => inner.deleteAll(),
    markRevoked: (key, at, until) => inner.markRevoked(key, at, until),
    revokedSince: (keys) => inner.revokedSince(keys),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return {
    store,
    calls,
    writes: () => calls.create + calls.update + calls.delete,
    reset: () => {
      calls.get = calls.create = calls.update = calls.delete = 0;
    },
  };
}

/** A store whose every call fails, as when the database is down. */
export function brokenStore(): Store {
  const down = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
  return {
    kind: "server",
    get: down,
    create: down,
    update: down,
    delete: down,
    claim: down,
    createWithinLimit: down,
    listByUser: down,
    deleteByUser: down,
    deleteAll: down,
    markRevoked: down,
    revokedSince: down,
  };
}
