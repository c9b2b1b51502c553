// The per-user session limit, decided once for every store that can run it in its own language
// (memory, SQLite, PostgreSQL). Redis decides the same way inside a Lua script (redis/scripts.ts).
import { LatchkeyError } from "../core/errors.ts";
import type { SessionLimit, SessionMeta, StoredSession } from "./types.ts";

/** A live session of the user, as the limit sees it. */
export interface LiveEntry {
  ref: string;
  createdAt: number;
}

/** What to do with a login: create it after removing `evict`, or refuse it. */
export type LimitPlan = { create: true; evict: string[] } | { create: false; live: number };

/**
 * The user a limited create is for. Throws `argument-invalid` for a call no engine makes on
 * purpose: an anonymous session (nothing to count) or a limit below 1.
 */
export function limitedUser(session: StoredSession, limit: SessionLimit): string {
  const userId = session.meta.userId;
  if (userId === null) {
    throw new LatchkeyError("argument-invalid", "createWithinLimit: the session has no userId");
  }
  if (!Number.isSafeInteger(limit.limit) || limit.limit < 1) {
    throw new LatchkeyError(
      "argument-invalid",
      "createWithinLimit: limit must be a whole number of 1 or more",
    );
  }
  if (limit.policy !== "refuse" && limit.policy !== "evict-oldest") {
    throw new LatchkeyError(
      "argument-invalid",
      'createWithinLimit: policy must be "refuse" or "evict-oldest"',
    );
  }
  return userId;
}

/** Whether an entry counts against its user's limit. */
export function countsAgainstLimit(ref: string, meta: SessionMeta, limit: SessionLimit): boolean {
  return meta.successor === null && meta.expiresAt > limit.now && ref !== (limit.exceptRef ?? null);
}

/** Decides a login against the user's live sessions: the oldest go first (ties by ref, so every store agrees). */
export function planLimitedCreate(live: readonly LiveEntry[], limit: SessionLimit): LimitPlan {
  const excess = live.length + 1 - limit.limit;
  if (excess <= 0) return { create: true, evict: [] };
  if (limit.policy === "refuse") return { create: false, live: live.length };
  const oldest = [...live].sort(
    (a, b) => a.createdAt - b.createdAt || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0),
  );
  return { create: true, evict: oldest.slice(0, excess).map((entry) => entry.ref) };
}
