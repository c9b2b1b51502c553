// Where the demo keeps sessions: SQLite by default (no setup), Redis or PostgreSQL when their URL
// is in the environment (DEMO_STORE=redis|postgres, with REDIS_URL / DATABASE_URL).
import type Database from "better-sqlite3";
import type { Store } from "latchkey";
import { postgresStore } from "latchkey/stores/postgres";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";

export async function demoStore(db: Database.Database): Promise<{ store: Store; label: string }> {
  switch (process.env.DEMO_STORE ?? "sqlite") {
    case "redis": {
      const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
      return { store: redisStore({ url, prefix: "latchkey-demo:" }), label: `Redis (${url})` };
    }
    case "postgres": {
      const store = postgresStore({
        connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
      });
      await store.migrate();
      return { store, label: "PostgreSQL" };
    }
    default:
      return { store: sqliteStore({ database: db }), label: "SQLite (embedded)" };
  }
}
