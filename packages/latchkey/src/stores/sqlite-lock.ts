// Waiting for another connection's SQLite write lock without blocking the event loop.
//
// better-sqlite3 is synchronous: with `busy_timeout = N`, SQLite's wait for a lock runs on Node's
// only thread, and the whole process stops for up to N ms. Measured with `busy_timeout = 5000` and
// a second process holding `BEGIN EXCLUSIVE` for 10 s: no request at all was answered in those
// 10 s, a route that never touches the store took 10 s. So the store asks SQLite not to wait
// (`busy_timeout = 0`) and waits here instead, between attempts, on timers: other requests run
// meanwhile, and only the operation that needs the lock waits for it.
import { randomInt } from "node:crypto";
import { LatchkeyError } from "../core/errors.ts";

/** First pause after a busy answer; each next pause doubles, up to MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 2;
const MAX_PAUSE_MS = 50;

/** SQLITE_BUSY and its extended codes: another connection holds a lock this statement needs. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * Runs `attempt` (one synchronous, all-or-nothing database operation) until it gets past a busy
 * answer, pausing between tries. After `lockTimeout` ms of busy answers it gives up with
 * `store-unavailable` (the engine answers 503). Any other error is thrown at once.
 */
export async function whenUnlocked<T>(attempt: () => T, lockTimeout: number): Promise<T> {
  const deadline = Date.now() + lockTimeout;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new LatchkeyError(
          "store-unavailable",
          `sqliteStore: the database stayed locked by another connection for ${lockTimeout} ms`,
          { cause: error },
        );
      }
      // Jitter: connections that found the lock taken together do not all retry together.
      // (node:crypto only: the source rules allow no Math.random, even where unpredictability is not needed.)
      await sleep(Math.min(left, pause * (0.5 + randomInt(1000) / 1000)));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
