// Expired sessions disappear without a cron job: SQLite and PostgreSQL prune as new sessions
// arrive, Redis lets its keys expire at meta.expiresAt.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./support/services.ts";

function entry(expiresAt: number, userId: string | null = null): StoredSession {
  const now = Date.now();
  return {
    secretHash: "h",
    meta: {
      sid: randomBytes(8).toString("hex"),
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt,
      userId,
      authTime: null,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: { a: "1" },
  };
}

it("sqlite: expired rows are deleted every `pruneEvery` new sessions", async () => {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-sqlite-"));
  const store = sqliteStore({ path: join(dir, "s.db"), pruneEvery: 3 });
  const count = () =>
    store.database.prepare("SELECT count(*) FROM latchkey_sessions").pluck().get() as number;
  try {
    await store.create("expired", entry(Date.now() - 1));
    await store.create("live", entry(Date.now() + 60_000));
    assert.equal(count(), 2, "nothing pruned before the third new session");
    await store.create("live2", entry(Date.now() + 60_000));
    assert.equal(count(), 2, "the expired row is gone, the live ones stay");
    assert.equal(await store.get("expired"), null);
    assert.equal(store.database.pragma("journal_mode", { simple: true }), "wal");
  } finally {
    await store.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("postgres: expired rows are deleted every `pruneEvery` new sessions", async (t) => {
  const unavailable = await postgresUnreachable();
  if (unavailable !== null) return skipOrFail(t, unavailable);
  const schema = runId("prune");
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  const store = postgresStore({ pool, schema, pruneEvery: 3 });
  const count = async () =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".latchkey_sessions`)).rows[0].n);
  try {
    await store.migrate();
    await store.create("expired", entry(Date.now() - 1));
    await store.create("live", entry(Date.now() + 60_000));
    assert.equal(await count(), 2);
    await store.create("live2", entry(Date.now() + 60_000));
    await store.close?.(); // waits for the background prune; the pool is ours, still open
    assert.equal(await count(), 2);
    assert.equal(await store.get("expired"), null);
  } finally {
    await pool.end();
    await dropSchema(schema);
  }
});

it("redis: a session key expires at meta.expiresAt, and follows it when an update moves it", async (t) => {
  const unavailable = await redisUnreachable();
  if (unavailable !== null) return skipOrFail(t, unavailable);
  const prefix = `${runId("ttl")}:`;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = redisStore({ client, prefix });
  try {
    const deadline = Date.now() + 60_000;
    await store.create("r", entry(deadline, "u1"));
    const expiresAt = Date.now() + (await client.pttl(`${prefix}s:r`));
    assert.ok(Math.abs(expiresAt - deadline) < 1_000, `expires at ${expiresAt}, not ${deadline}`);
    assert.ok((await client.pttl(`${prefix}user:u1`)) > 59_000, "the user's index lives as long");
    await store.update("r", { meta: { expiresAt: Date.now() + 150 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await client.exists(`${prefix}s:r`), 0, "Redis removed it");
  } finally {
    client.disconnect();
    await dropRedisPrefix(REDIS_URL, prefix);
  }
});
