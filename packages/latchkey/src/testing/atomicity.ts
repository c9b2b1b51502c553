// Conformance checks for the operations that must be atomic across processes: claim (rotation),
// revocation along successor chains, and the per-user session limit. Each concurrent check runs
// its calls with Promise.all against the one store, so a store that reads, decides and then
// writes in separate steps lets them interleave and fails.
import assert from "node:assert/strict";
import type { SessionLimit, Store } from "../stores/types.ts";
import { baseMeta, fresh, session } from "./fixtures.ts";

type Check = (title: string, body: () => Promise<void>) => void;

const MINUTE = 60_000;

/** A logged-in entry of `userId`, created `age` ms ago. */
function loggedIn(userId: string, age = 0, expiresAt = Date.now() + MINUTE) {
  const at = Date.now() - age;
  return {
    secretHash: fresh(),
    meta: baseMeta({ userId, authTime: at, createdAt: at, issuedAt: at, expiresAt }),
    data: {},
  };
}

/** The user's sessions that are live now. */
async function liveRefs(store: Store, userId: string): Promise<string[]> {
  const now = Date.now();
  const listed = await store.listByUser(userId);
  return listed.filter((s) => s.meta.expiresAt > now).map((s) => s.ref);
}

/**
 * What the engine does to rotate `ref`: create the successor, claim, delete the successor when
 * the claim lost. Returns the claim's answer.
 */
async function rotate(store: Store, ref: string, successor: string, userId: string | null) {
  await store.create(successor, userId === null ? session() : loggedIn(userId));
  const result = await store.claim(ref, successor, Date.now() + MINUTE);
  if (!result.claimed) await store.delete(successor);
  return result;
}

const limitOf = (
  limit: number,
  policy: SessionLimit["policy"],
  extra: Partial<SessionLimit> = {},
) => ({
  limit,
  policy,
  now: Date.now(),
  ...extra,
});

export function describeAtomicity(check: Check, store: () => Store): void {
  check("claim() rotates an entry once: the pointer is set, later claims lose to it", async () => {
    const [ref, first, second] = [fresh(), fresh(), fresh()];
    const entry = session({ data: { a: "1" } });
    await store().create(ref, entry);
    const until = Date.now() + 30_000;
    assert.deepEqual(await store().claim(ref, first, until), { claimed: true });
    const got = await store().get(ref);
    assert.equal(got?.meta.successor, first);
    assert.equal(got?.meta.expiresAt, until);
    assert.equal(got?.secretHash, entry.secretHash, "only successor and expiresAt change");
    assert.equal(got?.data.a, "1");
    assert.deepEqual(await store().claim(ref, second, until + 1), {
      claimed: false,
      successor: first,
    });
    assert.equal((await store().get(ref))?.meta.expiresAt, until, "a lost claim changes nothing");
  });

  check(
    "claim() with pointerUntil 0 deletes the entry; a claim of a missing entry reports it gone",
    async () => {
      const ref = fresh();
      await store().create(ref, session());
      assert.deepEqual(await store().claim(ref, fresh(), 0), { claimed: true });
      assert.equal(await store().get(ref), null);
      assert.deepEqual(await store().claim(ref, fresh(), 0), { claimed: false, successor: null });
      assert.deepEqual(await store().claim(fresh(), fresh(), Date.now() + MINUTE), {
        claimed: false,
        successor: null,
      });
    },
  );

  check("a claimed entry is no longer listed as the user's session", async () => {
    const user = `user-${fresh()}`;
    const [ref, successor] = [fresh(), fresh()];
    await store().create(ref, loggedIn(user));
    assert.equal((await rotate(store(), ref, successor, user)).claimed, true);
    assert.deepEqual(await liveRefs(store(), user), [successor]);
  });

  check("delete() removes the entry and its whole successor chain", async () => {
    const user = `user-${fresh()}`;
    const [a, b, c, other] = [fresh(), fresh(), fresh(), fresh()];
    await store().create(a, loggedIn(user));
    await store().create(other, loggedIn(user));
    assert.equal((await rotate(store(), a, b, user)).claimed, true);
    assert.equal((await rotate(store(), b, c, user)).claimed, true);
    await store().delete(a);
    for (const ref of [a, b, c]) assert.equal(await store().get(ref), null, "chain removed");
    assert.ok(await store().get(other), "an unrelated session stays");
    assert.deepEqual(await liveRefs(store(), user), [other]);
  });

  check("deleteByUser() follows successor chains, and counts every entry it removed", async () => {
    const user = `user-${fresh()}`;
    const [a, b, orphan] = [fresh(), fresh(), fresh()];
    await store().create(a, loggedIn(user));
    await store().create(b, loggedIn(user));
    // A successor the user's listing cannot find (as one created after the listing ran): only
    // the link from `a` leads to it.
    assert.equal((await rotate(store(), a, orphan, null)).claimed, true);
    assert.equal(await store().deleteByUser(user), 3);
    for (const ref of [a, b, orphan]) assert.equal(await store().get(ref), null);
  });

  check(
    "concurrent claims of one ref: exactly one wins, every loser learns the winner",
    async () => {
      for (let trial = 0; trial < 5; trial++) {
        const ref = fresh();
        await store().create(ref, session());
        const successors = Array.from({ length: 20 }, () => fresh());
        const results = await Promise.all(
          successors.map((s) => store().claim(ref, s, Date.now() + MINUTE)),
        );
        const winners = successors.filter((_, i) => results[i]?.claimed);
        assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
        for (const result of results) {
          if (!result.claimed)
            assert.equal(result.successor, winners[0], "losers follow the winner");
        }
        assert.equal((await store().get(ref))?.meta.successor, winners[0]);
      }
    },
  );

  check(
    "concurrent claims with pointerUntil 0: one wins, the others find the entry gone",
    async () => {
      const ref = fresh();
      await store().create(ref, session());
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().claim(ref, fresh(), 0)),
      );
      assert.equal(results.filter((r) => r.claimed).length, 1);
      for (const r of results) if (!r.claimed) assert.equal(r.successor, null);
      assert.equal(await store().get(ref), null);
    },
  );

  check("a rotation racing delete() never leaves a live successor", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const user = `user-${fresh()}`;
      const [ref, successor] = [fresh(), fresh()];
      await store().create(ref, loggedIn(user));
      await Promise.all([rotate(store(), ref, successor, user), store().delete(ref)]);
      assert.equal(await store().get(ref), null, `trial ${trial}: the entry is gone`);
      assert.equal(await store().get(successor), null, `trial ${trial}: no successor survives`);
      assert.deepEqual(await liveRefs(store(), user), []);
    }
  });

  check("rotations racing deleteByUser() never leave a live session of the user", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const user = `user-${fresh()}`;
      const refs = [fresh(), fresh(), fresh()];
      for (const ref of refs) await store().create(ref, loggedIn(user));
      const successors = refs.map(() => fresh());
      await Promise.all([
        ...refs.map((ref, i) => rotate(store(), ref, successors[i] as string, user)),
        store().deleteByUser(user),
      ]);
      for (const ref of [...refs, ...successors]) {
        assert.equal(await store().get(ref), null, `trial ${trial}: ${ref} is gone`);
      }
      assert.deepEqual(await liveRefs(store(), user), []);
    }
  });

  check(
    "createWithinLimit() refuses past the limit, counting only live, unrotated sessions",
    async () => {
      const user = `user-${fresh()}`;
      const [a, b, expired, rotated, next, refused] = [
        fresh(),
        fresh(),
        fresh(),
        fresh(),
        fresh(),
        fresh(),
      ];
      await store().create(expired, loggedIn(user, 0, Date.now() - 1_000));
      await store().create(rotated, loggedIn(user));
      await store().claim(rotated, fresh(), Date.now() + MINUTE);
      assert.deepEqual(await store().createWithinLimit(a, loggedIn(user), limitOf(2, "refuse")), {
        created: true,
        evicted: [],
      });
      assert.deepEqual(await store().createWithinLimit(b, loggedIn(user), limitOf(2, "refuse")), {
        created: true,
        evicted: [],
      });
      assert.deepEqual(
        await store().createWithinLimit(refused, loggedIn(user), limitOf(2, "refuse")),
        { created: false, live: 2 },
      );
      assert.equal(await store().get(refused), null, "a refused login creates nothing");
      assert.deepEqual(
        await store().createWithinLimit(
          next,
          loggedIn(user),
          limitOf(2, "refuse", { exceptRef: a }),
        ),
        { created: true, evicted: [] },
        "exceptRef (the token the login replaces) is not counted",
      );
      assert.deepEqual((await liveRefs(store(), user)).sort(), [a, b, next].sort());
      assert.ok(await store().get(rotated), "a rotated entry is not touched");
    },
  );

  check(
    "createWithinLimit() with evict-oldest removes the oldest by createdAt, never exceptRef",
    async () => {
      const user = `user-${fresh()}`;
      const [oldest, middle, newest, login] = [fresh(), fresh(), fresh(), fresh()];
      await store().create(oldest, loggedIn(user, 30_000));
      await store().create(middle, loggedIn(user, 20_000));
      await store().create(newest, loggedIn(user, 10_000));
      const result = await store().createWithinLimit(
        login,
        loggedIn(user),
        limitOf(2, "evict-oldest", { exceptRef: oldest }),
      );
      // exceptRef is about to be claimed away by the login: not counted, so one eviction suffices.
      assert.deepEqual(result, { created: true, evicted: [middle] });
      assert.equal(await store().get(middle), null, "evicted");
      assert.deepEqual((await liveRefs(store(), user)).sort(), [oldest, newest, login].sort());
      const again = await store().createWithinLimit(
        fresh(),
        loggedIn(user),
        limitOf(2, "evict-oldest"),
      );
      assert.deepEqual(again, { created: true, evicted: [oldest, newest] }, "oldest first");
    },
  );

  for (const policy of ["refuse", "evict-oldest"] as const) {
    check(
      `concurrent createWithinLimit() for one user (${policy}): never more than the limit`,
      async () => {
        for (let trial = 0; trial < 5; trial++) {
          const user = `user-${fresh()}`;
          const refs = Array.from({ length: 12 }, () => fresh());
          const results = await Promise.all(
            refs.map((ref) => store().createWithinLimit(ref, loggedIn(user), limitOf(3, policy))),
          );
          const live = await liveRefs(store(), user);
          assert.equal(live.length, 3, `trial ${trial}: ${live.length} live, limit 3`);
          const created = refs.filter((_, i) => results[i]?.created);
          if (policy === "refuse") assert.deepEqual(created.sort(), [...live].sort());
          else {
            assert.equal(created.length, refs.length, "evict-oldest always admits the login");
            const evicted = results.flatMap((r) => (r.created ? r.evicted : []));
            assert.deepEqual(
              [...evicted, ...live].sort(),
              [...refs].sort(),
              "every login is either live or reported evicted, once",
            );
          }
        }
      },
    );
  }
}
