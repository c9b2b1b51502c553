// Session hashes written by an earlier redisStore (one `m:<field>` per meta field) keep working:
// read as they are, changed in place, rewritten with the meta as one `m` field once the meta
// changes, claimed, and deleted with their successor chains and user index members.
import assert from "node:assert/strict";
import { it } from "node:test";
import { Redis } from "ioredis";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import { writeLegacyRecord } from "./support/redis-legacy-record.ts";
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "./support/services.ts";

function entry(userId: string | null, createdAt: number): StoredSession {
  return {
    secretHash: "hash",
    meta: {
      sid: `sid-${createdAt}`,
      createdAt,
      lastSeenAt: createdAt,
      issuedAt: createdAt,
      expiresAt: createdAt + 600_000,
      userId,
      authTime: userId === null ? null : createdAt,
      persistent: true,
      userAgent: 'Mozilla/5.0 (X11; Linux) "quoted" é',
      successor: null,
    },
    data: { cart: '["book","lamp"]', n: "1" },
  };
}

it("redis: records of the earlier format are read, updated, migrated, claimed and deleted", async (t) => {
  const unavailable = await redisUnreachable();
  if (unavailable !== null) return skipOrFail(t, unavailable);
  const prefix = `${runId("legacy-format")}:`;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = redisStore({ client, prefix });
  const key = (ref: string) => `${prefix}s:${ref}`;
  // Values come back in a prototype-less object.
  const read = async (ref: string) => JSON.parse(JSON.stringify(await store.get(ref)));
  const metaFields = async (ref: string) =>
    Object.keys(await client.hgetall(key(ref)))
      .filter((field) => field.startsWith("m"))
      .sort();
  try {
    const now = Date.now();
    const a = entry("alice", now);
    await writeLegacyRecord(client, key("a"), a);
    await client.hset(`${prefix}user:alice`, "a", `${now}:${a.meta.expiresAt}:0`);
    assert.deepEqual(await read("a"), a);
    assert.deepEqual(
      (await store.listByUser("alice")).map((s) => s.ref),
      ["a"],
    );

    // A change of values only leaves the meta as it is, in the earlier format.
    assert.equal(await store.update("a", { set: { n: "2" }, delete: ["cart"] }), true);
    const { cart: _, ...rest } = a.data;
    assert.deepEqual(await read("a"), { ...a, data: { ...rest, n: "2" } });
    assert.ok((await metaFields("a")).includes("m:sid"));

    // A touch rewrites the meta as one field.
    const touched = { lastSeenAt: now + 1_000, expiresAt: now + 900_000 };
    assert.equal(await store.update("a", { meta: touched }), true);
    assert.deepEqual(await metaFields("a"), ["m"]);
    assert.deepEqual(await read("a"), {
      ...a,
      meta: { ...a.meta, ...touched },
      data: { ...rest, n: "2" },
    });
    const member = await client.hget(`${prefix}user:alice`, "a");
    assert.equal(member, `${now}:${touched.expiresAt}:0`, "the user's index follows the touch");

    // Claims: the winner rewrites the record; a later claim learns the successor.
    const b = entry("alice", now + 1);
    await writeLegacyRecord(client, key("b"), b);
    await client.hset(`${prefix}user:alice`, "b", `${b.meta.createdAt}:${b.meta.expiresAt}:0`);
    await store.create("b2", entry("alice", now + 2));
    assert.deepEqual(await store.claim("b", "b2", now + 30_000), { claimed: true });
    assert.deepEqual(await metaFields("b"), ["m"]);
    assert.deepEqual((await read("b")).meta, {
      ...b.meta,
      successor: "b2",
      expiresAt: now + 30_000,
    });
    assert.deepEqual(await store.claim("b", "b3", now + 30_000), {
      claimed: false,
      successor: "b2",
    });
    assert.equal(
      await store.update("b", { set: { n: "9" } }),
      false,
      "a rotated-away record is left",
    );

    const c = entry("alice", now + 3);
    await writeLegacyRecord(client, key("c"), { ...c, meta: { ...c.meta, successor: "c2" } });
    assert.deepEqual(await store.claim("c", "c3", 0), { claimed: false, successor: "c2" });

    // A chain of earlier-format links is deleted whole.
    await writeLegacyRecord(client, key("d"), {
      ...entry("bob", now),
      meta: { ...entry("bob", now).meta, successor: "d2" },
    });
    await writeLegacyRecord(client, key("d2"), entry("bob", now + 5));
    await store.delete("d");
    assert.equal(await store.get("d"), null);
    assert.equal(await store.get("d2"), null);

    // Revoking the user removes every record of hers, whichever format.
    assert.equal(await store.deleteByUser("alice"), 3);
    for (const ref of ["a", "b", "b2"]) assert.equal(await store.get(ref), null, ref);
  } finally {
    client.disconnect();
    await dropRedisPrefix(REDIS_URL, prefix);
  }
});
