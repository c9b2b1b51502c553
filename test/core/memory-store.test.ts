import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLatchkeyError } from "../../packages/latchkey/src/core/errors.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";

const entry = (expiresAt: number, userId: string | null = null): StoredSession => ({
  secretHash: "h",
  meta: {
    sid: "s",
    createdAt: 0,
    lastSeenAt: 0,
    issuedAt: 0,
    expiresAt,
    userId,
    authTime: null,
    persistent: false,
    userAgent: null,
    successor: null,
  },
  data: { a: "1" },
});

describe("memoryStore", () => {
  const later = Date.now() + 3_600_000;

  it("is bounded: beyond maxSessions the least recently used entry goes", async () => {
    // Anonymous entries, all allowed to fill the store: this is the plain LRU rule.
    const store = memoryStore({ maxSessions: 3, maxAnonymousSessions: 3 });
    await store.create("a", entry(later));
    await store.create("b", entry(later));
    await store.create("c", entry(later));
    await store.get("a"); // a is now the most recently used
    await store.create("d", entry(later));
    assert.equal(await store.get("b"), null, "b was least recently used");
    for (const ref of ["a", "c", "d"]) assert.notEqual(await store.get(ref), null, ref);
  });

  it("sweeps expired entries as new ones arrive", async () => {
    const store = memoryStore();
    await store.create("old", entry(Date.now() - 1, "u"));
    await store.create("new", entry(later, "u"));
    assert.equal(await store.get("old"), null);
    assert.equal((await store.listByUser("u")).length, 1);
  });

  it("hands out read-only snapshots that later updates do not change", async () => {
    const store = memoryStore();
    await store.create("x", entry(later));
    const got = (await store.get("x")) as StoredSession;
    assert.throws(() => {
      got.data.a = "2";
    }, TypeError);
    assert.throws(() => {
      got.meta.userId = "mallory";
    }, TypeError);
    await store.update("x", { set: { a: "3" }, meta: { userId: "u" } });
    assert.equal(got.data.a, "1", "the earlier snapshot is unchanged");
    const again = (await store.get("x")) as StoredSession;
    assert.equal(again.data.a, "3");
    assert.equal(again.meta.userId, "u");
  });

  it("refuses a nonsensical bound", () => {
    for (const maxSessions of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => memoryStore({ maxSessions }),
        (error) => isLatchkeyError(error, "config-invalid"),
        String(maxSessions),
      );
    }
  });
});
