// Filling a store with many sessions quickly, for the revokeAll-at-scale test and the store
// benchmarks (bench/stores-*.ts): SQL stores in one INSERT … SELECT, Redis through the store's own
// create() (so keys and the user index are exactly what the store writes), a page at a time.
import type Database from "better-sqlite3";
import type { Store, StoredSession } from "latchkey";
import type pg from "pg";

/** Every `USER_EVERY`-th session belongs to one of `USERS` users; the rest are anonymous. */
const USER_EVERY = 10;
const USERS = 1000;

/** Ref of the i-th filled session (1-based). */
export const filledRef = (i: number) => `fill${String(i).padStart(8, "0")}`;

export function filledSession(i: number, now = Date.now()): StoredSession {
  const userId = i % USER_EVERY === 0 ? `user${i % USERS}` : null;
  return {
    secretHash: "h",
    meta: {
      sid: `sid${i}`,
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 3_600_000,
      userId,
      authTime: userId === null ? null : now,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: { cart: '{"items":[1,2,3]}' },
  };
}

const SQL_SELECT = (
  now: number,
  n: string,
) => `'fill' || ${n}, 'h', 'sid' || i, ${now}, ${now}, ${now},
  ${now + 3_600_000}, CASE WHEN i % ${USER_EVERY} = 0 THEN 'user' || (i % ${USERS}) END,
  CASE WHEN i % ${USER_EVERY} = 0 THEN ${now} END`;

/** Adds `count` sessions to an sqliteStore's table (default name). */
export function fillSqlite(
  db: Database.Database,
  count: number,
  table = "latchkey_sessions",
): void {
  const now = Date.now();
  db.prepare(
    `INSERT INTO ${table} (ref, secret_hash, sid, created_at, last_seen_at, issued_at, expires_at,
       user_id, auth_time, persistent, user_agent, successor, data)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     SELECT ${SQL_SELECT(now, "substr('0000000' || i, -8, 8)")}, 0, NULL, NULL,
       json_object('cart', '{"items":[1,2,3]}') FROM n`,
  ).run(count);
  // Checkpoint now, so the first write after filling does not pay for copying the whole WAL.
  db.pragma("wal_checkpoint(TRUNCATE)");
}

/** Adds `count` sessions to a postgresStore's table (`"schema".latchkey_sessions`). */
export async function fillPostgres(pool: pg.Pool, schema: string, count: number): Promise<void> {
  const now = Date.now();
  await pool.query(
    `INSERT INTO "${schema}".latchkey_sessions (ref, secret_hash, sid, created_at, last_seen_at,
       issued_at, expires_at, user_id, auth_time, persistent, user_agent, successor, data)
     SELECT ${SQL_SELECT(now, "lpad(i::text, 8, '0')")}, false, NULL, NULL,
       jsonb_build_object('cart', '{"items":[1,2,3]}') FROM generate_series(1, $1) AS i`,
    [count],
  );
}

/** Adds `count` sessions through `store.create()`, `page` at a time (any store). */
export async function fillThroughStore(store: Store, count: number, page = 2000): Promise<void> {
  const now = Date.now();
  for (let from = 1; from <= count; from += page) {
    const creates: Array<Promise<void>> = [];
    for (let i = from; i < Math.min(from + page, count + 1); i++) {
      creates.push(store.create(filledRef(i), filledSession(i, now)));
    }
    await Promise.all(creates);
  }
}

/**
 * Call on every tick of a short timer: how long (ms) the event loop was busy since the previous
 * call, as the smaller of the CPU time the process used and the wall time that passed. Waiting
 * for a core on a loaded machine uses no CPU; helper threads (GC) use CPU while the loop still
 * turns; only a stretch of synchronous work on the loop is long in both.
 */
export function stretchMeter(): () => number {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    const busy = Math.min((used.user + used.system) / 1000, now - wall);
    cpu = process.cpuUsage();
    wall = now;
    return busy;
  };
}
