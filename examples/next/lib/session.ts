import { createSessions } from "latchkey";
import { nextSessions } from "latchkey/next";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";

// One engine per server process. `next build` imports this module too while it collects the
// routes, so SESSION_SECRET (and SESSION_DB) are needed there as well. SQLite serves one machine;
// set SESSION_REDIS_URL when several instances serve the app.
const redisUrl = process.env.SESSION_REDIS_URL;
export const sessions = createSessions({
  secrets: [requiredEnv("SESSION_SECRET")],
  store:
    redisUrl === undefined
      ? sqliteStore({ path: process.env.SESSION_DB ?? "sessions.db" })
      : redisStore({ url: redisUrl }),
  idleTimeout: "30m",
  absoluteTimeout: "12h",
  // A new session id now and then: a stolen cookie stops working at the next rotation. Proxy
  // carries the new cookie on a navigation, since pages cannot set one.
  rotateEvery: process.env.SESSION_ROTATE_EVERY ?? "15m",
});

export const { getSession, withSession, route, proxy } = nextSessions(sessions);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`Set ${name} (32 random bytes or more).`);
  return value;
}
