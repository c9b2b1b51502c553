import type { Store } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";
import type { CookieRequestState, CookieSessions } from "./cookie-sessions.ts";
import { LatchkeyError } from "./errors.ts";
import type { SessionMode } from "./mode.ts";
import { expiryReason, storeDeadline } from "./policy.ts";
import type { ServerRequestState } from "./server-sessions.ts";
import type { SessionInfo } from "./session-info.ts";
import type { RequestState } from "./state.ts";

/**
 * Ending sessions before their timeouts; one implementation per mode.
 *
 * `revokeOthers(current)` means the same in both modes: every other session of the user ends,
 * and so does every copy of the current session's cookie; the current session goes on under a
 * new credential, which the current response carries. (A copy of the current cookie is as good a
 * foothold as another device's session, so sparing it would leave exactly what the caller wants
 * gone.)
 */
export interface Revocation<S extends RequestState = RequestState> {
  listSessions(userId: string, current?: S): Promise<SessionInfo[]>;
  revoke(ref: string): Promise<boolean>;
  revokeUser(userId: string): Promise<number>;
  revokeOthers(current: S): Promise<number>;
  revokeAll(): Promise<void>;
}

/**
 * Revocation for server stores: entries are deleted, so the next request with them finds nothing.
 * `store` must already fail closed (see `failClosed`); `sessions` rotates the current session in
 * `revokeOthers`.
 */
export function serverRevocation(
  config: ResolvedConfig,
  store: Store,
  sessions: Pick<SessionMode<ServerRequestState>, "rotate">,
): Revocation<ServerRequestState> {
  const { emit, now } = config;
  return {
    async listSessions(userId, current) {
      const at = now();
      const listed = await store.listByUser(userId);
      return listed
        .filter((s) => expiryReason(config, s.meta, at) === null)
        .sort((a, b) => b.meta.lastSeenAt - a.meta.lastSeenAt)
        .map(({ ref, meta }) => ({
          ref,
          createdAt: meta.createdAt,
          lastSeenAt: meta.lastSeenAt,
          expiresAt: storeDeadline(config, meta),
          authTime: meta.authTime,
          userAgent: meta.userAgent,
          current: current?.ref === ref,
        }));
    },
    async revoke(ref) {
      if (typeof ref !== "string" || ref.length === 0) return false;
      const entry = await store.get(ref);
      if (entry === null) return false;
      await store.delete(ref);
      emit({
        type: "revoked",
        at: now(),
        ref,
        reason: "ref",
        ...(entry.meta.userId === null ? {} : { userId: entry.meta.userId }),
      });
      return true;
    },
    async revokeUser(userId) {
      const removed = await store.deleteByUser(userId);
      emit({ type: "revoked", at: now(), userId, reason: "user" });
      return removed;
    },
    async revokeOthers(current) {
      const userId = loggedIn(current);
      // First the current session moves to a new token through the claim, which destroys the old
      // token and its copies. A concurrent rotation by another holder of the same token either
      // lost the claim (it sends no cookie and its writes follow here) or won it (the claim then
      // moves on to its successor and destroys that). So when the listing below runs, the only
      // entry of this session that lives is ours.
      await sessions.rotate(current);
      const listed = await store.listByUser(userId);
      let removed = 0;
      for (const { ref } of listed) {
        if (ref === current.ref) continue;
        // Deleting follows successor chains: a device rotating its own session meanwhile has its
        // new token removed with the old one, or its claim finds the old one gone.
        await store.delete(ref);
        removed++;
      }
      emit({ type: "revoked", at: now(), userId, reason: "others" });
      return removed;
    },
    async revokeAll() {
      await store.deleteAll();
      emit({ type: "revoked", at: now(), reason: "all" });
    },
  };
}

/**
 * Revocation for sealed cookie sessions: a mark in a server store says "everything issued before
 * this time under this key is dead"; every request checks its marks in one lookup. Without such a
 * store a sealed session cannot be ended before its timeouts, and these methods say so. `marks`
 * must already fail closed (see `failClosed`).
 */
export function cookieRevocation(
  config: ResolvedConfig,
  marks: Store | undefined,
  sessions: Pick<CookieSessions, "outliveMark">,
): Revocation<CookieRequestState> {
  const { emit, now } = config;
  const requireMarks = (what: string): Store => {
    if (marks === undefined) {
      throw new LatchkeyError(
        "not-supported",
        `${what} needs somewhere to remember revocations: use cookieStore({ revocation: redisStore(…) }), ` +
          "or a server store. (Rotating the secrets also ends every sealed session.)",
      );
    }
    return marks;
  };
  const mark = async (key: string) => {
    const store = requireMarks("Revoking sealed cookie sessions");
    const at = now();
    await store.markRevoked(key, at, at + config.absoluteMs);
    return at;
  };
  return {
    async listSessions() {
      // Listing would need a record per session written on every login and touch, turning the
      // revocation store into a session store without its atomic lifecycle; a server store is that.
      throw new LatchkeyError(
        "not-supported",
        marks === undefined
          ? "listSessions() needs a server store: sealed cookie sessions are not recorded anywhere. Use sqliteStore(), redisStore() or postgresStore()."
          : "listSessions() needs a server store: a revocation store only remembers revocations, not the sessions themselves. " +
              "Use redisStore() or postgresStore() as the session store to list devices; revoke(session.ref) and revokeUser() work as they are.",
      );
    },
    async revoke(ref) {
      await mark(`s:${ref}`);
      emit({ type: "revoked", at: now(), ref, reason: "ref" });
      return true;
    },
    async revokeUser(userId) {
      await mark(`u:${userId}`);
      emit({ type: "revoked", at: now(), userId, reason: "user" });
      return 0;
    },
    async revokeOthers(current) {
      const userId = loggedIn(current);
      const at = await mark(`u:${userId}`);
      // The current session survives: it is re-sealed as issued after the mark.
      sessions.outliveMark(current, at);
      emit({ type: "revoked", at, userId, reason: "others" });
      return 0;
    },
    async revokeAll() {
      await mark("*");
      emit({ type: "revoked", at: now(), reason: "all" });
    },
  };
}

function loggedIn(state: RequestState): string {
  const userId = state.meta?.userId;
  if (userId == null) {
    throw new LatchkeyError(
      "not-authenticated",
      "revokeOthers(session) needs a logged-in session.",
    );
  }
  return userId;
}
