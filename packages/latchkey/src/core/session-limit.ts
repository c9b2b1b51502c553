import type { Store } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";
import { LatchkeyError } from "./errors.ts";
import { expiryReason } from "./policy.ts";

/** Makes room under `maxSessionsPerUser` before a login (evicting the oldest), or refuses it. */
export async function enforceSessionLimit(
  config: ResolvedConfig,
  store: Store,
  userId: string,
  currentRef: string | null,
  now: number,
): Promise<void> {
  const limit = config.maxSessions;
  if (limit === null) return;
  const listed = await store.listByUser(userId);
  const live = listed.filter(
    (s) => s.ref !== currentRef && expiryReason(config, s.meta, now) === null,
  );
  if (live.length < limit.limit) return;
  if (limit.policy === "refuse") {
    throw new LatchkeyError(
      "session-limit",
      `This user already has ${live.length} active sessions (maxSessionsPerUser is ${limit.limit}); ` +
        "log out on another device first.",
    );
  }
  live.sort((a, b) => a.meta.createdAt - b.meta.createdAt);
  for (const oldest of live.slice(0, live.length - limit.limit + 1)) {
    await store.delete(oldest.ref);
    config.emit({ type: "revoked", at: now, ref: oldest.ref, userId, reason: "session-limit" });
  }
}
