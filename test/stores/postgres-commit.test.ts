// postgresStore({ synchronousCommit: "off" }): the store's session writes commit asynchronously,
// its revocations synchronously, and the setting never stays on a pooled connection. A trigger
// on the store's tables records `synchronous_commit` as each statement's transaction sees it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import { DATABASE_URL, dropSchema, postgresUnreachable, runId } from "./support/services.ts";

function entry(userId: string | null): StoredSession {
  const now = Date.now();
  return {
    secretHash: "h",
    meta: {
      sid: `sid-${Math.random()}`,
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
    data: { a: "1" },
  };
}

describe("postgres: synchronousCommit", () => {
  const schema = runId("commit");
  let unavailable: string | null = null;
  // One connection: every statement of the store and of "the app" runs on the same one, so a
  // setting left behind would show in the app's next statement.
  let pool: pg.Pool;

  before(async () => {
    unavailable = await postgresUnreachable();
    if (unavailable !== null) return;
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    await postgresStore({ pool, schema }).migrate();
    await pool.query(`
      CREATE TABLE "${schema}".seen (n serial, op text, tbl text, setting text);
      CREATE FUNCTION "${schema}".record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "${schema}".seen (op, tbl, setting)
          VALUES (TG_OP, TG_TABLE_NAME, current_setting('synchronous_commit'));
        RETURN NULL;
      END $$;
      CREATE TRIGGER record AFTER INSERT OR UPDATE OR DELETE ON "${schema}".latchkey_sessions
        FOR EACH ROW EXECUTE FUNCTION "${schema}".record();
      CREATE TRIGGER record AFTER INSERT OR UPDATE OR DELETE ON "${schema}".latchkey_sessions_revocations
        FOR EACH ROW EXECUTE FUNCTION "${schema}".record();`);
  });
  after(async () => {
    if (unavailable !== null) return;
    await pool.end();
    await dropSchema(schema);
  });

  /** What each row change of `work` saw, and the setting the pool's connection has afterwards. */
  async function observe(work: () => Promise<unknown>): Promise<{ seen: string[]; after: string }> {
    await pool.query(`TRUNCATE "${schema}".seen`);
    await work();
    const { rows } = await pool.query<{ op: string; tbl: string; setting: string }>(
      `SELECT op, tbl, setting FROM "${schema}".seen ORDER BY n`,
    );
    const shown = await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    return {
      seen: rows.map(
        (r) => `${r.op} ${r.tbl.replace("latchkey_sessions", "sessions")} ${r.setting}`,
      ),
      after: shown.rows[0]?.synchronous_commit as string,
    };
  }

  it('"off": session writes commit asynchronously, revocations synchronously, nothing leaks', async (t) => {
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const store = postgresStore({ pool, schema, synchronousCommit: "off" });
    const replace = store.createAndClaim as NonNullable<typeof store.createAndClaim>;
    assert.deepEqual(await observe(() => store.create("r1", entry("alice"))), {
      seen: ["INSERT sessions off"],
      after: "on",
    });
    assert.deepEqual(
      await observe(() => store.update("r1", { set: { b: "2" }, meta: { lastSeenAt: 1 } })),
      { seen: ["UPDATE sessions off"], after: "on" },
    );
    await store.create("r2", entry("alice"));
    assert.deepEqual(await observe(() => store.claim("r1", "r2", Date.now() + 5_000)), {
      seen: ["UPDATE sessions off"],
      after: "on",
    });
    assert.equal((await store.get("r2"))?.data.a, "1", "the writes landed");
    assert.deepEqual(
      await observe(() => replace("r2b", entry("alice"), "r2", Date.now() + 5_000)),
      { seen: ["UPDATE sessions off", "INSERT sessions off"], after: "on" },
      "a rotation in one statement: the pointer and the new entry",
    );
    await store.delete("r2b");
    // Revocations: logout (delete with chain), the old token a login destroys, marks, revokeUser.
    assert.deepEqual(await observe(() => store.delete("r1")), {
      seen: ["DELETE sessions on", "DELETE sessions on"],
      after: "on",
    });
    await store.create("r3", entry(null));
    await store.create("r4", entry("bob"));
    assert.deepEqual(await observe(() => store.claim("r3", "r4", 0)), {
      seen: ["DELETE sessions on"],
      after: "on",
    });
    await store.create("r3b", entry(null));
    assert.deepEqual(
      await observe(() => replace("r4b", entry("bob"), "r3b", 0)),
      { seen: ["DELETE sessions on", "INSERT sessions on"], after: "on" },
      "a login in one statement destroys the old token: synchronous",
    );
    assert.deepEqual(await observe(() => store.markRevoked("u:bob", 1, Date.now() + 60_000)), {
      seen: ["INSERT sessions_revocations on"],
      after: "on",
    });
    assert.deepEqual(await observe(() => store.deleteByUser("bob")), {
      seen: ["DELETE sessions on", "DELETE sessions on"],
      after: "on",
    });
    const limited = entry("carol");
    assert.deepEqual(
      await observe(() =>
        store.createWithinLimit("r5", limited, { limit: 1, policy: "refuse", now: Date.now() }),
      ),
      { seen: ["INSERT sessions on"], after: "on" },
      "the limit's transaction (which may evict) stays synchronous",
    );
    await store.create("r6", entry(null));
    assert.deepEqual(await observe(() => store.deleteAll()), {
      seen: ["DELETE sessions on", "DELETE sessions on"],
      after: "on",
    });
  });

  it("by default every write commits synchronously", async (t) => {
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const store = postgresStore({ pool, schema });
    assert.deepEqual(await observe(() => store.create("d1", entry(null))), {
      seen: ["INSERT sessions on"],
      after: "on",
    });
    assert.deepEqual(await observe(() => store.update("d1", { set: { b: "2" } })), {
      seen: ["UPDATE sessions on"],
      after: "on",
    });
  });

  it("refuses a setting it does not know", () => {
    assert.throws(
      () => postgresStore({ connectionString: DATABASE_URL, synchronousCommit: "of" as "off" }),
      { code: "config-invalid" },
    );
  });
});
