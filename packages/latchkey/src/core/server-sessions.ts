import type { Store } from "../stores/types.ts";
import { headersOnly, NOTHING_TO_COMMIT, type PendingCommit } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";
import { expiredCookieHeaders, sessionCookieHeaders } from "./cookies.ts";
import { LatchkeyError } from "./errors.ts";
import { previousOf, userOf } from "./events.ts";
import {
  cookieMaxAge,
  deadlines,
  expiryReason,
  newMeta,
  rotationDue,
  storeCall,
  storeDeadline,
  touchDue,
} from "./lifecycle.ts";
import type { LoginOptions, SessionLifecycle } from "./session.ts";
import {
  collectChanges,
  hasDataChanges,
  markSaved,
  mergedData,
  type RequestState,
  resetState,
} from "./state.ts";
import { secretMatches, tokenCodec } from "./token.ts";

/** Server-side sessions: the cookie holds `<id>.<secret>`, the store holds everything else. */
export interface ServerBackend extends SessionLifecycle {
  load(state: RequestState, cookieValue: string): Promise<void>;
  prepare(state: RequestState): PendingCommit;
}

export function serverBackend(config: ResolvedConfig, store: Store): ServerBackend {
  const { emit, now: clock } = config;
  const tokens = tokenCodec(config.keys);

  async function load(state: RequestState, cookieValue: string): Promise<void> {
    const now = clock();
    const parsed = tokens.parse(cookieValue);
    if (!parsed.ok) {
      emit({ type: "tampered", at: now, reason: parsed.reason });
      state.clearStaleCookie = true;
      return;
    }
    let ref = parsed.ref;
    let entry = await storeCall(config, "get", () => store.get(ref));
    if (entry === null) {
      // Expired and swept, revoked, or logged out elsewhere. Not cleared: in a rotation race the
      // browser may already hold the new cookie under the same name.
      emit({ type: "unknown-id", at: now, ref });
      return;
    }
    if (!secretMatches(parsed.secret, entry.secretHash)) {
      emit({ type: "tampered", at: now, ref, reason: "bad-secret" });
      state.clearStaleCookie = true;
      return;
    }
    const successor = entry.meta.successor;
    if (successor !== null) {
      // A periodically rotated token: valid only inside its grace window, and only as a way to
      // reach the session that replaced it (requests that were in flight during rotation).
      if (now >= entry.meta.expiresAt) {
        emit({ type: "unknown-id", at: now, ref });
        return;
      }
      entry = await storeCall(config, "get", () => store.get(successor));
      if (entry === null) {
        emit({ type: "unknown-id", at: now, ref: successor });
        return;
      }
      ref = successor;
      state.viaGrace = true;
    }
    const expired = expiryReason(config, entry.meta, now);
    if (expired !== null) {
      await storeCall(config, "delete", () => store.delete(ref));
      emit({ type: "expired", at: now, ref, reason: expired, ...userOf(entry.meta.userId) });
      state.viaGrace = false;
      state.clearStaleCookie = true;
      return;
    }
    if (
      config.userAgentBinding !== "off" &&
      entry.meta.userAgent !== null &&
      entry.meta.userAgent !== state.userAgent
    ) {
      emit({ type: "user-agent-changed", at: now, ref, ...userOf(entry.meta.userId) });
      if (config.userAgentBinding === "end") {
        await storeCall(config, "delete", () => store.delete(ref));
        emit({
          type: "destroyed",
          at: now,
          ref,
          reason: "user-agent-changed",
          ...userOf(entry.meta.userId),
        });
        state.viaGrace = false;
        state.clearStaleCookie = true;
        return;
      }
    }
    state.ref = ref;
    state.meta = entry.meta;
    state.raw = entry.data;
    if (!state.viaGrace) state.presentedToken = cookieValue;
  }

  /** Makes room under `maxSessionsPerUser` before a login, or refuses it. */
  async function enforceSessionLimit(
    userId: string,
    currentRef: string | null,
    now: number,
  ): Promise<void> {
    const limit = config.maxSessions;
    if (limit === null) return;
    const listed = await storeCall(config, "listByUser", () => store.listByUser(userId));
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
      await storeCall(config, "delete", () => store.delete(oldest.ref));
      emit({ type: "revoked", at: now, ref: oldest.ref, userId, reason: "session-limit" });
    }
  }

  async function login(
    state: RequestState,
    userId: string,
    persistent: boolean,
    reason?: string,
  ): Promise<void> {
    const now = clock();
    await enforceSessionLimit(userId, state.ref, now);
    const meta = newMeta(config, now, {
      userId,
      authTime: now,
      persistent,
      userAgent: state.userAgent,
    });
    const previous = await reissue(state, meta);
    emit({
      type: "login",
      at: now,
      ref: state.ref as string,
      userId,
      ...previousOf(previous),
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /** New token for the session's data; the old token is destroyed at once. */
  async function reissue(
    state: RequestState,
    meta: RequestState["meta"] & object,
  ): Promise<string | null> {
    const issued = tokens.issue();
    const data = mergedData(state);
    await storeCall(config, "create", () =>
      store.create(issued.ref, { secretHash: issued.secretHash, meta, data }),
    );
    const previous = state.ref;
    if (previous !== null) await storeCall(config, "delete", () => store.delete(previous));
    state.ref = issued.ref;
    state.meta = meta;
    state.viaGrace = false;
    state.newToken = issued.token;
    state.persistentChanged = false;
    state.presentedToken = null;
    markSaved(state, data);
    return previous;
  }

  return {
    load,

    login: (state: RequestState, userId: string, options: LoginOptions) =>
      login(state, userId, options.persistent ?? false),

    reauthenticate: (state: RequestState) => {
      const meta = state.meta as NonNullable<RequestState["meta"]>;
      return login(state, meta.userId as string, meta.persistent, "reauthenticate");
    },

    now: clock,

    async rotate(state: RequestState) {
      if (state.meta === null) return; // unsaved: it gets a fresh token when first saved anyway
      const now = clock();
      const meta = { ...state.meta, issuedAt: now, lastSeenAt: now, successor: null };
      meta.expiresAt = storeDeadline(config, meta);
      const previous = await reissue(state, meta);
      emit({
        type: "rotated",
        at: now,
        ref: state.ref as string,
        reason: "manual",
        ...previousOf(previous),
      });
    },

    async logout(state: RequestState) {
      const ref = state.ref;
      const userId = state.meta?.userId ?? null;
      if (ref !== null) {
        await storeCall(config, "delete", () => store.delete(ref));
        emit({ type: "destroyed", at: clock(), ref, ...userOf(userId) });
      }
      resetState(state);
      state.newToken = null;
      state.ended = true;
    },

    timeouts: (state: RequestState) => deadlines(config, state.meta),

    prepare(state: RequestState): PendingCommit {
      if (state.ended) return headersOnly(expiredCookieHeaders(config, true));
      const now = clock();
      const meta = state.meta;

      if (meta === null) {
        if (!hasDataChanges(state)) {
          return state.clearStaleCookie
            ? headersOnly(expiredCookieHeaders(config, false))
            : NOTHING_TO_COMMIT;
        }
        // First write of a new visitor: the session comes into being now, not at the first request.
        const issued = tokens.issue();
        const created = newMeta(config, now, {
          userId: null,
          authTime: null,
          persistent: false,
          userAgent: state.userAgent,
        });
        const data = mergedData(state);
        return {
          headers: sessionCookieHeaders(config, issued.token, null),
          writes: true,
          persist: async () => {
            await storeCall(config, "create", () =>
              store.create(issued.ref, { secretHash: issued.secretHash, meta: created, data }),
            );
            emit({ type: "created", at: now, ref: issued.ref });
          },
        };
      }

      const ref = state.ref as string;
      if (state.newToken === null && !state.viaGrace && rotationDue(config, meta, now)) {
        return periodicRotation(state, ref, now);
      }

      const dataChanged = hasDataChanges(state);
      const touched = touchDue(config, meta, now);
      if (!dataChanged && !touched && !state.persistentChanged) {
        return state.newToken === null
          ? NOTHING_TO_COMMIT
          : headersOnly(
              sessionCookieHeaders(config, state.newToken, cookieMaxAge(config, meta, now)),
            );
      }

      const lastSeenAt = now;
      const change = {
        ...(dataChanged ? collectChanges(state) : {}),
        meta: {
          lastSeenAt,
          expiresAt: storeDeadline(config, { createdAt: meta.createdAt, lastSeenAt }),
          ...(state.persistentChanged ? { persistent: meta.persistent } : {}),
        },
      };
      // The cookie goes out again only when it must: a new token, or a persistent cookie whose
      // Max-Age should follow the session. A browser-session cookie needs nothing re-sent.
      const token =
        state.newToken ??
        (meta.persistent || state.persistentChanged ? state.presentedToken : null);
      const headers =
        token === null
          ? null
          : sessionCookieHeaders(config, token, cookieMaxAge(config, meta, now));
      return {
        headers,
        writes: true,
        persist: () => storeCall(config, "update", () => store.update(ref, change)),
      };
    },
  };

  function periodicRotation(state: RequestState, oldRef: string, now: number): PendingCommit {
    const meta = state.meta as NonNullable<RequestState["meta"]>;
    const issued = tokens.issue();
    const rotated = { ...meta, issuedAt: now, lastSeenAt: now, successor: null };
    rotated.expiresAt = storeDeadline(config, rotated);
    const data = mergedData(state);
    return {
      headers: sessionCookieHeaders(config, issued.token, cookieMaxAge(config, rotated, now)),
      writes: true,
      persist: async () => {
        await storeCall(config, "create", () =>
          store.create(issued.ref, { secretHash: issued.secretHash, meta: rotated, data }),
        );
        // The old token keeps working for the grace window, as a pointer to the new session.
        await storeCall(config, "update", () =>
          store.update(oldRef, {
            meta: { successor: issued.ref, expiresAt: now + config.graceMs },
          }),
        );
        emit({
          type: "rotated",
          at: now,
          ref: issued.ref,
          previousRef: oldRef,
          reason: "periodic",
        });
      },
    };
  }
}
