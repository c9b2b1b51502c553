// Conformance checks for updates that meet a rotated-away entry. A request loads a session, a
// concurrent request rotates it (the entry becomes a pointer to its successor until the end of
// its grace window), then the first request writes to the ref it loaded. The store must leave
// the pointer as it is and say so: moving its `expiresAt` would keep the old token working past
// its window, and the engine needs the answer to send the change on to the successor.
import assert from "node:assert/strict";
import type { Store } from "../stores/types.ts";
import { assertData, fresh, session } from "./fixtures.ts";

type Check = (title: string, body: () => Promise<void>) => void;

const MINUTE = 60_000;

/** A live entry `ref` with values `{ a: "1" }`, claimed for a fresh successor until `until`. */
async function rotatedAway(store: Store, until: number): Promise<{ ref: string; next: string }> {
  const [ref, next] = [fresh(), fresh()];
  await store.create(ref, session({ data: { a: "1" } }));
  await store.create(next, session({ data: { a: "1" } }));
  const claim = await store.claim(ref, next, until);
  assert.deepEqual(claim, { claimed: true }, "an unrotated entry is claimed");
  return { ref, next };
}

export function describeRotatedEntryUpdates(check: Check, store: () => Store): void {
  check(
    "update() resolves true when it applied the change, false for a missing entry",
    async () => {
      const s = store();
      const ref = fresh();
      await s.create(ref, session({ data: { a: "1" } }));
      assert.equal(await s.update(ref, { set: { b: "2" } }), true);
      assert.equal(await s.update(fresh(), { set: { b: "2" } }), false);
    },
  );

  check("update() of a rotated-away entry changes nothing: expiresAt, values, meta", async () => {
    const s = store();
    const until = Date.now() + MINUTE;
    const { ref, next } = await rotatedAway(s, until);
    const before = await s.get(ref);
    const applied = await s.update(ref, {
      set: { a: "2", b: "3" },
      delete: ["a"],
      meta: { lastSeenAt: Date.now() + 5, expiresAt: until + 10 * MINUTE, successor: null },
    });
    assert.equal(applied, false, "the pointer refuses the change and says so");
    const after = await s.get(ref);
    assert.equal(after?.meta.expiresAt, until, "the grace window does not move");
    assert.equal(after?.meta.successor, next, "the pointer still leads to its successor");
    assert.deepEqual({ ...after?.meta }, { ...before?.meta });
    assertData(after?.data, { a: "1" }, "values untouched");
    assert.equal(await s.update(next, { set: { b: "3" } }), true, "the successor takes it");
  });

  check("an update racing the claim of its entry never moves the pointer", async () => {
    const s = store();
    for (let trial = 0; trial < 10; trial++) {
      const [ref, next] = [fresh(), fresh()];
      const until = Date.now() + MINUTE;
      await s.create(ref, session({ data: { a: "1" } }));
      await s.create(next, session());
      const far = until + 10 * MINUTE;
      const [claim, applied] = await Promise.all([
        s.claim(ref, next, until),
        s.update(ref, { set: { a: "2" }, meta: { expiresAt: far } }),
      ]);
      assert.deepEqual(claim, { claimed: true });
      const after = await s.get(ref);
      // Whichever ran first, the claim sets the end of grace last or the update finds a pointer.
      assert.equal(after?.meta.expiresAt, until, "the end of grace is the claim's");
      assertData(after?.data, { a: applied ? "2" : "1" }, "values changed only when applied");
    }
  });
}
