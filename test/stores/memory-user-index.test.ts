// The memory store finds a user's sessions through an index by user id, kept in step with every
// way an entry comes and goes: create, a login or logout by update(), claims, deletes, revokeUser,
// per-user limits, LRU eviction, expiry and deleteAll. Random sequences of those, on a store small
// enough to evict all the time, must leave listByUser() answering exactly what get() finds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";

const USERS = ["ann", "bob", "cy"];
const REFS = Array.from({ length: 10 }, (_, i) => `ref-${i}`);

function entry(userId: string | null, expiresAt: number): StoredSession {
  return {
    secretHash: "h",
    meta: {
      sid: "s",
      createdAt: 1,
      lastSeenAt: 1,
      issuedAt: 1,
      expiresAt,
      userId,
      authTime: userId === null ? null : 1,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: {},
  };
}

const ref = fc.constantFrom(...REFS);
const user = fc.constantFrom(null, ...USERS);
const operation = fc.oneof(
  fc.record({ op: fc.constant("create" as const), ref, user, expired: fc.boolean() }),
  fc.record({ op: fc.constant("update" as const), ref, user }),
  fc.record({ op: fc.constant("claim" as const), ref, next: ref, drop: fc.boolean() }),
  fc.record({ op: fc.constant("delete" as const), ref }),
  fc.record({ op: fc.constant("get" as const), ref }),
  fc.record({ op: fc.constant("deleteByUser" as const), user: fc.constantFrom(...USERS) }),
  fc.record({
    op: fc.constant("limited" as const),
    ref,
    user: fc.constantFrom(...USERS),
    policy: fc.constantFrom("refuse" as const, "evict-oldest" as const),
  }),
  fc.record({ op: fc.constant("deleteAll" as const) }),
);

describe("memoryStore: sessions by user", () => {
  it("listByUser() lists exactly the held, unrotated sessions of the user, whatever happened before", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), async (ops) => {
        const store = memoryStore({ maxSessions: 3, maxAnonymousSessions: 1 });
        const far = Date.now() + 3_600_000;
        for (const o of ops) {
          switch (o.op) {
            case "create":
              // An entry already expired is swept by the next create.
              if ((await store.get(o.ref)) === null) {
                await store.create(o.ref, entry(o.user, o.expired ? Date.now() - 1 : far));
              }
              break;
            case "update":
              await store.update(o.ref, { meta: { userId: o.user } });
              break;
            case "claim":
              if (o.next !== o.ref) await store.claim(o.ref, o.next, o.drop ? 0 : far);
              break;
            case "delete":
              await store.delete(o.ref);
              break;
            case "get":
              await store.get(o.ref);
              break;
            case "deleteByUser":
              await store.deleteByUser(o.user);
              break;
            case "limited":
              if ((await store.get(o.ref)) === null) {
                await store.createWithinLimit(o.ref, entry(o.user, far), {
                  limit: 2,
                  policy: o.policy,
                  now: Date.now(),
                });
              }
              break;
            case "deleteAll":
              await store.deleteAll();
              break;
          }
        }
        const held = new Map<string, StoredSession>();
        for (const r of REFS) {
          const found = await store.get(r);
          if (found !== null) held.set(r, found);
        }
        for (const u of USERS) {
          const expected = [...held]
            .filter(([, s]) => s.meta.userId === u && s.meta.successor === null)
            .map(([r]) => r)
            .sort();
          const listed = (await store.listByUser(u)).map((s) => s.ref).sort();
          assert.deepEqual(listed, expected, u);
        }
        // revokeUser removes every one of them (and the chains they lead), leaving the others.
        const removed = await store.deleteByUser("ann");
        const annHeld = [...held.values()].filter((s) => s.meta.userId === "ann").length;
        assert.ok(removed >= annHeld, `removed ${removed} of ann's ${annHeld}`);
        for (const [r, s] of held) {
          if (s.meta.userId === "ann") assert.equal(await store.get(r), null, r);
        }
      }),
      { numRuns: 300 },
    );
  });
});
