import { createSessions } from "latchkey";
import { nextSessions } from "latchkey/next";
import { sqliteStore } from "latchkey/stores/sqlite";

// One engine per server process. `next build` imports this module too while it collects the
// routes, so SESSION_SECRET (and SESSION_DB) are needed there as well.
export const sessions = createSessions({
  secrets: [requiredEnv("SESSION_SECRET")],
  store: sqliteStore({ path: process.env.SESSION_DB ?? "sessions.db" }),
  idleTimeout: "30m",
  absoluteTimeout: "12h",
});

export const { getSession, withSession, route, proxy } = nextSessions(sessions);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`Set ${name} (32 random bytes or more).`);
  return value;
}
