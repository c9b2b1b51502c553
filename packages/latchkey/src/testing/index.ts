/**
 * The store conformance suite: the checks every latchkey store passes (memory, SQLite, Redis,
 * PostgreSQL), for you to run against a store of your own. Built on `node:test`.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts — run with `node --test`
 * import { describeStoreConformance } from "latchkey/testing";
 * import { myStore } from "../src/my-store.js";
 *
 * describeStoreConformance("myStore", async () => myStore({ url: process.env.MY_URL! }));
 * ```
 *
 * Besides storing and changing entries faithfully, a store must make three things atomic,
 * across every process that shares it (the suite races calls with `Promise.all` to check):
 *
 * - `claim(ref, successor, pointerUntil)`: of concurrent claims of one entry exactly one wins;
 *   the others change nothing and learn the winner's ref (or null when the entry is gone).
 * - `delete(ref)` and `deleteByUser(userId)` remove successor chains, each link together with
 *   reading where it points: a rotation racing a revocation leaves no live session behind.
 * - `createWithinLimit(ref, session, limit)`: concurrent logins of one user never leave more
 *   live sessions than the limit, with either policy.
 * - `update(ref, change)`: a rotated-away entry (`meta.successor` set) is left unchanged, checked
 *   in the same step as the write, and the call resolves false (as for a missing entry), so a
 *   request that loaded the session before a concurrent rotation never moves the old token's end
 *   of grace.
 *
 * - `createAndClaim(ref, session, oldRef, pointerUntil)`, when the store has it (it is optional):
 *   `ref` is created exactly when the claim of `oldRef` wins; of concurrent calls for one
 *   `oldRef` exactly one wins and only its entry exists. Stores without it are not checked here.
 *
 * On Redis Cluster each of these must touch one key per script; see `redisStore` for one way.
 *
 * A store also refuses, with `LatchkeyError("argument-invalid")` and before writing anything,
 * user ids and value keys it could not hold faithfully: a NUL byte, an unpaired surrogate, an
 * empty user id, more than 512 (user id) or 1024 (value key) UTF-16 units. Revocation keys
 * embed a user id (`u:<userId>`) and follow the same rules.
 * @module
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Store } from "../stores/types.ts";
import { describeArgumentChecks } from "./argument-checks.ts";
import { describeAtomicity } from "./atomicity.ts";
import { describeCreateAndClaim } from "./create-and-claim.ts";
import { assertData, baseMeta, fresh, session, sleep, TRICKY_DATA } from "./fixtures.ts";
import { describeRotatedEntryUpdates } from "./rotated-entries.ts";

export { signIn } from "./sign-in.ts";

export interface ConformanceOptions {
  /**
   * Called before the store is made; return a reason to skip the whole suite (e.g. "redis not
   * reachable") or null to run it.
   */
  skip?: () => Promise<string | null> | string | null;
}

/**
 * Declares a `describe` block of conformance tests for the store that `makeStore` returns. The
 * store is made once, shared by the tests (each uses fresh refs and user ids), and closed at the
 * end. `deleteAll()` is checked last: it removes every session in the store.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Store | Promise<Store>,
  options: ConformanceOptions = {},
): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let skipped: string | null = null;

    before(async () => {
      skipped = (await options.skip?.()) ?? null;
      if (skipped === null) store = await makeStore();
    });
    after(async () => {
      if (skipped === null) await store?.close?.();
    });

    /** A test that is skipped (with its reason) when the store is unavailable. */
    const check = (title: string, body: () => Promise<void>) =>
      it(title, async (t) => {
        if (skipped !== null) return t.skip(skipped);
        await body();
      });

    /** A check of the optional `createAndClaim()`, skipped for a store that leaves it out. */
    const checkCreateAndClaim = (title: string, body: () => Promise<void>) =>
      it(title, async (t) => {
        if (skipped !== null) return t.skip(skipped);
        if (store.createAndClaim === undefined) return t.skip("the store has no createAndClaim");
        await body();
      });

    check("is a server store", async () => {
      assert.equal(store.kind, "server");
    });

    check("get() of an unknown ref is null", async () => {
      assert.equal(await store.get(fresh()), null);
    });

    check("create() then get() returns the entry exactly, value texts unchanged", async () => {
      const ref = fresh();
      const entry = session({ data: TRICKY_DATA });
      await store.create(ref, entry);
      const got = await store.get(ref);
      assert.ok(got, "the entry exists");
      assert.equal(got.secretHash, entry.secretHash);
      assert.deepEqual({ ...got.meta }, entry.meta);
      assertData(got.data, TRICKY_DATA);
    });

    check("keeps every meta field, including nulls, booleans and large timestamps", async () => {
      const ref = fresh();
      const meta = baseMeta({
        userId: `user-${fresh()}`,
        authTime: 8_640_000_000_000,
        persistent: true,
        userAgent: 'Mozilla/5.0 (X11; Linux) "quoted" ünïcode ✓',
        successor: fresh(),
      });
      await store.create(ref, { secretHash: fresh(), meta, data: {} });
      assert.deepEqual({ ...(await store.get(ref))?.meta }, meta);
    });

    check(
      "what get() returns is a copy or frozen: changing it changes nothing stored",
      async () => {
        const ref = fresh();
        await store.create(ref, session({ data: { a: "1" } }));
        const got = await store.get(ref);
        assert.ok(got);
        // A frozen snapshot refuses the change (TypeError in strict mode); a copy takes it.
        try {
          got.data.a = "2";
          got.meta.userId = "mallory";
        } catch (error) {
          assert.ok(error instanceof TypeError, "only a frozen object may refuse");
        }
        const again = await store.get(ref);
        assert.equal(again?.data.a, "1");
        assert.equal(again?.meta.userId, null);
      },
    );

    check("update() applies a change set: set, delete, untouched keys kept", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { keep: '"k"', change: "1", drop: "true" } }));
      await store.update(ref, { set: { change: "2", added: '{"n": [1, 2]}' }, delete: ["drop"] });
      const got = await store.get(ref);
      assertData(got?.data, { added: '{"n": [1, 2]}', change: "2", keep: '"k"' });
    });

    check("update() sets and deletes keys with unusual names, texts unchanged", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { plain: "0" } }));
      await store.update(ref, { set: TRICKY_DATA });
      assertData((await store.get(ref))?.data, { plain: "0", ...TRICKY_DATA });
      await store.update(ref, { delete: Object.keys(TRICKY_DATA) });
      assertData((await store.get(ref))?.data, { plain: "0" });
    });

    check("update() changes only the meta fields it names, nulls included", async () => {
      const ref = fresh();
      const meta = baseMeta({ userId: null, successor: null });
      await store.create(ref, { secretHash: "h", meta, data: { a: "1" } });
      const successor = fresh();
      await store.update(ref, {
        meta: { lastSeenAt: meta.lastSeenAt + 5, expiresAt: meta.expiresAt + 5, successor },
      });
      assert.deepEqual(
        { ...(await store.get(ref))?.meta },
        { ...meta, lastSeenAt: meta.lastSeenAt + 5, expiresAt: meta.expiresAt + 5, successor },
      );
      const other = fresh();
      const named = baseMeta({ userAgent: "agent", authTime: 7, persistent: false });
      await store.create(other, { secretHash: "h", meta: named, data: { a: "1" } });
      await store.update(other, { meta: { userAgent: null, persistent: true, authTime: null } });
      const got = await store.get(other);
      assert.equal(got?.meta.userAgent, null);
      assert.equal(got?.meta.persistent, true);
      assert.equal(got?.meta.authTime, null);
      assertData(got?.data, { a: "1" }, "values untouched by a meta-only change");
    });

    check("update() with an empty change set changes nothing", async () => {
      const ref = fresh();
      const entry = session({ data: { a: "1" } });
      await store.create(ref, entry);
      await store.update(ref, {});
      const got = await store.get(ref);
      assert.deepEqual({ ...got?.meta }, entry.meta);
      assertData(got?.data, { a: "1" });
    });

    check("deleting a key that is not there is not an error", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { a: "1" } }));
      await store.update(ref, { delete: ["missing"] });
      assertData((await store.get(ref))?.data, { a: "1" });
    });

    check("update() of a missing entry leaves it missing", async () => {
      const ref = fresh();
      await store.update(ref, { set: { a: "1" }, meta: { lastSeenAt: Date.now() } });
      assert.equal(await store.get(ref), null);
    });

    check("update() after delete() does not resurrect the session", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { a: "1" } }));
      await store.delete(ref);
      await store.update(ref, {
        set: { b: "2" },
        meta: { lastSeenAt: Date.now(), expiresAt: Date.now() + 60_000 },
      });
      assert.equal(await store.get(ref), null);
    });

    check("delete() removes the entry; deleting a missing one is not an error", async () => {
      const ref = fresh();
      await store.create(ref, session());
      await store.delete(ref);
      assert.equal(await store.get(ref), null);
      await store.delete(ref);
      await store.delete(fresh());
    });

    check("100 concurrent updates of different keys all persist", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { base: "0" } }));
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.update(ref, {
            set: { [`k${i}`]: JSON.stringify({ i }) },
            meta: { lastSeenAt: Date.now() + i },
          }),
        ),
      );
      const data = (await store.get(ref))?.data ?? {};
      assert.equal(Object.keys(data).length, 101);
      for (let i = 0; i < 100; i++) assert.equal(data[`k${i}`], JSON.stringify({ i }));
    });

    check("concurrent updates of the same key: one of the written values wins", async () => {
      const ref = fresh();
      await store.create(ref, session({ data: { k: "0" } }));
      const written = Array.from({ length: 20 }, (_, i) => String(i + 1));
      await Promise.all(written.map((v) => store.update(ref, { set: { k: v } })));
      const value = (await store.get(ref))?.data.k;
      assert.ok(value !== undefined && written.includes(value), `got ${value}`);
    });

    check("concurrent deletes and sets of other keys do not interfere", async () => {
      const ref = fresh();
      const data: Record<string, string> = {};
      for (let i = 0; i < 50; i++) data[`old${i}`] = "1";
      await store.create(ref, session({ data }));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.update(ref, { delete: [`old${i}`], set: { [`new${i}`]: "2" } }),
        ),
      );
      const got = (await store.get(ref))?.data ?? {};
      assert.deepEqual(
        Object.keys(got).sort(),
        Object.keys(data)
          .map((k) => k.replace("old", "new"))
          .sort(),
      );
    });

    check("large values and many keys round-trip", async () => {
      const ref = fresh();
      const data: Record<string, string> = { big: JSON.stringify("x".repeat(200_000)) };
      for (let i = 0; i < 2_500; i++) data[`key-${i}`] = String(i);
      await store.create(ref, session({ data }));
      const got = await store.get(ref);
      assert.equal(Object.keys(got?.data ?? {}).length, 2_501);
      assert.equal(got?.data.big, data.big);
      const set: Record<string, string> = {};
      for (let i = 0; i < 2_500; i++) set[`key-${i}`] = String(-i);
      await store.update(ref, { set, delete: ["big"] });
      const updated = await store.get(ref);
      assert.equal(Object.keys(updated?.data ?? {}).length, 2_500);
      assert.equal(updated?.data["key-2499"], "-2499");
    });

    check("listByUser() lists the user's sessions, without rotated-away tokens", async () => {
      const user = `user-${fresh()}`;
      const [a, b, rotated, other, anonymous] = [fresh(), fresh(), fresh(), fresh(), fresh()];
      const metaA = baseMeta({ userId: user, userAgent: "A" });
      await store.create(a, { secretHash: "h", meta: metaA, data: {} });
      await store.create(b, session({ userId: user }));
      await store.create(rotated, session({ userId: user }));
      await store.create(other, session({ userId: `user-${fresh()}` }));
      await store.create(anonymous, session());
      await store.update(rotated, { meta: { successor: b, expiresAt: Date.now() + 10_000 } });
      const listed = await store.listByUser(user);
      assert.deepEqual(listed.map((s) => s.ref).sort(), [a, b].sort());
      assert.deepEqual({ ...listed.find((s) => s.ref === a)?.meta }, metaA);
      assert.deepEqual(await store.listByUser(`user-${fresh()}`), []);
    });

    check("listByUser() follows deletes and a user set by update()", async () => {
      const user = `user-${fresh()}`;
      const [a, b] = [fresh(), fresh()];
      await store.create(a, session({ userId: user }));
      await store.create(b, session());
      await store.update(b, { meta: { userId: user } });
      assert.deepEqual((await store.listByUser(user)).map((s) => s.ref).sort(), [a, b].sort());
      await store.delete(a);
      assert.deepEqual(
        (await store.listByUser(user)).map((s) => s.ref),
        [b],
      );
    });

    check(
      "deleteByUser() removes all of the user's entries, rotated ones too, and counts them",
      async () => {
        const user = `user-${fresh()}`;
        const [a, b, rotated, other] = [fresh(), fresh(), fresh(), fresh()];
        await store.create(a, session({ userId: user }));
        await store.create(b, session({ userId: user }));
        await store.create(rotated, session({ userId: user }));
        await store.update(rotated, { meta: { successor: b, expiresAt: Date.now() + 10_000 } });
        await store.create(other, session({ userId: `user-${fresh()}` }));
        assert.equal(await store.deleteByUser(user), 3);
        for (const ref of [a, b, rotated]) assert.equal(await store.get(ref), null);
        assert.ok(await store.get(other), "another user's session is untouched");
        assert.deepEqual(await store.listByUser(user), []);
        assert.equal(await store.deleteByUser(user), 0);
      },
    );

    describeAtomicity(check, () => store);

    describeRotatedEntryUpdates(check, () => store);

    describeArgumentChecks(check, () => store);

    describeCreateAndClaim(checkCreateAndClaim, () => store);

    check("revocation marks: 0 when none, the latest among the keys, never lowered", async () => {
      const id = fresh();
      const now = Date.now();
      assert.equal(await store.revokedSince([`u:${id}`, `s:${id}`]), 0);
      assert.equal(await store.revokedSince([]), 0);
      await store.markRevoked(`u:${id}`, now - 10, now + 60_000);
      await store.markRevoked(`s:${id}`, now - 5, now + 60_000);
      assert.equal(await store.revokedSince([`u:${id}`, `s:${id}`, `s:${fresh()}`]), now - 5);
      await store.markRevoked(`s:${id}`, now - 100, now + 60_000);
      assert.equal(
        await store.revokedSince([`s:${id}`]),
        now - 5,
        "an earlier mark does not lower it",
      );
      await store.markRevoked(`s:${id}`, now + 1, now + 60_000);
      assert.equal(await store.revokedSince([`s:${id}`]), now + 1);
    });

    check(
      "entries are kept until expiresAt, and an update that extends expiresAt keeps them longer",
      async () => {
        const ref = fresh();
        const soon = Date.now() + 250;
        await store.create(ref, session({ expiresAt: soon }));
        assert.ok(await store.get(ref), "live before its deadline");
        await store.update(ref, { meta: { expiresAt: Date.now() + 60_000 } });
        await sleep(400);
        const got = await store.get(ref);
        assert.ok(got, "still there past the first deadline");
        assert.ok((got?.meta.expiresAt ?? 0) > Date.now());
      },
    );

    check(
      "an entry past expiresAt is either gone or returned with its expiresAt (the engine rejects it)",
      async () => {
        const ref = fresh();
        const past = Date.now() - 1_000;
        await store.create(ref, session({ expiresAt: past }));
        const got = await store.get(ref);
        if (got !== null) assert.equal(got.meta.expiresAt, past);
      },
    );

    check("deleteAll() removes every session but keeps revocation marks", async () => {
      const user = `user-${fresh()}`;
      const [a, b] = [fresh(), fresh()];
      await store.create(a, session({ userId: user }));
      await store.create(b, session());
      const mark = `u:${fresh()}`;
      const at = Date.now();
      await store.markRevoked(mark, at, at + 60_000);
      await store.deleteAll();
      assert.equal(await store.get(a), null);
      assert.equal(await store.get(b), null);
      assert.deepEqual(await store.listByUser(user), []);
      assert.equal(
        await store.revokedSince([mark]),
        at,
        "marks outlive deleteAll (revokeAll relies on them)",
      );
      await store.create(a, session());
      assert.ok(await store.get(a), "the store works after deleteAll");
    });
  });
}
