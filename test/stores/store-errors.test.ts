// Every deliberate error a store throws is a LatchkeyError with a stable code: option mistakes
// are `config-invalid` at startup, a limited create without a user is `argument-invalid`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLatchkeyError } from "../../packages/latchkey/src/core/errors.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { SessionLimit, StoredSession } from "../../packages/latchkey/src/stores/types.ts";

const code = (expected: string) => (error: unknown) =>
  isLatchkeyError(error) && error.code === expected;

describe("store option errors are config-invalid", () => {
  const cases: Array<[string, () => unknown]> = [
    ["memoryStore maxSessions 0", () => memoryStore({ maxSessions: 0 })],
    ["sqliteStore without path or database", () => sqliteStore({})],
    ["sqliteStore pruneEvery 0", () => sqliteStore({ path: ":memory:", pruneEvery: 0 })],
    ["sqliteStore table with a quote", () => sqliteStore({ path: ":memory:", table: 'x"y' })],
    ["postgresStore without pool or connectionString", () => postgresStore({})],
    [
      "postgresStore pruneEvery 1.5",
      () => postgresStore({ connectionString: "postgres://x", pruneEvery: 1.5 }),
    ],
    [
      "postgresStore schema with a space",
      () => postgresStore({ connectionString: "postgres://x", schema: "a b" }),
    ],
    ["redisStore without client or url", () => redisStore({})],
    [
      "redisStore prefix with a brace",
      () => redisStore({ url: "redis://127.0.0.1:1", prefix: "{x}" }),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, () => assert.throws(make, code("config-invalid")));
  }
});

describe("createWithinLimit() refuses calls no engine makes on purpose", () => {
  const now = Date.now();
  const anonymous: StoredSession = {
    secretHash: "h",
    meta: {
      sid: "s",
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 60_000,
      userId: null,
      authTime: null,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: {},
  };
  const user = { ...anonymous, meta: { ...anonymous.meta, userId: "u" } };
  const stores = { memory: memoryStore(), sqlite: sqliteStore({ path: ":memory:" }) };
  for (const [name, store] of Object.entries(stores)) {
    it(`${name}: a session without a user, a limit below 1, an unknown policy`, async () => {
      const limit: SessionLimit = { limit: 2, policy: "refuse", now };
      await assert.rejects(
        store.createWithinLimit("a", anonymous, limit),
        code("argument-invalid"),
      );
      await assert.rejects(
        store.createWithinLimit("b", user, { ...limit, limit: 0 }),
        code("argument-invalid"),
      );
      const policy = "keep-all" as SessionLimit["policy"];
      await assert.rejects(
        store.createWithinLimit("c", user, { ...limit, policy }),
        code("argument-invalid"),
      );
      assert.equal(await store.get("a"), null);
      assert.equal(await store.get("b"), null);
      await store.close?.();
    });
  }
});
