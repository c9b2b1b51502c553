// One app process of the two-process tests: the store app on a shared Redis or PostgreSQL.
// Prints {"url": …} on stdout once it listens; stops on SIGTERM.
// Env: STORE=memory|redis|postgres|cookie-redis|sqlite, SESSION_SECRET, REDIS_URL + PREFIX, or DATABASE_URL + SCHEMA.
// cookie-redis: sealed cookie sessions whose revocation marks live in Redis. sqlite: SQLITE_PATH.
import { type CookieStore, createSessions } from "../../../packages/latchkey/src/index.ts";
import type { Store } from "../../../packages/latchkey/src/stores/types.ts";
import { startApp, type Values } from "./app.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

// Only the driver in use is loaded: each process starts faster.
async function makeStore(): Promise<Store | CookieStore> {
  if (env("STORE") === "cookie-redis") {
    const { redisStore } = await import("../../../packages/latchkey/src/stores/redis.ts");
    const { cookieStore } = await import("../../../packages/latchkey/src/stores/cookie.ts");
    return cookieStore({
      revocation: redisStore({ url: env("REDIS_URL"), prefix: env("PREFIX") }),
    });
  }
  if (env("STORE") === "memory") {
    const { memoryStore } = await import("../../../packages/latchkey/src/stores/memory.ts");
    return memoryStore();
  }
  if (env("STORE") === "sqlite") {
    const { sqliteStore } = await import("../../../packages/latchkey/src/stores/sqlite.ts");
    return sqliteStore({ path: env("SQLITE_PATH") });
  }
  if (env("STORE") === "redis") {
    const { redisStore } = await import("../../../packages/latchkey/src/stores/redis.ts");
    return redisStore({ url: env("REDIS_URL"), prefix: env("PREFIX") });
  }
  const { postgresStore } = await import("../../../packages/latchkey/src/stores/postgres.ts");
  const store = postgresStore({ connectionString: env("DATABASE_URL"), schema: env("SCHEMA") });
  await store.migrate();
  return store;
}

const sessions = createSessions<Values>({
  secrets: [env("SESSION_SECRET")],
  store: await makeStore(),
});
const server = await startApp(sessions);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on("SIGTERM", async () => {
  await server.close();
  await sessions.close();
  process.exit(0);
});
