import { createSessions } from "latchkey";
import { nextSessions } from "latchkey/next";
import { sqliteStore } from "latchkey/stores/sqlite";

// The same engine as examples/next, on Next.js 15.5: one SQLite file shared by the middleware
// and the pages (both run in this Node.js process).
export const sessions = createSessions({
  secrets: [requiredEnv("SESSION_SECRET")],
  store: sqliteStore({ path: process.env.SESSION_DB ?? "sessions.db" }),
  idleTimeout: "30m",
  absoluteTimeout: "12h",
  rotateEvery: process.env.SESSION_ROTATE_EVERY ?? "15m",
});

export const { getSession, withSession, proxy } = nextSessions(sessions);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`Set ${name} (32 random bytes or more).`);
  return value;
}
