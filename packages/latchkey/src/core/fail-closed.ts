import type { Store } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";
import { LatchkeyError } from "./errors.ts";
import { storeFailureCause } from "./store-failure-cause.ts";

/**
 * The store as the engine uses it: a failure of any operation (a rejection or a throw) becomes
 * `store-unavailable` plus an event naming the operation and the cause (a safe code, see
 * `storeFailureCause`), and a rate-limited log line. A store that is down fails closed: the
 * request errors, and nothing is mistaken for "no session" or silently dropped. Wrapped once, at
 * startup, so no call site can forget it.
 */
export function failClosed(
  store: Store,
  config: Pick<ResolvedConfig, "emit" | "now"> & Partial<Pick<ResolvedConfig, "observability">>,
): Store {
  const report = config.observability?.reportStoreFailure ?? null;
  const unavailable = (operation: string, error: unknown): LatchkeyError => {
    if (error instanceof LatchkeyError && error.code === "argument-invalid") return error; // a caller's mistake, not an outage
    const cause = storeFailureCause(error);
    config.emit({ type: "store-unavailable", at: config.now(), reason: operation, cause });
    report?.(operation, cause);
    return new LatchkeyError(
      "store-unavailable",
      `The session store failed during ${operation} (cause: ${cause}).`,
      { cause: error },
    );
  };
  const createAndClaim = store.createAndClaim?.bind(store);
  return {
    kind: "server",
    // Only when the store has it: the engine falls back to create + claim otherwise.
    ...(createAndClaim === undefined
      ? {}
      : ({
          async createAndClaim(ref, session, oldRef, pointerUntil) {
            try {
              return await createAndClaim(ref, session, oldRef, pointerUntil);
            } catch (error) {
              throw unavailable("createAndClaim", error);
            }
          },
        } satisfies Pick<Store, "createAndClaim">)),
    async get(ref) {
      try {
        return await store.get(ref);
      } catch (error) {
        throw unavailable("get", error);
      }
    },
    async create(ref, session) {
      try {
        await store.create(ref, session);
      } catch (error) {
        throw unavailable("create", error);
      }
    },
    async update(ref, change) {
      try {
        return await store.update(ref, change);
      } catch (error) {
        throw unavailable("update", error);
      }
    },
    async claim(ref, successorRef, pointerUntil) {
      try {
        return await store.claim(ref, successorRef, pointerUntil);
      } catch (error) {
        throw unavailable("claim", error);
      }
    },
    async delete(ref) {
      try {
        await store.delete(ref);
      } catch (error) {
        throw unavailable("delete", error);
      }
    },
    async createWithinLimit(ref, session, limit) {
      try {
        return await store.createWithinLimit(ref, session, limit);
      } catch (error) {
        throw unavailable("createWithinLimit", error);
      }
    },
    async listByUser(userId) {
      try {
        return await store.listByUser(userId);
      } catch (error) {
        throw unavailable("listByUser", error);
      }
    },
    async deleteByUser(userId) {
      try {
        return await store.deleteByUser(userId);
      } catch (error) {
        throw unavailable("deleteByUser", error);
      }
    },
    async deleteAll() {
      try {
        await store.deleteAll();
      } catch (error) {
        throw unavailable("deleteAll", error);
      }
    },
    async markRevoked(key, at, until) {
      try {
        await store.markRevoked(key, at, until);
      } catch (error) {
        throw unavailable("markRevoked", error);
      }
    },
    async revokedSince(keys) {
      try {
        return await store.revokedSince(keys);
      } catch (error) {
        throw unavailable("revokedSince", error);
      }
    },
    // close() is left out on purpose: the engine closes the store it was given, and a failure to
    // release connections at shutdown is not a request to fail closed.
  };
}
