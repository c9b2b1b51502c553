// Where the demo keeps sessions: SQLite by default (no setup), or the store that
// DEMO_STORE_URL names: redis://… (Redis) or postgres://… (PostgreSQL).
import type Database from "better-sqlite3";
import type { Store } from "latchkey";
import { postgresStore } from "latchkey/stores/postgres";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";

export async function demoStore(db: Database.Database): Promise<{ store: Store; label: string }> {
  const url = process.env.DEMO_STORE_URL;
  if (url === undefined || url === "") {
    return { store: sqliteStore({ database: db }), label: "SQLite (embedded)" };
  }
  const scheme = url.slice(0, url.indexOf(":"));
  if (scheme === "redis" || scheme === "rediss") {
    return { store: redisStore({ url, prefix: "latchkey-demo:" }), label: "Redis" };
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    const store = postgresStore({ connectionString: url, schema: "latchkey_demo" });
    await store.migrate();
    return { store, label: "PostgreSQL" };
  }
  throw new Error(`DEMO_STORE_URL must start with redis:// or postgres://, not ${scheme}://`);
}
