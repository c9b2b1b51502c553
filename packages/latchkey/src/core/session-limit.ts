import type { Store, StoredSession } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";
import { LatchkeyError } from "./errors.ts";

/**
 * Creates a logged-in session's entry under `maxSessionsPerUser`: room is made (evicting the
 * oldest) or the login is refused, in the same atomic store operation that creates the entry, so
 * concurrent logins from several processes cannot all see room and all create. `replacedRef` is the
 * token the login replaces (claimed right after): it is neither counted nor evicted.
 */
export async function createLoggedInEntry(
  config: ResolvedConfig,
  store: Store,
  ref: string,
  session: StoredSession,
  replacedRef: string | null,
  now: number,
): Promise<void> {
  const limit = config.maxSessions;
  const userId = session.meta.userId;
  if (limit === null || userId === null) {
    await store.create(ref, session);
    return;
  }
  const result = await store.createWithinLimit(ref, session, {
    limit: limit.limit,
    policy: limit.policy,
    exceptRef: replacedRef,
    now,
  });
  if (!result.created) {
    throw new LatchkeyError(
      "session-limit",
      `This user already has ${result.live} active sessions (maxSessionsPerUser is ${limit.limit}); ` +
        "log out on another device first.",
    );
  }
  for (const evicted of result.evicted) {
    config.emit({ type: "revoked", at: now, ref: evicted, userId, reason: "session-limit" });
  }
}
