// The store is wrapped once, at startup: whatever operation fails, the caller gets
// `store-unavailable` (with the cause) and one event naming the operation — never the raw error,
// never a silent "no session".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLatchkeyError } from "../../packages/latchkey/src/core/errors.ts";
import type { SessionEvent } from "../../packages/latchkey/src/core/events.ts";
import { failClosed } from "../../packages/latchkey/src/core/fail-closed.ts";
import { createAndClaim } from "../../packages/latchkey/src/stores/chain.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";

const entry = {
  secretHash: "h",
  meta: {
    sid: "s",
    createdAt: 1,
    lastSeenAt: 1,
    issuedAt: 1,
    expiresAt: Number.MAX_SAFE_INTEGER,
    userId: "u",
    authTime: 1,
    persistent: false,
    userAgent: null,
    successor: null,
  },
  data: {},
};
const limit = { limit: 5, policy: "refuse" as const, now: 1 };

/**
 * One call of every operation of the Store contract (except close, which the engine makes itself,
 * and ping, which `check()` makes and reports as its answer rather than failing closed).
 */
const calls: Record<
  Exclude<keyof Store, "kind" | "close" | "ping">,
  (store: Store) => Promise<unknown>
> = {
  get: (s) => s.get("r"),
  create: (s) => s.create("r", entry),
  update: (s) => s.update("r", { set: { a: "1" } }),
  claim: (s) => s.claim("r", "r2", 0),
  // Through the engine's helper: the store's own when it has one, create + claim otherwise.
  createAndClaim: (s) => createAndClaim(s, "r4", entry, "r", 0),
  delete: (s) => s.delete("r"),
  createWithinLimit: (s) => s.createWithinLimit("r3", entry, limit),
  listByUser: (s) => s.listByUser("u"),
  deleteByUser: (s) => s.deleteByUser("u"),
  deleteAll: (s) => s.deleteAll(),
  markRevoked: (s) => s.markRevoked("*", 1, 2),
  revokedSince: (s) => s.revokedSince(["*"]),
};

/** A store whose every method fails: some by rejecting, some by throwing before any promise. */
function brokenStore(): Store {
  const cause = new Error("connection refused");
  return new Proxy({ kind: "server" } as Store, {
    get(target, name) {
      if (name === "kind") return target.kind;
      return name === "get" || name === "claim"
        ? () => {
            throw cause;
          }
        : () => Promise.reject(cause);
    },
  });
}

describe("failClosed", () => {
  for (const [operation, call] of Object.entries(calls)) {
    it(`${operation}: a failure is store-unavailable plus an event naming ${operation}`, async () => {
      const events: SessionEvent[] = [];
      const store = failClosed(brokenStore(), { emit: (e) => events.push(e), now: () => 42 });
      await assert.rejects(call(store), (error) => {
        assert.ok(isLatchkeyError(error, "store-unavailable"));
        assert.equal((error.cause as Error).message, "connection refused");
        assert.ok(!error.message.includes("connection refused"));
        return true;
      });
      assert.deepEqual(events, [
        { type: "store-unavailable", at: 42, reason: operation, cause: "unknown" },
      ]);
    });
  }

  it("passes answers through unchanged, with no event, when the store works", async () => {
    const events: SessionEvent[] = [];
    const inner = memoryStore();
    const store = failClosed(inner, { emit: (e) => events.push(e), now: () => 1 });
    for (const call of Object.values(calls)) await call(store);
    await store.create("x", entry);
    const got = await store.get("x");
    assert.equal(got?.meta.userId, "u");
    assert.deepEqual(got, await inner.get("x"));
    assert.deepEqual(await store.listByUser("u"), await inner.listByUser("u"));
    assert.deepEqual(events, []);
  });
});
