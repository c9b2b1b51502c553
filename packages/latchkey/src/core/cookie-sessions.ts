import type { SessionMeta, Store } from "../stores/types.ts";
import { headersOnly, NOTHING_TO_COMMIT, type PendingCommit, settledCommit } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";
import { expiredCookieHeaders, sessionCookieHeaders } from "./cookies.ts";
import { COPIES_END, COPIES_REMAIN, type CredentialChange } from "./credential-change.ts";
import { previousOf, reportEnded, reportUserAgentChanged, userOf } from "./emit.ts";
import { LatchkeyError } from "./errors.ts";
import { type KeepOnLogin, keptForLogin, keptOnLogin } from "./login-carry-over.ts";
import type { SessionMode } from "./mode.ts";
import {
  type CommitFacts,
  cookieMaxAge,
  createdMeta,
  deadlines,
  judgeLoaded,
  keepsSession,
  type LoadVerdict,
  planCommit,
  rotatedMeta,
  storeDeadline,
} from "./policy.ts";
import { type OpenedSeal, sealCodec, userAgentHash } from "./sealed-cookie.ts";
import { markSaved, mergedData, RequestState } from "./state.ts";
import { newSessionId } from "./token.ts";

/** A request's session in sealed-cookie mode: whether it must be sealed again. */
export class CookieRequestState extends RequestState implements CommitFacts {
  /** Login, rotation or revokeOthers() changed what the seal says: the response re-seals it. */
  reissued = false;
  /** The seal opened with an older secret: re-seal under the newest (key rotation). */
  openedWithOlderKey = false;
  /**
   * Revocation marks made at or after this time end the session: the issue time of the seal the
   * request presented, or of this request's login, or just after a mark the session outlives.
   * A rotation moves the seal's issue time past it, but never this.
   */
  validSince = 0;
  get outdated(): boolean {
    return this.openedWithOlderKey;
  }

  override reset(): void {
    super.reset();
    this.reissued = false;
    this.openedWithOlderKey = false;
    this.validSince = 0;
  }
}

/** What sealed-cookie mode offers beyond the lifecycle: keeping a session past a revocation mark. */
export interface CookieSessions extends SessionMode<CookieRequestState> {
  /** Re-seals the session as issued after a mark made at `markedAt`, so the mark spares it. */
  outliveMark(state: CookieRequestState, markedAt: number): void;
}

/**
 * Sealed cookie sessions: everything lives in the cookie. `revocation`, when given, keeps marks
 * that end sealed sessions early; it must already fail closed (see `failClosed`). With it,
 * `logout()`, `login()`, `rotate()` and `reauthenticate()` end the previous seal and its copies
 * (a mark on the session's id, which a new seal outlives by being issued after it), and periodic
 * rotation ends it when its grace window ends (see `rotatePeriodic`). Without it they only replace
 * the cookie in this browser, and resolve to `copiesRemainValid: true`.
 */
export function cookieSessions(
  config: ResolvedConfig,
  revocation: Store | undefined,
): CookieSessions {
  const { emit, now: clock, keys } = config;
  const seals = sealCodec(keys, config.cookieName);
  // Without a revocation store nothing on the server can end a seal: a replaced or ended cookie's
  // copies keep working until they expire, and the methods that replace or end one say so.
  const retired = revocation === undefined ? COPIES_REMAIN : COPIES_END;

  /** Records that a sealed session is dead, when there is a store to remember it. */
  async function markRevoked(key: string, now: number): Promise<void> {
    if (revocation === undefined) return;
    await revocation.markRevoked(key, now, now + config.absoluteMs);
  }

  /** Whether a mark ends the session `sid` of `userId` valid since `validSince`. */
  async function isRevoked(sid: string, userId: string | null, validSince: number) {
    if (revocation === undefined) return false;
    const since = await revocation.revokedSince(marksOf(sid, userId));
    // A mark covers everything issued up to and including its millisecond.
    return validSince <= since;
  }

  // Periodic rotation of a sealed session, with a revocation store. The rotation at time R of a
  // seal issued at i writes two marks: first `g:<sid>:<i>` at R, kept for the grace window (which
  // seal was rotated, and when), then `s:<sid>` at i, which ends every seal of the session issued
  // up to i: the rotated one, the copies the browser re-sealed from it, and all older ones. The
  // new seal is issued at R > i, so it, and the seal of a concurrent rotation of the same seal,
  // outlive that mark. On load, a seal whose marks say "dead" is looked at again (a second round
  // trip, only then): it is still served, read-only, when the latest mark is exactly its own
  // rotation mark (`since === i`, so nothing revoked the session after it was issued) and its grace
  // record says it was rotated less than `rotationGrace` ago. A logout, revokeUser() or revokeAll()
  // after i writes a later mark, so it ends the rotated seal and its successor at once, grace or
  // not. A seal served through grace sends no new seal: a copy of an old cookie cannot be turned
  // into a fresh one, and the browser keeps the newer cookie it was already given.

  /** The marks that can end a seal of the session `sid` of `userId`, read in one round trip. */
  function marksOf(sid: string, userId: string | null): string[] {
    return userId === null ? ["*", `s:${sid}`] : ["*", `s:${sid}`, `u:${userId}`];
  }

  /** The grace record of the seal of `sid` issued at `issuedAt`: its `at` is when it was rotated. */
  function graceKey(sid: string, issuedAt: number): string {
    return `g:${sid}:${issuedAt}`;
  }

  /** Whether a seal issued at `issuedAt`, whose latest mark is `since`, is inside its rotation grace. */
  async function inRotationGrace(
    store: Store,
    sid: string,
    issuedAt: number,
    since: number,
    now: number,
  ) {
    if (since !== issuedAt) return false;
    const rotatedAt = await store.revokedSince([graceKey(sid, issuedAt)]);
    return rotatedAt > 0 && now < rotatedAt + config.graceMs;
  }

  /** Whether the request's session was revoked since it was loaded (or logged in). */
  function revokedInFlight(state: CookieRequestState): Promise<boolean> {
    const meta = state.meta as SessionMeta;
    return isRevoked(meta.sid, meta.userId, state.validSince);
  }

  /** Rejects a rotation or step-up of a session revoked in flight; the response clears the cookie. */
  async function refuseIfRevoked(state: CookieRequestState, what: string): Promise<void> {
    if (!(await revokedInFlight(state))) return;
    state.reset();
    state.staleCookie = true;
    throw new LatchkeyError(
      "session-revoked",
      `${what}: this session was revoked while the request was in flight. Ask the user to log in again.`,
    );
  }

  /** Re-seals the session as issued just after a mark made at `markedAt`, so the mark spares it. */
  function outliveMark(state: CookieRequestState, markedAt: number): void {
    state.meta = { ...(state.meta as SessionMeta), issuedAt: markedAt + 1 };
    state.validSince = markedAt + 1;
    state.reissued = true;
    state.viaGrace = false;
  }

  /** Carries out a verdict that let the seal through expiry (and revocation, if checked). */
  function settle(
    state: CookieRequestState,
    opened: OpenedSeal,
    meta: SessionMeta,
    verdict: LoadVerdict,
    now: number,
  ): Promise<void> | undefined {
    const { payload } = opened;
    if (verdict.kind === "user-agent-changed")
      reportUserAgentChanged(emit, payload.s, payload.u, now);
    if (!keepsSession(verdict)) {
      const ended = () => {
        reportEnded(emit, verdict, payload.s, payload.u, now);
        state.staleCookie = true;
      };
      if (revocation === undefined) {
        ended();
        return undefined;
      }
      return markRevoked(`s:${payload.s}`, now).then(ended);
    }
    state.ref = payload.s;
    state.meta = meta;
    state.raw = opened.raw;
    state.validSince = payload.i;
    state.openedWithOlderKey = opened.key !== keys.primary;
    return undefined;
  }

  function load(state: CookieRequestState, cookieValue: string): Promise<void> | undefined {
    const now = clock();
    const opened = seals.unseal(cookieValue);
    if ("reason" in opened) {
      emit({ type: "tampered", at: now, reason: opened.reason });
      state.staleCookie = true;
      return;
    }
    const { payload } = opened;
    const meta: SessionMeta = {
      sid: payload.s,
      createdAt: payload.c,
      lastSeenAt: payload.l,
      issuedAt: payload.i,
      expiresAt: 0,
      userId: payload.u,
      authTime: payload.a,
      persistent: payload.p === 1,
      userAgent: state.userAgent,
      successor: null,
    };
    meta.expiresAt = storeDeadline(config, meta);
    const presentedAgent = payload.h === undefined ? null : userAgentHash(state.userAgent ?? "");
    const verdict = judgeLoaded(config, meta, payload.h ?? null, presentedAgent, now);
    if (verdict.kind === "expired") {
      // Its own sealed timestamps keep an expired seal dead: no mark needed.
      reportEnded(emit, verdict, payload.s, payload.u, now);
      state.staleCookie = true;
      return;
    }
    // Without a revocation store there is nothing to wait for: the request goes on at once.
    if (revocation === undefined) return settle(state, opened, meta, verdict, now);
    const store = revocation;
    return store.revokedSince(marksOf(payload.s, payload.u)).then(async (since) => {
      // A mark covers everything issued up to and including its millisecond.
      if (payload.i > since) return settle(state, opened, meta, verdict, now);
      if (await inRotationGrace(store, payload.s, payload.i, since, now)) {
        await settle(state, opened, meta, verdict, now);
        if (state.meta !== null) {
          state.viaGrace = true;
          // Only a mark later than the rotation's own ends it now.
          state.validSince = payload.i + 1;
        }
        return undefined;
      }
      emit({
        type: "unknown-id",
        at: now,
        ref: payload.s,
        reason: "revoked",
        ...userOf(payload.u),
      });
      state.staleCookie = true;
      return undefined;
    });
  }

  async function login(
    state: CookieRequestState,
    userId: string,
    persistent: boolean,
    keep: KeepOnLogin | undefined,
    reason?: string,
  ): Promise<CredentialChange> {
    const kept = keptForLogin(keep, config.keepOnLogin);
    const now = clock();
    const previous = state.ref;
    // Without a server entry to delete, the pre-login seal is retired by a revocation mark.
    if (previous !== null) await markRevoked(`s:${previous}`, now);
    // The new seal is made from these values when the response is prepared.
    if (kept !== "all") markSaved(state, keptOnLogin(mergedData(state), kept));
    const meta = createdMeta(config, now, newSessionId(), {
      userId,
      authTime: now,
      persistent,
      userAgent: state.userAgent,
    });
    state.meta = meta;
    state.ref = meta.sid;
    state.validSince = now;
    state.reissued = true;
    state.viaGrace = false;
    emit({
      type: "login",
      at: now,
      ref: meta.sid,
      userId,
      ...previousOf(previous),
      ...(reason === undefined ? {} : { reason }),
    });
    return previous === null ? COPIES_END : retired;
  }

  /**
   * Every write is a new seal, and this is where it is made (periodic rotation included):
   * synchronously, so a too-large session fails before anything is sent.
   */
  function sealed(
    state: CookieRequestState,
    meta: SessionMeta,
    now: number,
    retire?: (store: Store) => Promise<void>,
  ): PendingCommit {
    const data = mergedData(state);
    const value = seals.seal(meta, data);
    markSaved(state, data);
    const headers = sessionCookieHeaders(config, value, cookieMaxAge(config, meta, now));
    // A seal issued no later than the session's validity start stays under every mark that could
    // end it. One issued later (a rotation) would outlive a mark made while the request was in
    // flight, so the marks are checked again first; a response that cannot wait sends no seal.
    if (revocation === undefined || meta.issuedAt <= state.validSince) return headersOnly(headers);
    const store = revocation;
    const { sid, userId } = meta;
    return settledCommit(null, async () => {
      // A periodic rotation ends the seal it replaces first (its own mark is at the old seal's
      // issue time, which the check below does not count: `validSince` is just after it).
      if (retire !== undefined) await retire(store);
      if (!(await revokedInFlight(state))) return headers;
      emit({ type: "unknown-id", at: now, ref: sid, reason: "revoked", ...userOf(userId) });
      return expiredCookieHeaders(config, false);
    });
  }

  /** Periodic rotation: a new seal, and with a revocation store the old one ends after its grace. */
  function rotatePeriodic(state: CookieRequestState, now: number): PendingCommit {
    const previous = state.meta as SessionMeta;
    const meta = rotatedMeta(config, previous, now);
    const { sid, issuedAt } = previous;
    const pending = sealed(state, meta, now, async (store) => {
      // The grace record first: a request with the old seal never sees the mark without it.
      await store.markRevoked(graceKey(sid, issuedAt), now, now + config.graceMs);
      await store.markRevoked(`s:${sid}`, issuedAt, issuedAt + config.absoluteMs);
      state.validSince = issuedAt + 1;
    });
    emit({ type: "rotated", at: now, ref: sid, reason: "periodic" });
    return pending;
  }

  return {
    begin: (userAgent) => new CookieRequestState(userAgent),
    load,

    login: (state, userId, options) =>
      login(state, userId, options.persistent ?? false, options.keep),

    async reauthenticate(state) {
      await refuseIfRevoked(state, "reauthenticate()");
      const meta = state.meta as SessionMeta;
      return login(state, meta.userId as string, meta.persistent, "all", "reauthenticate");
    },

    now: clock,

    async rotate(state) {
      if (state.meta === null) return COPIES_END;
      await refuseIfRevoked(state, "rotate()");
      const now = clock();
      state.meta = rotatedMeta(config, state.meta, now);
      state.reissued = true;
      // The old seal and its copies end as revokeOthers() ends them: a mark on the session, which
      // the new seal outlives by being issued just after it.
      if (revocation !== undefined) {
        await markRevoked(`s:${state.ref as string}`, now);
        outliveMark(state, now);
      }
      emit({ type: "rotated", at: now, ref: state.ref as string, reason: "manual" });
      return retired;
    },

    async logout(state) {
      const saved = state.ref !== null;
      if (state.ref !== null) {
        await markRevoked(`s:${state.ref}`, clock());
        emit({ type: "destroyed", at: clock(), ref: state.ref, ...userOf(state.meta?.userId) });
      }
      state.reset();
      state.ended = true;
      return saved ? retired : COPIES_END;
    },

    outliveMark,

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
        case "create": {
          const meta = createdMeta(config, now, newSessionId(), {
            userId: null,
            authTime: null,
            persistent: false,
            userAgent: state.userAgent,
          });
          state.meta = meta;
          state.ref = meta.sid;
          state.validSince = now;
          const pending = sealed(state, meta, now);
          emit({ type: "created", at: now, ref: meta.sid });
          return pending;
        }
        case "rotate-periodic":
          return rotatePeriodic(state, now);
        case "reissue":
        case "write":
          // A seal served through its rotation grace window is not sealed again (see above).
          if (state.viaGrace) return NOTHING_TO_COMMIT;
          return sealed(state, { ...(state.meta as SessionMeta), lastSeenAt: now }, now);
      }
    },
  };
}
