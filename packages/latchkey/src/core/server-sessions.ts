import type { SessionMeta, Store } from "../stores/types.ts";
import { headersOnly, NOTHING_TO_COMMIT, type PendingCommit } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";
import { expiredCookieHeaders, sessionCookieHeaders } from "./cookies.ts";
import { previousOf, reportEnded, reportUserAgentChanged, userOf } from "./emit.ts";
import type { SessionMode } from "./mode.ts";
import {
  type CommitFacts,
  cookieMaxAge,
  createdMeta,
  deadlines,
  judgeLoaded,
  keepsSession,
  planCommit,
  rotatedMeta,
  storeDeadline,
  type WritePlan,
  withinGrace,
} from "./policy.ts";
import { enforceSessionLimit } from "./session-limit.ts";
import { collectChanges, markSaved, mergedData, RequestState } from "./state.ts";
import { newSessionId, secretMatches, tokenCodec } from "./token.ts";

/** A request's session in server-store mode: what it presented and what it was issued. */
export class ServerRequestState extends RequestState implements CommitFacts {
  /** The token this request presented (not through a grace window), to re-send with a fresh Max-Age. */
  presentedToken: string | null = null;
  /** A token issued during this request: the response must carry it. */
  issuedToken: string | null = null;
  /** The session was reached through a rotated-away token inside its grace window. */
  viaGrace = false;

  get reissued(): boolean {
    return this.issuedToken !== null;
  }

  get superseded(): boolean {
    return this.viaGrace;
  }

  get outdated(): boolean {
    return false;
  }

  override reset(): void {
    super.reset();
    this.presentedToken = null;
    this.issuedToken = null;
    this.viaGrace = false;
  }
}

/**
 * Server-side sessions: the cookie holds `<id>.<secret>`, the store holds everything else.
 * `store` must already fail closed (see `failClosed`).
 */
export function serverSessions(
  config: ResolvedConfig,
  store: Store,
): SessionMode<ServerRequestState> {
  const { emit, now: clock } = config;
  const tokens = tokenCodec(config.keys);

  async function load(state: ServerRequestState, cookieValue: string): Promise<void> {
    const now = clock();
    const parsed = tokens.parse(cookieValue);
    if (!parsed.ok) {
      emit({ type: "tampered", at: now, reason: parsed.reason });
      state.staleCookie = true;
      return;
    }
    let ref = parsed.ref;
    let entry = await store.get(ref);
    if (entry === null) {
      // Expired and swept, revoked, or logged out elsewhere. Not cleared: in a rotation race the
      // browser may already hold the new cookie under the same name.
      emit({ type: "unknown-id", at: now, ref });
      return;
    }
    if (!secretMatches(parsed.secret, entry.secretHash)) {
      emit({ type: "tampered", at: now, ref, reason: "bad-secret" });
      state.staleCookie = true;
      return;
    }
    const successor = entry.meta.successor;
    if (successor !== null) {
      // A periodically rotated token is only a way to reach the session that replaced it.
      if (!withinGrace(entry.meta, now)) {
        emit({ type: "unknown-id", at: now, ref });
        return;
      }
      entry = await store.get(successor);
      if (entry === null) {
        emit({ type: "unknown-id", at: now, ref: successor });
        return;
      }
      ref = successor;
    }
    const { meta } = entry;
    const verdict = judgeLoaded(config, meta, meta.userAgent, state.userAgent, now);
    if (verdict.kind === "user-agent-changed") {
      reportUserAgentChanged(emit, ref, meta.userId, now);
    }
    if (!keepsSession(verdict)) {
      await store.delete(ref);
      reportEnded(emit, verdict, ref, meta.userId, now);
      state.staleCookie = true;
      return;
    }
    state.ref = ref;
    state.meta = meta;
    state.raw = entry.data;
    if (successor === null) state.presentedToken = cookieValue;
    else state.viaGrace = true;
  }

  async function login(
    state: ServerRequestState,
    userId: string,
    persistent: boolean,
    reason?: string,
  ): Promise<void> {
    const now = clock();
    await enforceSessionLimit(config, store, userId, state.ref, now);
    const meta = createdMeta(config, now, newSessionId(), {
      userId,
      authTime: now,
      persistent,
      userAgent: state.userAgent,
    });
    const previous = await reissueNow(state, meta);
    emit({
      type: "login",
      at: now,
      ref: state.ref as string,
      userId,
      ...previousOf(previous),
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /** A new token for the session's data, written now; the old token is destroyed at once. */
  async function reissueNow(state: ServerRequestState, meta: SessionMeta): Promise<string | null> {
    const issued = tokens.issue();
    const data = mergedData(state);
    await store.create(issued.ref, { secretHash: issued.secretHash, meta, data });
    const previous = state.ref;
    if (previous !== null) await store.delete(previous);
    state.ref = issued.ref;
    state.meta = meta;
    state.viaGrace = false;
    state.issuedToken = issued.token;
    state.persistentChanged = false;
    state.presentedToken = null;
    markSaved(state, data);
    return previous;
  }

  /** First write of a new visitor: the session comes into being now, not at the first request. */
  function create(state: ServerRequestState, now: number): PendingCommit {
    const issued = tokens.issue();
    const meta = createdMeta(config, now, newSessionId(), {
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
        await store.create(issued.ref, { secretHash: issued.secretHash, meta, data });
        emit({ type: "created", at: now, ref: issued.ref });
      },
    };
  }

  /**
   * Periodic rotation, the one place it is carried out: a new entry under a new token, and the old
   * token kept for the grace window as a pointer to it (requests already in flight).
   */
  function rotatePeriodic(state: ServerRequestState, now: number): PendingCommit {
    const oldRef = state.ref as string;
    const rotated = rotatedMeta(config, state.meta as SessionMeta, now);
    const issued = tokens.issue();
    const data = mergedData(state);
    return {
      headers: sessionCookieHeaders(config, issued.token, cookieMaxAge(config, rotated, now)),
      writes: true,
      persist: async () => {
        await store.create(issued.ref, { secretHash: issued.secretHash, meta: rotated, data });
        await store.update(oldRef, {
          meta: { successor: issued.ref, expiresAt: now + config.graceMs },
        });
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

  /** Records activity, with the data and "remember me" changes the plan names. */
  function write(state: ServerRequestState, plan: WritePlan, now: number): PendingCommit {
    const ref = state.ref as string;
    const meta = state.meta as SessionMeta;
    const lastSeenAt = now;
    const change = {
      ...(plan.data ? collectChanges(state) : {}),
      meta: {
        lastSeenAt,
        expiresAt: storeDeadline(config, { createdAt: meta.createdAt, lastSeenAt }),
        ...(plan.persistent ? { persistent: meta.persistent } : {}),
      },
    };
    // The cookie goes out again only when it must: a new token, or a persistent cookie whose
    // Max-Age should follow the session. A browser-session cookie needs nothing re-sent.
    const token = state.issuedToken ?? (plan.refreshLifetime ? state.presentedToken : null);
    return {
      headers:
        token === null
          ? null
          : sessionCookieHeaders(config, token, cookieMaxAge(config, meta, now)),
      writes: true,
      persist: () => store.update(ref, change),
    };
  }

  return {
    begin: (userAgent) => new ServerRequestState(userAgent),
    load,

    login: (state, userId, options) => login(state, userId, options.persistent ?? false),

    reauthenticate: (state) => {
      const meta = state.meta as SessionMeta;
      return login(state, meta.userId as string, meta.persistent, "reauthenticate");
    },

    now: clock,

    async rotate(state) {
      if (state.meta === null) return; // unsaved: it gets a fresh token when first saved anyway
      const now = clock();
      const previous = await reissueNow(state, rotatedMeta(config, state.meta, now));
      emit({
        type: "rotated",
        at: now,
        ref: state.ref as string,
        reason: "manual",
        ...previousOf(previous),
      });
    },

    async logout(state) {
      const ref = state.ref;
      const userId = state.meta?.userId ?? null;
      if (ref !== null) {
        await store.delete(ref);
        emit({ type: "destroyed", at: clock(), ref, ...userOf(userId) });
      }
      state.reset();
      state.ended = true;
    },

    timeouts: (state) => deadlines(config, state.meta),

    prepare(state) {
      const now = clock();
      const plan = planCommit(config, state, now);
      switch (plan.kind) {
        case "nothing":
          return NOTHING_TO_COMMIT;
        case "clear-cookie":
          return headersOnly(expiredCookieHeaders(config, false));
        case "expire-cookie":
          return headersOnly(expiredCookieHeaders(config, true));
        case "create":
          return create(state, now);
        case "rotate-periodic":
          return rotatePeriodic(state, now);
        case "reissue":
          return headersOnly(
            sessionCookieHeaders(
              config,
              state.issuedToken as string,
              cookieMaxAge(config, state.meta as SessionMeta, now),
            ),
          );
        case "write":
          return write(state, plan, now);
      }
    },
  };
}
