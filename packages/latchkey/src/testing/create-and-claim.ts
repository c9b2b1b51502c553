// Conformance checks for the optional `createAndClaim(ref, session, oldRef, pointerUntil)`: the
// new entry exists exactly when the claim of the old one won. A store that creates first and
// claims after (or claims and then creates) leaves, for a lost claim, a live session nobody asked
// for, or for a won claim, a pointer to nothing. Run only for stores that implement it.
import assert from "node:assert/strict";
import { LatchkeyError } from "../core/errors.ts";
import type { ClaimResult, Store } from "../stores/types.ts";
import { BAD_USER_IDS, BAD_VALUE_KEYS } from "./argument-checks.ts";
import { assertData, baseMeta, fresh, session, TRICKY_DATA } from "./fixtures.ts";

type Check = (title: string, body: () => Promise<void>) => void;

const MINUTE = 60_000;

/** The store's `createAndClaim`; the caller runs these checks only when it has one. */
function method(store: Store): NonNullable<Store["createAndClaim"]> {
  assert.ok(store.createAndClaim, "the store implements createAndClaim");
  return store.createAndClaim.bind(store);
}

function isArgumentInvalid(error: unknown): boolean {
  return error instanceof LatchkeyError && error.code === "argument-invalid";
}

export function describeCreateAndClaim(check: Check, store: () => Store): void {
  check("createAndClaim() that wins: the new entry is exactly the record given", async () => {
    const s = store();
    const user = `user-${fresh()}`;
    const [old, ref] = [fresh(), fresh()];
    const oldEntry = session({ userId: user, data: { a: "1" } });
    await s.create(old, oldEntry);
    const meta = baseMeta({ userId: user, authTime: 7, persistent: true, userAgent: "agent ✓" });
    const entry = { secretHash: fresh(), meta, data: TRICKY_DATA };
    const until = Date.now() + MINUTE;
    assert.deepEqual(await method(s)(ref, entry, old, until), { claimed: true });
    const got = await s.get(ref);
    assert.ok(got, "the new entry exists");
    assert.equal(got.secretHash, entry.secretHash);
    assert.deepEqual({ ...got.meta }, meta);
    assertData(got.data, TRICKY_DATA);
    const pointer = await s.get(old);
    assert.equal(pointer?.meta.successor, ref, "the old entry points at the new one");
    assert.equal(pointer?.meta.expiresAt, until, "until the end of its grace window");
    assert.equal(pointer?.secretHash, oldEntry.secretHash, "only successor and expiresAt change");
    assertData(pointer?.data, { a: "1" });
    assert.deepEqual(
      (await s.listByUser(user)).map((summary) => summary.ref),
      [ref],
      "the user's one session is the new entry",
    );
  });

  check("createAndClaim() with pointerUntil 0 deletes the old entry", async () => {
    const s = store();
    const [old, ref] = [fresh(), fresh()];
    await s.create(old, session());
    const entry = session({ userId: `user-${fresh()}`, data: { b: "2" } });
    assert.deepEqual(await method(s)(ref, entry, old, 0), { claimed: true });
    assert.equal(await s.get(old), null, "the old token dies at once");
    const got = await s.get(ref);
    assert.deepEqual({ ...got?.meta }, entry.meta);
    assertData(got?.data, { b: "2" });
  });

  check(
    "createAndClaim() of an already rotated entry loses to its successor, creates nothing",
    async () => {
      const s = store();
      const user = `user-${fresh()}`;
      const [old, first, ref] = [fresh(), fresh(), fresh()];
      await s.create(old, session({ data: { a: "1" } }));
      await s.create(first, session({ userId: user }));
      const until = Date.now() + MINUTE;
      assert.deepEqual(await s.claim(old, first, until), { claimed: true });
      const before = await s.get(old);
      const result = await method(s)(ref, session({ userId: user }), old, until + MINUTE);
      assert.deepEqual(result, { claimed: false, successor: first }, "the loser learns the winner");
      assert.equal(await s.get(ref), null, "a lost claim creates nothing");
      assert.deepEqual({ ...(await s.get(old))?.meta }, { ...before?.meta }, "the pointer stays");
      assert.deepEqual(
        (await s.listByUser(user)).map((summary) => summary.ref),
        [first],
      );
    },
  );

  check("createAndClaim() of a missing entry reports it gone, creates nothing", async () => {
    const s = store();
    const user = `user-${fresh()}`;
    const [old, ref, later] = [fresh(), fresh(), fresh()];
    assert.deepEqual(await method(s)(ref, session({ userId: user }), old, Date.now() + MINUTE), {
      claimed: false,
      successor: null,
    });
    assert.equal(await s.get(ref), null);
    // Revoked in flight: the entry existed, then went, before the replacement reached it.
    await s.create(old, session());
    await s.delete(old);
    assert.deepEqual(await method(s)(later, session({ userId: user }), old, 0), {
      claimed: false,
      successor: null,
    });
    assert.equal(await s.get(later), null);
    assert.deepEqual(await s.listByUser(user), []);
  });

  for (const until of [MINUTE, 0]) {
    check(
      `concurrent createAndClaim() of one ref (pointerUntil ${until ? "set" : "0"}): exactly one wins and exists, losers learn the winner`,
      async () => {
        const s = store();
        const user = `user-${fresh()}`;
        const old = fresh();
        await s.create(old, session({ userId: user }));
        const refs = Array.from({ length: 10 }, () => fresh());
        const pointerUntil = until === 0 ? 0 : Date.now() + until;
        const results: ClaimResult[] = await Promise.all(
          refs.map((ref) => method(s)(ref, session({ userId: user }), old, pointerUntil)),
        );
        const winners = refs.filter((_, i) => results[i]?.claimed);
        assert.equal(winners.length, 1, "exactly one wins");
        const winner = winners[0] as string;
        const existing = [];
        for (const ref of refs) if ((await s.get(ref)) !== null) existing.push(ref);
        assert.deepEqual(existing, [winner], "only the winner's entry exists");
        // A loser that ran before the pointer was deleted learns the winner; after, nothing is left
        // to learn from (as for claim()).
        for (const result of results) {
          if (result.claimed) continue;
          const learned = until === 0 ? [winner, null] : [winner];
          assert.ok(learned.includes(result.successor), "a loser learns the winner's ref");
        }
        assert.deepEqual(
          (await s.listByUser(user)).map((summary) => summary.ref),
          [winner],
        );
        if (until === 0) assert.equal(await s.get(old), null);
        else assert.equal((await s.get(old))?.meta.successor, winner);
      },
    );
  }

  const bad = [
    ...BAD_USER_IDS.map(([problem, userId]) => [`a user id with ${problem}`, { userId }] as const),
    ...BAD_VALUE_KEYS.map(([problem, key]) => [`a value key with ${problem}`, { key }] as const),
  ];
  check(
    "createAndClaim() refuses what create() refuses, before claiming or creating anything",
    async () => {
      const s = store();
      for (const [what, problem] of bad) {
        const [old, ref] = [fresh(), fresh()];
        const oldEntry = session({ data: { a: "1" } });
        await s.create(old, oldEntry);
        const entry =
          "userId" in problem
            ? { secretHash: "h", meta: baseMeta({ userId: problem.userId, authTime: 1 }), data: {} }
            : session({ data: { ok: "1", [problem.key]: "1" } });
        await assert.rejects(
          () => method(s)(ref, entry, old, Date.now() + MINUTE),
          isArgumentInvalid,
          `${what}: refused as argument-invalid`,
        );
        assert.equal(await s.get(ref), null, `${what}: no entry was created`);
        assert.deepEqual(
          { ...(await s.get(old))?.meta },
          oldEntry.meta,
          `${what}: the old entry is not claimed`,
        );
      }
    },
  );
}
