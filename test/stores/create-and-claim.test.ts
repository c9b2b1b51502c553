// createAndClaim (a token replaced at rotation or login in one step: one script on standalone
// Redis, one statement on PostgreSQL, one transaction on SQLite): the new entry exists exactly
// when the claim won, the old token becomes a pointer or goes, and the user's listing follows.
// On a Redis Cluster the store has no such method and the engine's fallback (create, claim,
// delete on a lost claim) must give the same result.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Cluster, Redis } from "ioredis";
import { createClient } from "redis";
import { createAndClaim } from "../../packages/latchkey/src/stores/chain.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { Store, StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import { redisServerMissing, startRedisCluster } from "./support/redis-server.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./support/services.ts";

function entry(userId: string | null, data: Record<string, string> = {}): StoredSession {
  const now = Date.now();
  return {
    secretHash: randomBytes(8).toString("hex"),
    meta: {
      sid: "sid",
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 60_000,
      userId,
      authTime: userId === null ? null : now,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data,
  };
}

/** The behaviour every client and topology must show, through the engine's helper. */
async function checkReplacement(store: Store): Promise<void> {
  const fresh = () => randomBytes(12).toString("base64url");
  // Rotation: the old token becomes a pointer until the end of its grace window.
  const old = fresh();
  await store.create(old, entry("alice", { a: '"1"' }));
  const rotated = fresh();
  const until = Date.now() + 30_000;
  assert.deepEqual(await createAndClaim(store, rotated, entry("alice", { a: '"1"' }), old, until), {
    claimed: true,
  });
  assert.equal((await store.get(old))?.meta.successor, rotated);
  assert.equal((await store.get(old))?.meta.expiresAt, until);
  assert.deepEqual({ ...(await store.get(rotated))?.data }, { a: '"1"' });
  assert.deepEqual(
    (await store.listByUser("alice")).map((s) => s.ref),
    [rotated],
  );

  // A second replacement of the same old token loses, learns the winner, and creates nothing.
  const loser = fresh();
  assert.deepEqual(await createAndClaim(store, loser, entry("alice"), old, until), {
    claimed: false,
    successor: rotated,
  });
  assert.equal(await store.get(loser), null);

  // Login over an anonymous session: the old token goes at once, the new one is listed.
  const anonymous = fresh();
  await store.create(anonymous, entry(null));
  const login = fresh();
  assert.deepEqual(await createAndClaim(store, login, entry("bob"), anonymous, 0), {
    claimed: true,
  });
  assert.equal(await store.get(anonymous), null);
  assert.deepEqual(
    (await store.listByUser("bob")).map((s) => s.ref),
    [login],
  );

  // The old session is gone (revoked in flight): nothing is created.
  const orphan = fresh();
  assert.deepEqual(await createAndClaim(store, orphan, entry("bob"), fresh(), 0), {
    claimed: false,
    successor: null,
  });
  assert.equal(await store.get(orphan), null);
  assert.deepEqual(
    (await store.listByUser("bob")).map((s) => s.ref),
    [login],
  );
  assert.equal(await store.deleteByUser("alice"), 2, "the pointer and its successor");
}

describe("createAndClaim", () => {
  it("sqlite: one transaction", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-cac-"));
    const store = sqliteStore({ path: join(dir, "sessions.db") });
    try {
      assert.equal(typeof store.createAndClaim, "function");
      await checkReplacement(store);
    } finally {
      await store.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const synchronousCommit of ["on", "off"] as const) {
    it(`postgres (synchronousCommit ${synchronousCommit}): one statement`, async (t) => {
      const unavailable = await postgresUnreachable();
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const schema = runId("cac");
      const store = postgresStore({ connectionString: DATABASE_URL, schema, synchronousCommit });
      try {
        await store.migrate();
        assert.equal(typeof store.createAndClaim, "function");
        await checkReplacement(store);
      } finally {
        await store.close?.();
        await dropSchema(schema);
      }
    });
  }

  it("redis (ioredis, standalone): one script", async (t) => {
    const unavailable = await redisUnreachable();
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const prefix = `${runId("cac")}:`;
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const store = redisStore({ client, prefix });
      assert.equal(typeof store.createAndClaim, "function");
      await checkReplacement(store);
    } finally {
      client.disconnect();
      await dropRedisPrefix(REDIS_URL, prefix);
    }
  });

  it("redis (node-redis, standalone): one script", async (t) => {
    const unavailable = await redisUnreachable();
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const prefix = `${runId("cacnr")}:`;
    const client = await createClient({ url: REDIS_URL }).connect();
    try {
      await checkReplacement(redisStore({ client, prefix }));
    } finally {
      client.destroy();
      await dropRedisPrefix(REDIS_URL, prefix);
    }
  });

  it("redis cluster: no single script (different slots); the fallback gives the same result", async (t) => {
    const missing = redisServerMissing();
    if (missing !== null) return skipOrFail(t, missing);
    const cluster = await startRedisCluster();
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const store = redisStore({ client });
      assert.equal(store.createAndClaim, undefined);
      await checkReplacement(store);
    } finally {
      client.disconnect();
      await cluster.destroy();
    }
  });
});
