import { createAndClaim } from "../stores/chain.ts";
import type { SessionChange, SessionMeta, Store } from "../stores/types.ts";
import { claimForReplacement, followGrace, updateLive } from "./claim-chain.ts";
import { headersOnly, NOTHING_TO_COMMIT, type PendingCommit, settledCommit } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";
import { expiredCookieHeaders, sessionCookieHeaders } from "./cookies.ts";
import { COPIES_END, type CredentialChange } from "./credential-change.ts";
import { previousOf, reportEnded, reportUserAgentChanged, userOf } from "./emit.ts";
import { LatchkeyError } from "./errors.ts";
import {
  type KeepOnLogin,
  type KeptKeys,
  keptForLogin,
  keptOnLogin,
  keysNotKept,
} from "./login-carry-over.ts";
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
} from "./policy.ts";
import { createLoggedInEntry } from "./session-limit.ts";
import { applyChanges, collectChanges, markSaved, mergedData, RequestState } from "./state.ts";
import { newSessionId, secretMatches, tokenCodec } from "./token.ts";

/** A request's session in server-store mode: what it presented and what it was issued. */
export class ServerRequestState extends RequestState implements CommitFacts {
  /** The token this request presented (not through a grace window), to re-send with a fresh Max-Age. */
  presentedToken: string | null = null;
  /** A token issued during this request: the response must carry it. */
  issuedToken: string | null = null;
  /** The presented token's id was minted under an older secret: re-issue it under the newest. */
  underOlderSecret = false;

  get reissued(): boolean {
    return this.issuedToken !== null;
  }

  get outdated(): boolean {
    return this.underOlderSecret;
  }

  override reset(): void {
    super.reset();
    this.presentedToken = null;
    this.issuedToken = null;
    this.underOlderSecret = false;
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
      // A periodically rotated token is only a way to reach the session that replaced it, inside
      // its own grace window; every later link must be inside its window too, and the end live.
      const live = await followGrace(store, entry, now);
      if (live === null) {
        emit({ type: "unknown-id", at: now, ref });
        return;
      }
      ref = live.ref;
      entry = live.entry;
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
    if (successor === null) {
      state.presentedToken = cookieValue;
      state.underOlderSecret = parsed.underOlderSecret;
    } else state.viaGrace = true;
  }

  async function login(
    state: ServerRequestState,
    userId: string,
    persistent: boolean,
    keep: KeepOnLogin | undefined,
    reason?: string,
  ): Promise<CredentialChange> {
    const kept = keptForLogin(keep, config.keepOnLogin);
    const now = clock();
    const meta = createdMeta(config, now, newSessionId(), {
      userId,
      authTime: now,
      persistent,
      userAgent: state.userAgent,
    });
    // A login is proven by this request: it succeeds even when the old session was revoked in
    // flight, but then starts empty. Reauthentication is a step-up of the session itself.
    const previous = await reissueNow(state, meta, {
      limited: true,
      ifGone: reason === undefined ? "start-empty" : "reject",
      kept,
    });
    emit({
      type: "login",
      at: now,
      ref: state.ref as string,
      userId,
      ...previousOf(previous),
      ...(reason === undefined ? {} : { reason }),
    });
    return COPIES_END;
  }

  /**
   * A new token for the session's data, written now; the old token is destroyed at once, by a
   * claim (see claim-chain.ts). `limited`: the new entry counts against `maxSessionsPerUser`.
   * `ifGone`: what to do when the old session was gone before the claim (revoked in flight).
   * `kept`: which of the old session's values the new entry takes over (see login-carry-over.ts).
   */
  async function reissueNow(
    state: ServerRequestState,
    meta: SessionMeta,
    options: { limited: boolean; ifGone: "start-empty" | "reject"; kept: KeptKeys },
  ): Promise<string | null> {
    const previous = state.ref;
    const changes = collectChanges(state);
    const issued = tokens.issue();
    let data = keptOnLogin(applyChanges(state.raw, changes), options.kept);
    const entry = { secretHash: issued.secretHash, meta, data };
    // The common case in one round trip: a store that creates and claims at once, and no session
    // limit to apply. A lost claim created nothing, and the general path below takes over.
    const quick =
      previous !== null &&
      store.createAndClaim !== undefined &&
      !(options.limited && config.maxSessions !== null) &&
      (await store.createAndClaim(issued.ref, entry, previous, 0)).claimed;
    if (!quick) {
      if (options.limited) {
        await createLoggedInEntry(config, store, issued.ref, entry, previous, meta.createdAt);
      } else {
        await store.create(issued.ref, entry);
      }
    }
    if (previous !== null) {
      const won = quick
        ? data
        : await claimForReplacement(store, previous, issued.ref, data, changes);
      // A claim that moved on to a concurrent rotation's successor took all of its values.
      if (won !== null)
        data = won === data ? data : await dropNotKept(issued.ref, won, options.kept);
      else if (options.ifGone === "reject") {
        await store.delete(issued.ref);
        state.reset();
        state.staleCookie = true;
        throw new LatchkeyError(
          "session-revoked",
          "This session was revoked or logged out while the request was in flight; it cannot be continued. Ask the user to log in again.",
        );
      } else {
        // Nothing of the revoked session is carried into the new one.
        await store.update(issued.ref, { delete: Object.keys(data) });
        data = Object.create(null);
        state.reset();
      }
    }
    state.ref = issued.ref;
    state.meta = meta;
    state.viaGrace = false;
    state.underOlderSecret = false;
    state.issuedToken = issued.token;
    state.persistentChanged = false;
    state.presentedToken = null;
    markSaved(state, data);
    return previous;
  }

  /** Removes from the entry `ref`, holding `data`, the values that do not carry over. */
  async function dropNotKept(
    ref: string,
    data: Record<string, string>,
    kept: KeptKeys,
  ): Promise<Record<string, string>> {
    const dropped = keysNotKept(data, kept);
    if (dropped.length > 0) await store.update(ref, { delete: dropped });
    return keptOnLogin(data, kept);
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
   * Periodic rotation, the one place it is carried out: a new entry under a new token, then a
   * claim that turns the old token into a pointer to it for the grace window (requests already in
   * flight). A request that loses the claim to a concurrent rotation drops its entry, applies its
   * changes to the winner's successor (no lost writes) and sends no cookie: the winner's response
   * carries it. One that finds the session gone (revoked, logged out) drops its entry and sends
   * nothing, so it cannot bring the session back.
   *
   * It also re-issues a token minted under an older secret (`reason` "secret-rotation"), so the
   * session survives that secret's removal from the configuration, as sealed cookies are re-sealed.
   */
  function rotatePeriodic(
    state: ServerRequestState,
    now: number,
    reason: "periodic" | "secret-rotation",
  ): PendingCommit {
    const oldRef = state.ref as string;
    const rotated = rotatedMeta(config, state.meta as SessionMeta, now);
    const issued = tokens.issue();
    const data = mergedData(state);
    const changes = lostRotationChange(state);
    const headers = sessionCookieHeaders(config, issued.token, cookieMaxAge(config, rotated, now));
    return settledCommit(headers, async () => {
      // One round trip when the store can do both at once; a lost claim leaves no new entry.
      const entry = { secretHash: issued.secretHash, meta: rotated, data };
      const claim = await createAndClaim(store, issued.ref, entry, oldRef, now + config.graceMs);
      if (claim.claimed) {
        emit({
          type: "rotated",
          at: now,
          ref: issued.ref,
          previousRef: oldRef,
          reason,
        });
        return headers;
      }
      // The winner's entry may itself have been rotated since: the changes go to the live end of
      // the chain (the store leaves a pointer's end of grace alone).
      if (claim.successor !== null && changes !== null) {
        await updateLive(store, claim.successor, changes, now);
      }
      return null;
    });
  }

  /** What a rotation that lost the claim still owes the winner's successor, or null. */
  function lostRotationChange(state: ServerRequestState): SessionChange | null {
    const persistent = state.persistentChanged;
    if (!state.dataChanged && !persistent) return null;
    return {
      ...collectChanges(state),
      ...(persistent ? { meta: { persistent: (state.meta as SessionMeta).persistent } } : {}),
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
    const headers =
      token === null ? null : sessionCookieHeaders(config, token, cookieMaxAge(config, meta, now));
    // A concurrent rotation may have claimed `ref` since this request loaded it: the write then
    // lands on its successor, and the response must not send the rotated-away token back over the
    // new cookie that the rotating response gave the browser.
    return settledCommit(headers, async () =>
      (await updateLive(store, ref, change, now)) === ref ? headers : null,
    );
  }

  return {
    begin: (userAgent) => new ServerRequestState(userAgent),
    load,

    login: (state, userId, options) =>
      login(state, userId, options.persistent ?? false, options.keep),

    reauthenticate: (state) => {
      const meta = state.meta as SessionMeta;
      return login(state, meta.userId as string, meta.persistent, "all", "reauthenticate");
    },

    now: clock,

    async rotate(state) {
      // Unsaved: it gets a fresh token when first saved anyway.
      if (state.meta === null) return COPIES_END;
      const now = clock();
      const previous = await reissueNow(state, rotatedMeta(config, state.meta, now), {
        limited: false,
        ifGone: "reject",
        kept: "all",
      });
      emit({
        type: "rotated",
        at: now,
        ref: state.ref as string,
        reason: "manual",
        ...previousOf(previous),
      });
      return COPIES_END;
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
      return COPIES_END;
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
          return rotatePeriodic(state, now, "periodic");
        case "reissue":
          return headersOnly(
            sessionCookieHeaders(
              config,
              state.issuedToken as string,
              cookieMaxAge(config, state.meta as SessionMeta, now),
            ),
          );
        case "write":
          // An outdated token always plans a write (policy.ts); here a write is not enough, the
          // cookie must carry a token minted under the newest secret.
          return state.outdated
            ? rotatePeriodic(state, now, "secret-rotation")
            : write(state, plan, now);
      }
    },
  };
}
