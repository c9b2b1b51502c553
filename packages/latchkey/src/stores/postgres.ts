import { createHash } from "node:crypto";
import pg from "pg";
import { LatchkeyError } from "../core/errors.ts";
import { type Removed, removeChain } from "./chain.ts";
import { checkConnectionUrl } from "./connection-url.ts";
import { limitedUser, planLimitedCreate } from "./limit.ts";
import {
  checkIdentifier,
  dataText,
  META_COLUMNS,
  metaPatchText,
  SESSION_COLUMNS,
  type SessionRow,
  sessionOf,
  setOf,
  summaryOf,
} from "./sql/rows.ts";
import type { LimitedCreateResult, SessionLimit, Store, StoredSession } from "./types.ts";
import { withArgumentChecks } from "./validate.ts";

export interface PostgresStoreOptions {
  /** A pg Pool. You keep ownership: close() leaves it open, and its `error` events are yours to handle. */
  pool?: pg.Pool;
  /** A connection string instead of `pool`; the store then owns its pool. */
  connectionString?: string;
  /** Extra pg Pool options when `connectionString` is given. */
  poolOptions?: pg.PoolConfig;
  /** Schema of the tables (created by migrate() when missing). Default: the search path (usually `public`). */
  schema?: string;
  /** Table name; revocation marks go to `<table>_revocations`. Default `latchkey_sessions`. */
  table?: string;
  /** Expired rows are deleted (up to 1000 at a time) once every this many new sessions. Default 100. */
  pruneEvery?: number;
  /**
   * `"off"`: the store's session writes (a new session, a change set, a rotation's pointer) commit
   * without waiting for the WAL flush (`synchronous_commit = off`, set for each of those
   * statements alone; your other statements and connections keep their setting). Much faster
   * writes; a database crash (not an app crash) may lose the last ~0.6 s of them (3 ×
   * `wal_writer_delay`): users logged out, a value or touch lost, never a corrupt row.
   * Revocations (logout, revokeUser, revokeAll, the session limit's evictions, the old token a
   * login destroys, sealed-cookie marks) stay synchronous: a revocation is never undone by a crash.
   * Default `"on"` (the server's setting).
   */
  synchronousCommit?: "on" | "off";
  /** Rows `deleteAll()` removes per statement (revokeAll sweeps in batches). Default 1000. */
  sweepBatch?: number;
  /** Called after each batch `deleteAll()` removed, with how many rows it removed (progress, tests). */
  onSweepBatch?: (removed: number) => void;
}

/** The PostgreSQL store: `Store` plus `migrate()`. */
export interface PostgresStore extends Store {
  /** Creates the tables and indexes when missing (idempotent; safe to run from several processes at once). */
  migrate(): Promise<void>;
  /** The SQL that migrate() runs, for a migration tool of your own. */
  readonly schemaSql: string;
}

/**
 * Sessions in PostgreSQL, through pg: for several app processes or machines that already share
 * a database.
 *
 * One row per session: meta in columns (indexed on user and expiry), values in a `jsonb` map of
 * key → the value's JSON text *as a string*, so PostgreSQL never re-formats a value. A change set
 * is one `UPDATE … SET data = (data || $set) - $deleted`, so concurrent requests that change
 * different keys all persist. Expired rows are deleted as new sessions arrive (no cron job). A
 * read-only request costs one SELECT by primary key. A claim is one UPDATE; a limited create runs
 * in a transaction holding a per-user advisory lock, so logins of one user take turns.
 *
 * Run `await store.migrate()` once at startup (or apply `store.schemaSql` with your own tool).
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { postgresStore } from "latchkey/stores/postgres";
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL! });
 * await store.migrate();
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!], store });
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const name = checkIdentifier("postgresStore: table", options.table ?? "latchkey_sessions");
  const schema =
    options.schema === undefined ? null : checkIdentifier("postgresStore: schema", options.schema);
  const qualify = (n: string) => (schema === null ? `"${n}"` : `"${schema}"."${n}"`);
  const table = qualify(name);
  const marks = qualify(`${name}_revocations`);
  const pruneEvery = options.pruneEvery ?? 100;
  if (!Number.isSafeInteger(pruneEvery) || pruneEvery < 1) {
    throw new LatchkeyError(
      "config-invalid",
      "postgresStore: pruneEvery must be a positive integer",
    );
  }
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new LatchkeyError(
      "config-invalid",
      "postgresStore: pass exactly one of `pool` or `connectionString`",
    );
  }
  const synchronousCommit = options.synchronousCommit ?? "on";
  if (synchronousCommit !== "on" && synchronousCommit !== "off") {
    throw new LatchkeyError(
      "config-invalid",
      'postgresStore: synchronousCommit must be "on" or "off"',
    );
  }
  const sweepBatch = options.sweepBatch ?? 1000;
  if (!Number.isSafeInteger(sweepBatch) || sweepBatch < 1) {
    throw new LatchkeyError(
      "config-invalid",
      "postgresStore: sweepBatch must be a positive integer",
    );
  }
  const owned = options.pool === undefined;
  if (owned) {
    checkConnectionUrl(options.connectionString, {
      option: "postgresStore: connectionString",
      schemes: ["postgres:", "postgresql:"],
      example: "postgres://user:password@localhost:5432/app",
      otherwise: "a `pool` you configure",
    });
  }
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
      ...options.poolOptions,
    });
  // An idle connection that the server closes emits `error` on the pool; the pool drops it and
  // the next query opens a new one. Unhandled, the event would end the process.
  if (owned) pool.on("error", () => {});

  const metaAssignments = META_COLUMNS.map(([field, column, type]) => {
    const cast = type === "number" ? "::bigint" : type === "bool" ? "::boolean" : "";
    return `${column} = CASE WHEN $4::jsonb ? '${field}' THEN ($4::jsonb->>'${field}')${cast} ELSE ${column} END`;
  }).join(",\n  ");
  // With synchronousCommit "off", a session write carries the setting in its own WHERE clause:
  // set_config(…, true) lasts until the end of the statement's (implicit) transaction, and the
  // commit, which reads the setting, happens before it is reset. No extra round trip, and nothing
  // left on a pooled connection. A statement that matches no row writes nothing to wait for.
  const relaxed =
    synchronousCommit === "off"
      ? " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
      : "";
  const sql = {
    get: `SELECT * FROM ${table} WHERE ref = $1`,
    // SELECT instead of VALUES so it can carry the WHERE clause; casts give the parameters their types.
    insert: insertSql(table, `WHERE true${relaxed}`),
    // Inside the limit's transaction, which may evict: revocations stay synchronous.
    insertDurable: insertSql(table, "WHERE true"),
    // One statement: the row lock serialises concurrent change sets, each applied to the latest row.
    // An update waiting on a concurrent claim re-checks `successor IS NULL` on the claimed row
    // (READ COMMITTED re-evaluates the WHERE clause), so it never moves a pointer.
    update: `UPDATE ${table} SET data = (data || $2::jsonb) - $3::text[],\n  ${metaAssignments}\nWHERE ref = $1 AND successor IS NULL${relaxed}`,
    // SET expressions read the row as it is now (a concurrent claim's change included: the row
    // lock makes this one wait, then re-read it), and RETURNING shows the successor after this
    // statement: ours when we won, the winner's otherwise.
    claim: `UPDATE ${table} SET successor = coalesce(successor, $2),
  expires_at = CASE WHEN successor IS NULL THEN $3::bigint ELSE expires_at END
WHERE ref = $1${relaxed} RETURNING successor`,
    claimDelete: `DELETE FROM ${table} WHERE ref = $1 AND successor IS NULL`,
    // A token replaced (rotation, login) in one statement: the claim of the old row ($15) in a
    // CTE, and the new row ($1…$13) inserted only for a claim that won. A concurrent claim holds
    // the old row's lock; this one then re-checks `successor IS NULL`, fails, and inserts nothing.
    // A pointer is a session write (relaxed); destroying the old token at login is a revocation.
    replacePointer: `WITH claimed AS (
  UPDATE ${table} SET successor = $1::text, expires_at = $14::bigint
  WHERE ref = $15 AND successor IS NULL${relaxed} RETURNING ref
) ${insertSql(table, "FROM claimed")}`,
    replaceDelete: `WITH claimed AS (
  DELETE FROM ${table} WHERE ref = $15 AND successor IS NULL AND $14::bigint = 0 RETURNING ref
) ${insertSql(table, "FROM claimed")}`,
    successorOf: `SELECT successor FROM ${table} WHERE ref = $1`,
    deleteLink: `DELETE FROM ${table} WHERE ref = $1 RETURNING successor`,
    lockUser: "SELECT pg_advisory_xact_lock(hashtext($1))",
    liveOfUser: `SELECT ref, created_at FROM ${table}
WHERE user_id = $1 AND successor IS NULL AND expires_at > $2 AND ref IS DISTINCT FROM $3`,
    listByUser: `SELECT * FROM ${table} WHERE user_id = $1 AND successor IS NULL`,
    deleteByUser: `DELETE FROM ${table} WHERE user_id = $1 RETURNING successor`,
    // revokeAll walks the primary key in batches: each statement is short, holds few row locks,
    // and lets live requests' statements run between batches.
    sweepBatch: `SELECT ref FROM ${table} WHERE ref > $1 ORDER BY ref LIMIT $2`,
    sweepDelete: `DELETE FROM ${table} WHERE ref = ANY($1::text[]) RETURNING successor`,
    prune: `DELETE FROM ${table} WHERE ref IN (SELECT ref FROM ${table} WHERE expires_at < $1 LIMIT 1000)`,
    pruneMarks: `DELETE FROM ${marks} WHERE until < $1`,
    mark: `INSERT INTO ${marks} AS m (key, at, until) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO UPDATE SET at = GREATEST(m.at, EXCLUDED.at), until = GREATEST(m.until, EXCLUDED.until)`,
    revokedSince: `SELECT coalesce(max(at), 0) AS at FROM ${marks} WHERE key = ANY($1::text[])`,
  };

  /** Runs a statement prepared once per connection (named after a hash of its text). */
  function query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    on: pg.Pool | pg.PoolClient = pool,
  ) {
    const statement = `latchkey_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    return on.query<R>({ name: statement, text, values });
  }

  function insertValues(ref: string, session: StoredSession): unknown[] {
    const m = session.meta;
    return [
      ref,
      session.secretHash,
      m.sid,
      m.createdAt,
      m.lastSeenAt,
      m.issuedAt,
      m.expiresAt,
      m.userId,
      m.authTime,
      m.persistent,
      m.userAgent,
      m.successor,
      dataText(session.data),
    ];
  }

  /** Removes one link of a chain, reading its successor in the same statement. */
  const removeLink =
    (on: pg.Pool | pg.PoolClient) =>
    async (ref: string): Promise<Removed> => {
      const { rows } = await query<{ successor: string | null }>(sql.deleteLink, [ref], on);
      return { removed: rows.length > 0, successor: rows[0]?.successor ?? null };
    };

  /**
   * The limit check and the insert, in one transaction that holds the user's advisory lock: two
   * logins of one user (from any process) take turns, and the second one counts the first.
   */
  async function createLimited(
    ref: string,
    session: StoredSession,
    limit: SessionLimit,
  ): Promise<LimitedCreateResult> {
    const userId = limitedUser(session, limit);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await query(sql.lockUser, [`latchkey:${table}:${userId}`], client);
      const { rows } = await query<{ ref: string; created_at: string }>(
        sql.liveOfUser,
        [userId, limit.now, limit.exceptRef ?? null],
        client,
      );
      const live = rows.map((row) => ({ ref: row.ref, createdAt: Number(row.created_at) }));
      const plan = planLimitedCreate(live, limit);
      if (!plan.create) {
        await client.query("ROLLBACK");
        return { created: false, live: plan.live };
      }
      for (const evicted of plan.evict) await removeChain(evicted, removeLink(client));
      await query(sql.insertDurable, insertValues(ref, session), client);
      await client.query("COMMIT");
      return { created: true, evicted: plan.evict };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  const schemaSql = migrationSql(schema, name, table, marks);
  let created = 0;
  let pruning: Promise<unknown> = Promise.resolve();
  function counted(): void {
    if (++created % pruneEvery !== 0) return;
    // In the background: a slow prune must not delay a login. A failure waits for the next turn.
    const now = Date.now();
    pruning = Promise.all([query(sql.prune, [now]), query(sql.pruneMarks, [now])]).catch(() => {});
  }

  return withArgumentChecks({
    kind: "server",
    schemaSql,

    async migrate() {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        // Two processes starting at once would otherwise race on CREATE … IF NOT EXISTS.
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`latchkey:${table}`]);
        await client.query(schemaSql);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },

    async get(ref) {
      const { rows } = await query<SessionRow>(sql.get, [ref]);
      return rows[0] === undefined ? null : sessionOf(rows[0]);
    },

    async create(ref, session) {
      await query(sql.insert, insertValues(ref, session));
      counted();
    },

    async update(ref, change) {
      const updated = await query(sql.update, [
        ref,
        dataText(setOf(change)),
        [...(change.delete ?? [])],
        metaPatchText(change),
      ]);
      return updated.rowCount === 1;
    },

    async claim(ref, successorRef, pointerUntil) {
      if (pointerUntil === 0) {
        const deleted = await query(sql.claimDelete, [ref]);
        if (deleted.rowCount === 1) return { claimed: true };
        // A fresh statement sees what made the DELETE skip the row: a successor, or no row at all.
        const { rows } = await query<{ successor: string | null }>(sql.successorOf, [ref]);
        return { claimed: false, successor: rows[0]?.successor ?? null };
      }
      const { rows } = await query<{ successor: string }>(sql.claim, [
        ref,
        successorRef,
        pointerUntil,
      ]);
      const now = rows[0]?.successor;
      if (now === undefined) return { claimed: false, successor: null };
      return now === successorRef ? { claimed: true } : { claimed: false, successor: now };
    },

    async createAndClaim(ref, session, old, until) {
      const statement = until === 0 ? sql.replaceDelete : sql.replacePointer;
      const inserted = await query(statement, [...insertValues(ref, session), until, old]);
      if (inserted.rowCount === 1) {
        counted();
        return { claimed: true };
      }
      // A fresh statement sees what made the claim fail: a successor, or no row at all.
      const { rows } = await query<{ successor: string | null }>(sql.successorOf, [old]);
      return { claimed: false, successor: rows[0]?.successor ?? null };
    },

    createWithinLimit: createLimited,

    async delete(ref) {
      await removeChain(ref, removeLink(pool));
    },

    async listByUser(userId) {
      const { rows } = await query<SessionRow>(sql.listByUser, [userId]);
      return rows.map(summaryOf);
    },

    async deleteByUser(userId) {
      // One statement removes the user's rows that exist when it runs. A successor made later
      // belongs to a rotation whose claim either committed first — then the DELETE, which waits
      // for the claim's row lock and re-reads the row, returns that successor, and its chain is
      // removed below — or comes after, finds the row gone, fails, and the engine deletes the
      // successor it made. Either way nothing of the user stays alive.
      const { rows } = await query<{ successor: string | null }>(sql.deleteByUser, [userId]);
      let removed = rows.length;
      for (const row of rows) {
        if (row.successor !== null) {
          removed += (await removeChain(row.successor, removeLink(pool))).length;
        }
      }
      return removed;
    },

    async deleteAll() {
      // Batch by batch along the primary key. A rotation claiming a row before its batch leaves a
      // successor that may sit behind the cursor: the DELETE returns it and its chain goes too. A
      // claim after finds the row gone and fails (the engine deletes the successor it made).
      let after = "";
      for (;;) {
        const { rows } = await query<{ ref: string }>(sql.sweepBatch, [after, sweepBatch]);
        if (rows.length === 0) return;
        const refs = rows.map((row) => row.ref);
        after = refs[refs.length - 1] as string;
        const gone = await query<{ successor: string | null }>(sql.sweepDelete, [refs]);
        for (const { successor } of gone.rows) {
          if (successor !== null) await removeChain(successor, removeLink(pool));
        }
        options.onSweepBatch?.(gone.rows.length);
      }
    },

    async markRevoked(key, at, until) {
      await query(sql.mark, [key, at, until]);
    },

    async revokedSince(keys) {
      if (keys.length === 0) return 0;
      const { rows } = await query<{ at: string }>(sql.revokedSince, [[...keys]]);
      return Number(rows[0]?.at ?? 0);
    },

    async ping() {
      await pool.query("SELECT 1");
    },

    async close() {
      await pruning;
      if (owned) await pool.end();
    },
  });
}

/** INSERT … SELECT of one session ($1…$13), ending with `tail` (a WHERE or FROM clause). */
function insertSql(table: string, tail: string): string {
  const values = SESSION_COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}`).join(", ");
  return `INSERT INTO ${table} (${SESSION_COLUMNS.join(", ")}) SELECT ${values} ${tail}`;
}

/** Each column's type, for the INSERT's parameter casts (as migrationSql declares them). */
const COLUMN_TYPES: Record<(typeof SESSION_COLUMNS)[number], string> = {
  ref: "text",
  secret_hash: "text",
  sid: "text",
  created_at: "bigint",
  last_seen_at: "bigint",
  issued_at: "bigint",
  expires_at: "bigint",
  user_id: "text",
  auth_time: "bigint",
  persistent: "boolean",
  user_agent: "text",
  successor: "text",
  data: "jsonb",
};

function migrationSql(schema: string | null, name: string, table: string, marks: string): string {
  return `${schema === null ? "" : `CREATE SCHEMA IF NOT EXISTS "${schema}";\n`}CREATE TABLE IF NOT EXISTS ${table} (
  ref          text PRIMARY KEY,
  secret_hash  text NOT NULL,
  sid          text NOT NULL,
  created_at   bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  issued_at    bigint NOT NULL,
  expires_at   bigint NOT NULL,
  user_id      text,
  auth_time    bigint,
  persistent   boolean NOT NULL,
  user_agent   text,
  successor    text,
  data         jsonb NOT NULL DEFAULT '{}' -- key -> the value's JSON text, as a JSON string
);
CREATE INDEX IF NOT EXISTS "${name}_user" ON ${table} (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${name}_expires" ON ${table} (expires_at);
CREATE TABLE IF NOT EXISTS ${marks} (
  key   text PRIMARY KEY,
  at    bigint NOT NULL,
  until bigint NOT NULL
);
`;
}
