import { type ExpressSessionStore, parseStoredSession } from "./express-session.ts";
import { isObject } from "./mapping.ts";

/** What the reader needs of a `pg` Pool or Client (no driver is imported). */
export interface LegacyPgClient {
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/**
 * express-session's sessions in PostgreSQL, as connect-pg-simple stores them: the table
 * `session(sid, sess json, expire)`. A row past its `expire` is no session, as it was not for
 * connect-pg-simple (it prunes them only from time to time).
 *
 * @example
 * ```ts
 * import pg from "pg";
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = connectPgSessions(pool, { tableName: "session", schemaName: "public" });
 * ```
 */
export function connectPgSessions(
  client: LegacyPgClient,
  options: { tableName?: string; schemaName?: string } = {},
): ExpressSessionStore {
  const table =
    (options.schemaName === undefined ? "" : `${quoteIdentifier(options.schemaName)}.`) +
    quoteIdentifier(options.tableName ?? "session");
  return {
    async get(sid) {
      const { rows } = await client.query(
        `SELECT sess FROM ${table} WHERE sid = $1 AND expire >= now()`,
        [sid],
      );
      const sess = rows[0]?.sess;
      // A json column arrives parsed; a text one (older setups) as its JSON text.
      if (typeof sess === "string") return parseStoredSession(sess);
      return isObject(sess) ? sess : null;
    },
    async destroy(sid) {
      await client.query(`DELETE FROM ${table} WHERE sid = $1`, [sid]);
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
