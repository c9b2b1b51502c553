// Conformance: ids and keys a store cannot hold are refused as `argument-invalid`, the same on
// every store, and nothing is written. (A backend that rejected them itself would surface as an
// outage instead: PostgreSQL cannot hold NUL, and every driver mangles lone surrogates.)
import assert from "node:assert/strict";
import { LatchkeyError } from "../core/errors.ts";
import type { Store } from "../stores/types.ts";
import { MAX_USER_ID_LENGTH, MAX_VALUE_KEY_LENGTH } from "../stores/validate.ts";
import { assertData, baseMeta, fresh, session } from "./fixtures.ts";

type Check = (title: string, body: () => Promise<void>) => void;

/** User ids no store may accept, by what is wrong with them. */
export const BAD_USER_IDS: ReadonlyArray<readonly [string, string]> = [
  ["empty", ""],
  ["a NUL byte", "user\u0000admin"],
  ["a lone high surrogate", "user\uD800"],
  ["a lone low surrogate", "\uDC00user"],
  ["too long", "u".repeat(MAX_USER_ID_LENGTH + 1)],
];

/** Value keys no store may accept (the empty key is an ordinary key). */
export const BAD_VALUE_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["a NUL byte", "cart\u0000"],
  ["a lone surrogate", "k\uD83D"],
  ["too long", "k".repeat(MAX_VALUE_KEY_LENGTH + 1)],
];

function isArgumentInvalid(error: unknown): boolean {
  return error instanceof LatchkeyError && error.code === "argument-invalid";
}

async function refused(call: () => Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(call, isArgumentInvalid, `${what}: refused as argument-invalid`);
}

export function describeArgumentChecks(check: Check, store: () => Store): void {
  for (const [problem, userId] of BAD_USER_IDS) {
    check(`a user id with ${problem} is refused by every method, nothing written`, async () => {
      const s = store();
      const ref = fresh();
      const entry = { secretHash: "h", meta: baseMeta({ userId, authTime: 1 }), data: {} };
      await refused(() => s.create(ref, entry), "create");
      const limit = { limit: 2, policy: "refuse" as const, now: Date.now() };
      await refused(() => s.createWithinLimit(ref, entry, limit), "createWithinLimit");
      assert.equal(await s.get(ref), null, "no entry was created");
      const other = fresh();
      await s.create(other, session({ data: { a: "1" } }));
      await refused(() => s.update(other, { meta: { userId } }), "update");
      assert.equal((await s.get(other))?.meta.userId, null, "the entry is unchanged");
      await refused(() => s.listByUser(userId), "listByUser");
      await refused(() => s.deleteByUser(userId), "deleteByUser");
      await refused(() => s.markRevoked(`u:${userId}`, 1, Date.now() + 60_000), "markRevoked");
      await refused(() => s.revokedSince(["*", `u:${userId}`]), "revokedSince");
    });
  }

  for (const [problem, key] of BAD_VALUE_KEYS) {
    check(`a value key with ${problem} is refused by create() and update()`, async () => {
      const s = store();
      const ref = fresh();
      await refused(() => s.create(ref, session({ data: { [key]: "1" } })), "create");
      assert.equal(await s.get(ref), null, "no entry was created");
      await s.create(ref, session({ data: { a: "1" } }));
      await refused(() => s.update(ref, { set: { b: "2", [key]: "1" } }), "update set");
      await refused(() => s.update(ref, { delete: [key] }), "update delete");
      assertData((await s.get(ref))?.data, { a: "1" }, "no part of a refused change is applied");
    });
  }

  check("the longest user id and value key, astral characters included, round-trip", async () => {
    const s = store();
    const userId = "😀".repeat(MAX_USER_ID_LENGTH / 2);
    const key = `${"k".repeat(MAX_VALUE_KEY_LENGTH - 2)}é✓`;
    const ref = fresh();
    await s.create(ref, session({ userId, data: { [key]: '"v"' } }));
    const got = await s.get(ref);
    assert.equal(got?.meta.userId, userId);
    assertData(got?.data, { [key]: '"v"' });
    assert.deepEqual(
      (await s.listByUser(userId)).map((summary) => summary.ref),
      [ref],
    );
    const at = Date.now();
    await s.markRevoked(`u:${userId}`, at, at + 60_000);
    assert.equal(await s.revokedSince([`u:${userId}`]), at);
    assert.equal(await s.deleteByUser(userId), 1);
  });
}
