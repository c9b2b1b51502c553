import Database from "better-sqlite3";
import { LatchkeyError } from "../core/errors.ts";
import { removeChainSync } from "./chain.ts";
import { type LiveEntry, limitedUser, planLimitedCreate } from "./limit.ts";
import {
  checkIdentifier,
  dataText,
  META_COLUMNS,
  SESSION_COLUMNS,
  type SessionRow,
  sessionOf,
  setOf,
  summaryOf,
} from "./sql/rows.ts";
import { isBusy, whenUnlocked } from "./sqlite-lock.ts";
import { prepareSweep } from "./sqlite-sweep.ts";
import { type SweepTask, type SweepThread, startSweepThread } from "./sqlite-sweep-thread.ts";
import type { ClaimResult, SessionChange, Store, StoredSession } from "./types.ts";
import { withArgumentChecks } from "./validate.ts";

export interface SqliteStoreOptions {
  /** File to open (created when missing). `":memory:"` keeps everything in this process. */
  path?: string;
  /** An open better-sqlite3 database instead of `path`; you keep ownership (close() leaves it open). */
  database?: Database.Database;
  /** Table name; revocation marks go to `<table>_revocations`. Default `latchkey_sessions`. */
  table?: string;
  /** Expired rows are deleted once every this many new sessions. Default 100. */
  pruneEvery?: number;
  /**
   * How long (ms) an operation waits for another connection's write lock before it fails (and the
   * request answers 503). The wait runs on timers, so other requests are served meanwhile; reads
   * never wait (WAL). Default 2000.
   */
  lockTimeout?: number;
  /**
   * Rows `deleteAll()` (revokeAll) removes per transaction. On a file the store opened (`path`)
   * the batches run on a worker thread with its own connection; otherwise on this connection,
   * the event loop free between batches. Default 250 (about 1.5 ms a batch): on a 2-core machine
   * a batch of 1,000 held the event loop 50–110 ms (`npm run bench:scale`, 10^6 sessions), and
   * on the worker a short batch keeps the app's writes from waiting long for its lock.
   */
  sweepBatch?: number;
  /** Called after each batch `deleteAll()` removed, with how many rows it removed (progress, tests). */
  onSweepBatch?: (removed: number) => void;
}

/** The SQLite store: `Store` plus the file handle it uses. */
export interface SqliteStore extends Store {
  readonly database: Database.Database;
}

/**
 * Sessions in an SQLite file, through better-sqlite3: the embedded default for one machine.
 * Survives restarts and is shared by every process on the machine that opens the same file.
 *
 * The file runs in WAL mode (readers never wait for the writer); every statement is prepared
 * once. SQLite itself never waits for a lock (`busy_timeout = 0`: better-sqlite3 is synchronous,
 * so its wait would stop the whole process); a write that finds another connection's lock retries
 * on timers until `lockTimeout`, then fails. A change set is applied in a single UPDATE, so concurrent requests that change different
 * keys all persist, across processes too. Claims are one statement; revocations and limited
 * creates run in `BEGIN IMMEDIATE` transactions, which SQLite runs one at a time across processes. Expired rows are deleted as new sessions arrive (no
 * cron job). A read-only request costs one indexed SELECT.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { sqliteStore } from "latchkey/stores/sqlite";
 * const sessions = createSessions({
 *   secrets: [process.env.SESSION_SECRET!],
 *   store: sqliteStore({ path: "sessions.db" }),
 * });
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  const table = checkIdentifier("sqliteStore: table", options.table ?? "latchkey_sessions");
  const marks = `${table}_revocations`;
  const pruneEvery = options.pruneEvery ?? 100;
  if (!Number.isSafeInteger(pruneEvery) || pruneEvery < 1) {
    throw new LatchkeyError("config-invalid", "sqliteStore: pruneEvery must be a positive integer");
  }
  const lockTimeout = options.lockTimeout ?? 2_000;
  if (!Number.isSafeInteger(lockTimeout) || lockTimeout < 0) {
    throw new LatchkeyError(
      "config-invalid",
      "sqliteStore: lockTimeout must be a whole number of milliseconds, 0 or more",
    );
  }
  const sweepBatch = options.sweepBatch ?? 250;
  if (!Number.isSafeInteger(sweepBatch) || sweepBatch < 1) {
    throw new LatchkeyError("config-invalid", "sqliteStore: sweepBatch must be a positive integer");
  }
  if ((options.path === undefined) === (options.database === undefined)) {
    throw new LatchkeyError(
      "config-invalid",
      "sqliteStore: pass exactly one of `path` or `database`",
    );
  }
  const owned = options.database === undefined;
  const db = options.database ?? new Database(options.path as string);
  if (owned) {
    // Setup may wait for a lock the SQLite way (blocking): nothing is being served yet.
    db.pragma(`busy_timeout = ${lockTimeout}`);
    // An in-memory database answers "memory" and stays so: it has one connection, so no lock to wait for.
    db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a crash may lose the last commits, never corrupt the file; the usual choice.
    db.pragma("synchronous = NORMAL");
  }
  db.exec(schemaSql(table));
  addPruneColumn(db, table);
  if (owned) db.pragma("busy_timeout = 0");

  const sql = {
    get: db.prepare<[string], SessionRow>(`SELECT * FROM ${table} WHERE ref = ?`),
    insert: db.prepare(
      `INSERT INTO ${table} (${SESSION_COLUMNS.join(", ")}, prune_after)
       VALUES (${SESSION_COLUMNS.map((c) => `@${c}`).join(", ")}, @expires_at)`,
    ),
    // SET expressions read the row as it was: the successor is written only where there was none,
    // and RETURNING shows who holds the entry now (this claim's successor, or the winner's).
    claim: db.prepare<{ ref: string; successor: string; until: number }, { successor: string }>(
      `UPDATE ${table} SET successor = coalesce(successor, @successor),
         expires_at = CASE WHEN successor IS NULL THEN @until ELSE expires_at END,
         prune_after = CASE WHEN successor IS NULL THEN @until ELSE prune_after END
       WHERE ref = @ref RETURNING successor`,
    ),
    claimDelete: db.prepare<[string]>(`DELETE FROM ${table} WHERE ref = ? AND successor IS NULL`),
    successorOf: db
      .prepare<[string], string | null>(`SELECT successor FROM ${table} WHERE ref = ?`)
      .pluck(),
    deleteLink: db.prepare<[string], { successor: string | null }>(
      `DELETE FROM ${table} WHERE ref = ? RETURNING successor`,
    ),
    liveOfUser: db.prepare<
      { user: string; now: number; except: string | null },
      { ref: string; created_at: number }
    >(
      `SELECT ref, created_at FROM ${table}
       WHERE user_id = @user AND successor IS NULL AND expires_at > @now AND ref IS NOT @except`,
    ),
    listByUser: db.prepare<[string], SessionRow>(
      `SELECT * FROM ${table} WHERE user_id = ? AND successor IS NULL`,
    ),
    deleteByUser: db.prepare<[string], { successor: string | null }>(
      `DELETE FROM ${table} WHERE user_id = ? RETURNING successor`,
    ),
    // prune_after <= expires_at: every expired row is in the index range.
    prune: db.prepare<{ now: number }>(
      `DELETE FROM ${table} WHERE prune_after < @now AND expires_at < @now`,
    ),
    pruneMarks: db.prepare<[number]>(`DELETE FROM ${marks} WHERE until < ?`),
    mark: db.prepare<[string, number, number]>(
      `INSERT INTO ${marks} (key, at, until) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET at = max(at, excluded.at), until = max(until, excluded.until)`,
    ),
    revokedSince: db
      .prepare<[string], number>(
        `SELECT coalesce(max(at), 0) FROM ${marks} WHERE key IN (SELECT value FROM json_each(?))`,
      )
      .pluck(),
  };

  // One UPDATE per shape of change (which meta fields, whether values change), prepared once:
  // a statement names only the columns it sets, so SQLite parses no JSON for the meta. The row
  // lock makes concurrent change sets apply one after the other, each to the latest data;
  // json_patch sets the keys given as strings and removes those given null. A rotated-away entry
  // is skipped in the same statement, so a claim cannot slip in between. Engines send a handful
  // of shapes (a touch, a value change, both); at most 2^11 exist.
  const updates = new Map<string, Database.Statement>();
  function updateOf(
    ref: string,
    change: SessionChange,
    patch: Record<string, string | null>,
  ): { statement: Database.Statement; values: Record<string, unknown> } {
    const values: Record<string, unknown> = { ref };
    const assignments: string[] = [];
    let shape = "";
    if (Object.keys(patch).length > 0) {
      assignments.push("data = json_patch(data, @data)");
      values.data = JSON.stringify(patch);
      shape += "d";
    }
    const meta = change.meta ?? {};
    for (const [field, column, type] of META_COLUMNS) {
      const value = meta[field];
      if (value === undefined) continue;
      assignments.push(`${column} = @${column}`);
      if (column === "expires_at") assignments.push(PRUNE_AFTER_FOLLOWS);
      values[column] = type === "bool" ? (value ? 1 : 0) : value;
      shape += `,${column}`;
    }
    let statement = updates.get(shape);
    if (statement === undefined) {
      // An empty change still answers whether the entry is there to change (and not a pointer).
      const set = assignments.length > 0 ? assignments.join(", ") : "ref = ref";
      statement = db.prepare(`UPDATE ${table} SET ${set} WHERE ref = @ref AND successor IS NULL`);
      updates.set(shape, statement);
    }
    return { statement, values };
  }

  let created = 0;
  /** Deletes expired rows, unless another connection holds the lock: the next turn will. */
  function prune(): void {
    const now = Date.now();
    try {
      sql.prune.run({ now });
      sql.pruneMarks.run(now);
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
  }
  function counted(): void {
    if (++created % pruneEvery === 0) prune();
  }
  prune();
  const unlocked = <T>(attempt: () => T): Promise<T> => whenUnlocked(attempt, lockTimeout);

  function removeWithChain(ref: string): number {
    return removeChainSync(ref, (link) => {
      const row = sql.deleteLink.get(link);
      return { removed: row !== undefined, successor: row?.successor ?? null };
    }).length;
  }

  function insert(ref: string, session: StoredSession): void {
    const m = session.meta;
    sql.insert.run({
      ref,
      secret_hash: session.secretHash,
      sid: m.sid,
      created_at: m.createdAt,
      last_seen_at: m.lastSeenAt,
      issued_at: m.issuedAt,
      expires_at: m.expiresAt,
      user_id: m.userId,
      auth_time: m.authTime,
      persistent: m.persistent ? 1 : 0,
      user_agent: m.userAgent,
      successor: m.successor,
      data: dataText(session.data),
    });
  }

  // IMMEDIATE: take the write lock at BEGIN, so two processes never both read, then both write.
  const claimDelete = db.transaction((ref: string): string | null | true => {
    if (sql.claimDelete.run(ref).changes === 1) return true;
    return sql.successorOf.get(ref) ?? null;
  });
  const deleteWithChain = db.transaction(removeWithChain);
  // One statement removes every row of the user that exists when it runs, rotated ones included.
  // A successor created later belongs to a rotation whose claim either ran before (the old row
  // then names it, and its chain is followed here) or runs after (it finds the row gone, fails,
  // and the engine deletes the successor it made). Writers take turns, so nothing slips between.
  const deleteByUser = db.transaction((userId: string): number => {
    const rows = sql.deleteByUser.all(userId);
    let removed = rows.length;
    for (const row of rows) if (row.successor !== null) removed += removeWithChain(row.successor);
    return removed;
  });
  // One batch of deleteAll on this connection (sqlite-sweep.ts): `database`, ":memory:", or no worker.
  const sweep = prepareSweep(db, table, sweepBatch);
  // A file this store opened is swept by a worker thread with its own connection (see deleteAll).
  const sweepTask: SweepTask | null =
    owned && options.path !== undefined && options.path !== ":memory:" && options.path !== ""
      ? { path: options.path, table, sweepBatch, lockTimeout }
      : null;
  const sweeps = new Set<SweepThread>();
  let autocheckpoint = 1000;
  const onSweepBatch = (removed: number): void => options.onSweepBatch?.(removed);
  // A token replaced (rotation, login): the claim, and the new row only if it won, in one
  // transaction: one call instead of three (create, claim, delete on a lost claim).
  const createAndClaim = db.transaction(
    (ref: string, session: StoredSession, old: string, until: number): ClaimResult => {
      if (until === 0) {
        if (sql.claimDelete.run(old).changes !== 1) {
          return { claimed: false, successor: sql.successorOf.get(old) ?? null };
        }
      } else {
        const row = sql.claim.get({ ref: old, successor: ref, until });
        if (row === undefined) return { claimed: false, successor: null };
        if (row.successor !== ref) return { claimed: false, successor: row.successor };
      }
      insert(ref, session);
      return { claimed: true };
    },
  );
  const createWithinLimit = db.transaction(
    (ref: string, session: StoredSession, limit: Parameters<Store["createWithinLimit"]>[2]) => {
      const user = limitedUser(session, limit);
      const live: LiveEntry[] = sql.liveOfUser
        .all({ user, now: limit.now, except: limit.exceptRef ?? null })
        .map((row) => ({ ref: row.ref, createdAt: Number(row.created_at) }));
      const plan = planLimitedCreate(live, limit);
      if (!plan.create) return { created: false as const, live: plan.live };
      for (const evicted of plan.evict) removeWithChain(evicted);
      insert(ref, session);
      return { created: true as const, evicted: plan.evict };
    },
  );

  return withArgumentChecks({
    kind: "server",
    database: db,
    async get(ref) {
      const row = await unlocked(() => sql.get.get(ref));
      return row === undefined ? null : sessionOf(row);
    },
    async create(ref, session) {
      await unlocked(() => insert(ref, session));
      counted();
    },
    async claim(ref, successorRef, pointerUntil) {
      if (pointerUntil === 0) {
        const result = await unlocked(() => claimDelete.immediate(ref));
        return result === true ? { claimed: true } : { claimed: false, successor: result };
      }
      const row = await unlocked(() =>
        sql.claim.get({ ref, successor: successorRef, until: pointerUntil }),
      );
      if (row === undefined) return { claimed: false, successor: null };
      return row.successor === successorRef
        ? { claimed: true }
        : { claimed: false, successor: row.successor };
    },
    async createAndClaim(ref, session, old, until) {
      const result = await unlocked(() => createAndClaim.immediate(ref, session, old, until));
      if (result.claimed) counted();
      return result;
    },
    async createWithinLimit(ref, session, limit) {
      const result = await unlocked(() => createWithinLimit.immediate(ref, session, limit));
      if (result.created) counted();
      return result;
    },
    async update(ref, change: SessionChange) {
      const patch: Record<string, string | null> = Object.assign(
        Object.create(null),
        setOf(change),
      );
      for (const key of change.delete ?? []) patch[key] = null;
      const { statement, values } = updateOf(ref, change, patch);
      return (await unlocked(() => statement.run(values))).changes === 1;
    },
    async delete(ref) {
      await unlocked(() => deleteWithChain.immediate(ref));
    },
    async listByUser(userId) {
      return (await unlocked(() => sql.listByUser.all(userId))).map(summaryOf);
    },
    async deleteByUser(userId) {
      return unlocked(() => deleteByUser.immediate(userId));
    },
    async deleteAll() {
      // A file this store opened: the sweep runs on a worker thread with its own connection. Its
      // commits trigger SQLite's automatic WAL checkpoints (the copy and fsyncs took 96–159 ms
      // inside a commit over 10^6 rows), and better-sqlite3 would wait for them on this thread.
      if (sweepTask !== null && db.open) {
        // Meanwhile this connection leaves checkpoints to the worker: a commit of a live request
        // that found the WAL past its limit would run one here.
        if (sweeps.size === 0) {
          autocheckpoint = db.pragma("wal_autocheckpoint", { simple: true }) as number;
          db.pragma("wal_autocheckpoint = 0");
        }
        const thread = startSweepThread(sweepTask, onSweepBatch);
        sweeps.add(thread);
        try {
          if ((await thread.finished) === "done") return;
        } finally {
          sweeps.delete(thread);
          if (sweeps.size === 0 && db.open) db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
        }
      }
      // better-sqlite3 is synchronous: one DELETE of a million rows would stop the process for
      // seconds. Batches on timers keep every pause short and let live requests in between.
      let after: string | null = "";
      while (after !== null) {
        const from: string = after;
        const batch = await unlocked(() => sweep.immediate(from));
        onSweepBatch(batch.removed);
        after = batch.last;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async markRevoked(key, at, until) {
      await unlocked(() => sql.mark.run(key, at, until));
    },
    async revokedSince(keys) {
      if (keys.length === 0) return 0;
      return (await unlocked(() => sql.revokedSince.get(JSON.stringify(keys)))) ?? 0;
    },
    async ping() {
      db.prepare("SELECT 1").get();
    },
    async close() {
      // A running sweep's worker finishes its batch, closes its connection and exits first.
      await Promise.all([...sweeps].map((thread) => thread.stop()));
      if (owned && db.open) db.close();
    },
  });
}

/**
 * Expiry bookkeeping that does not rewrite an index page on every write. Every write moves
 * `expires_at` (the idle clock); with `expires_at` indexed, each write also moved its index entry:
 * 3.2 WAL pages per commit instead of 1 (measured). `prune_after` is the indexed column instead: a
 * lower bound of `expires_at`, moved only when `expires_at` ran PRUNE_SLACK_MS ahead of it (or
 * went back). SQLite leaves an index alone when the indexed value is unchanged, so most writes
 * append one page. Pruning finds every expired row (prune_after <= expires_at < now) and visits at
 * most the rows expiring within the next PRUNE_SLACK_MS besides.
 */
const PRUNE_SLACK_MS = 60_000;
const PRUNE_AFTER_FOLLOWS = `prune_after = CASE
  WHEN prune_after <= @expires_at AND @expires_at - prune_after < ${PRUNE_SLACK_MS}
  THEN prune_after ELSE @expires_at END`;

/**
 * Files made before prune_after existed: the column is added and filled from expires_at (once, at
 * startup), and the old index on expires_at goes. Rows a process of an older version inserts later
 * have no prune_after; that process prunes them (by a table scan), or the next startup fills them.
 */
function addPruneColumn(db: Database.Database, table: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((column) => column.name === "prune_after")) {
    try {
      db.exec(`ALTER TABLE ${table} ADD COLUMN prune_after INTEGER`);
    } catch (error) {
      // Another process starting at the same moment added it first.
      if (!/duplicate column/i.test(String((error as Error).message))) throw error;
    }
  }
  db.exec(`
CREATE INDEX IF NOT EXISTS ${table}_prune ON ${table} (prune_after);
UPDATE ${table} SET prune_after = expires_at WHERE prune_after IS NULL;
DROP INDEX IF EXISTS ${table}_expires;`);
}

/** The tables and indexes sqliteStore() creates (idempotent). */
function schemaSql(table = "latchkey_sessions"): string {
  checkIdentifier("table", table);
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  ref          TEXT PRIMARY KEY,
  secret_hash  TEXT NOT NULL,
  sid          TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  issued_at    INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  user_id      TEXT,
  auth_time    INTEGER,
  persistent   INTEGER NOT NULL,
  user_agent   TEXT,
  successor    TEXT,
  data         TEXT NOT NULL, -- JSON object: key -> the value's JSON text, as a string
  prune_after  INTEGER -- a lower bound of expires_at, indexed for pruning (see PRUNE_SLACK_MS)
);
CREATE INDEX IF NOT EXISTS ${table}_user ON ${table} (user_id) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${table}_revocations (
  key   TEXT PRIMARY KEY,
  at    INTEGER NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
`;
}
