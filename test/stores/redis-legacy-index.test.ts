// Sessions written by an earlier redisStore (user index = a plain set `<prefix>u:<userId>`) stay
// visible: listings read the old set and move its refs into the new index, the session limit
// counts them, and revocation removes them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import { Redis } from "ioredis";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import { writeLegacyRecord } from "./support/redis-legacy-record.ts";
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "./support/services.ts";

function loggedIn(userId: string, createdAt: number): StoredSession {
  return {
    secretHash: "h",
    meta: {
      sid: randomBytes(8).toString("hex"),
      createdAt,
      lastSeenAt: createdAt,
      issuedAt: createdAt,
      expiresAt: Date.now() + 60_000,
      userId,
      authTime: createdAt,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: {},
  };
}

it("redis: refs in the old per-user set are listed, migrated, counted by the limit and revoked", async (t) => {
  const unavailable = await redisUnreachable();
  if (unavailable !== null) return skipOrFail(t, unavailable);
  const prefix = `${runId("legacy")}:`;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = redisStore({ client, prefix });
  try {
    // What the earlier version left: the session hash, and its ref in a set.
    const old = async (ref: string, userId: string, createdAt: number) => {
      // Written by hand (so the new index never hears of it), in the earlier record format too.
      await writeLegacyRecord(client, `${prefix}s:${ref}`, loggedIn(userId, createdAt));
      await client.sadd(`${prefix}u:${userId}`, ref);
    };
    await old("a", "alice", Date.now() - 2_000);
    await old("b", "alice", Date.now() - 1_000);
    assert.equal(await client.exists(`${prefix}user:alice`), 0, "nothing in the new index yet");

    const refused = await store.createWithinLimit("c", loggedIn("alice", Date.now()), {
      limit: 2,
      policy: "refuse",
      now: Date.now(),
    });
    assert.deepEqual(refused, { created: false, live: 2 }, "the old sessions count");
    assert.equal(await client.exists(`${prefix}u:alice`), 0, "the old set is emptied");
    assert.deepEqual(Object.keys(await client.hgetall(`${prefix}user:alice`)).sort(), ["a", "b"]);

    await old("d", "alice", Date.now() - 3_000);
    assert.deepEqual((await store.listByUser("alice")).map((s) => s.ref).sort(), ["a", "b", "d"]);
    await old("e", "alice", Date.now());
    assert.equal(await store.deleteByUser("alice"), 4);
    for (const ref of ["a", "b", "d", "e"]) assert.equal(await store.get(ref), null);
    assert.equal(await client.exists(`${prefix}u:alice`), 0);
  } finally {
    client.disconnect();
    await dropRedisPrefix(REDIS_URL, prefix);
  }
});
