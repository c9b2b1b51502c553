import type { SessionMeta } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";

// The session lifecycle, decided once for both modes. Every function here is pure: no I/O, no
// clock (the time is a parameter), no randomness. The server-store mode and the sealed-cookie mode
// only carry out what these return (store writes and tokens; seals and revocation marks).
//
// Every timestamp is the server's (or sealed by the server): the cookie's own expiry is never
// trusted (NIST SP 800-63B §5.1.1, OWASP "Idle Timeout").

/** The part of the resolved configuration the lifecycle rules read. */
export type LifecycleConfig = Pick<
  ResolvedConfig,
  "idleMs" | "absoluteMs" | "touchMs" | "rotateMs" | "graceMs" | "userAgentBinding"
>;

type Clocks = Pick<SessionMeta, "createdAt" | "lastSeenAt">;

export type ExpiryReason = "idle" | "absolute";

export function expiryReason(
  config: LifecycleConfig,
  meta: Clocks,
  now: number,
): ExpiryReason | null {
  if (now >= meta.createdAt + config.absoluteMs) return "absolute";
  if (now >= meta.lastSeenAt + config.idleMs) return "idle";
  return null;
}

/** When the store may drop the entry if nothing touches it again. */
export function storeDeadline(config: LifecycleConfig, meta: Clocks): number {
  return Math.min(meta.lastSeenAt + config.idleMs, meta.createdAt + config.absoluteMs);
}

/** The idle and absolute deadlines of a saved session (ms since the epoch), or null. */
export function deadlines(
  config: LifecycleConfig,
  meta: Clocks | null,
): { idle: number; absolute: number } | null {
  if (meta === null) return null;
  return { idle: meta.lastSeenAt + config.idleMs, absolute: meta.createdAt + config.absoluteMs };
}

/** Max-Age for a persistent cookie: what is left of the absolute lifetime. Null for a browser-session cookie. */
export function cookieMaxAge(
  config: LifecycleConfig,
  meta: SessionMeta,
  now: number,
): number | null {
  if (!meta.persistent) return null;
  return Math.max(0, Math.floor((meta.createdAt + config.absoluteMs - now) / 1000));
}

/** A rotated-away entry still leads to its successor: requests in flight during rotation. */
export function withinGrace(meta: Pick<SessionMeta, "expiresAt">, now: number): boolean {
  return now < meta.expiresAt;
}

// --- metadata transitions ---

/** A new session's metadata (first write, login, reauthentication): every clock starts now. */
export function createdMeta(
  config: LifecycleConfig,
  now: number,
  sid: string,
  fields: Pick<SessionMeta, "userId" | "authTime" | "persistent" | "userAgent">,
): SessionMeta {
  const meta: SessionMeta = {
    sid,
    createdAt: now,
    lastSeenAt: now,
    issuedAt: now,
    expiresAt: 0,
    userId: fields.userId,
    authTime: fields.authTime,
    persistent: fields.persistent,
    userAgent: fields.userAgent,
    successor: null,
  };
  meta.expiresAt = storeDeadline(config, meta);
  return meta;
}

/**
 * The same session under a new token: the rotation clock restarts, the absolute clock does not
 * (`createdAt` is kept), or periodic rotation would make a session immortal.
 */
export function rotatedMeta(config: LifecycleConfig, meta: SessionMeta, now: number): SessionMeta {
  const rotated = { ...meta, issuedAt: now, lastSeenAt: now, successor: null };
  rotated.expiresAt = storeDeadline(config, rotated);
  return rotated;
}

// --- load ---

export type LoadVerdict =
  | { readonly kind: "accept" }
  | { readonly kind: "expired"; readonly reason: ExpiryReason }
  | { readonly kind: "user-agent-changed"; readonly outcome: "event-only" | "end" };

// Verdicts are shared constants: judging a request allocates nothing.
const ACCEPT: LoadVerdict = Object.freeze({ kind: "accept" });
const EXPIRED_IDLE: LoadVerdict = Object.freeze({ kind: "expired", reason: "idle" });
const EXPIRED_ABSOLUTE: LoadVerdict = Object.freeze({ kind: "expired", reason: "absolute" });
const AGENT_EVENT_ONLY: LoadVerdict = Object.freeze({
  kind: "user-agent-changed",
  outcome: "event-only",
});
const AGENT_END: LoadVerdict = Object.freeze({ kind: "user-agent-changed", outcome: "end" });

/**
 * What happens to a session the request presented and that verified: expiry first, then the
 * User-Agent binding. `recordedAgent` is what the session was created with (null: nothing
 * recorded), `presentedAgent` what this request sent, in the same form (a mode may compare hashes).
 */
export function judgeLoaded(
  config: LifecycleConfig,
  meta: Clocks,
  recordedAgent: string | null,
  presentedAgent: string | null,
  now: number,
): LoadVerdict {
  const expired = expiryReason(config, meta, now);
  if (expired !== null) return expired === "idle" ? EXPIRED_IDLE : EXPIRED_ABSOLUTE;
  if (config.userAgentBinding === "off" || recordedAgent === null) return ACCEPT;
  if (recordedAgent === presentedAgent) return ACCEPT;
  return config.userAgentBinding === "end" ? AGENT_END : AGENT_EVENT_ONLY;
}

/** True when the verdict lets the request use the session. */
export function keepsSession(verdict: LoadVerdict): boolean {
  return verdict === ACCEPT || verdict === AGENT_EVENT_ONLY;
}

// --- commit ---

/** What a mode knows about a request at commit time. Mode states implement it without copying. */
export interface CommitFacts {
  /** `logout()` ran. */
  readonly ended: boolean;
  /** The saved session, or null when there is none (yet). */
  readonly meta: SessionMeta | null;
  /** Values were set, deleted or changed in place. */
  readonly dataChanged: boolean;
  /** The request presented a dead cookie (expired, tampered, ended): the browser should drop it. */
  readonly staleCookie: boolean;
  /** A new credential was issued during the request (login, rotate, …): the response carries it. */
  readonly reissued: boolean;
  /** The "remember me" flag changed: the cookie's lifetime must be re-sent. */
  readonly persistentChanged: boolean;
  /** The presented credential was already replaced (reached through a rotation grace window). */
  readonly superseded: boolean;
  /**
   * The presented credential is bound to an older secret (sealed with it, or its token id minted
   * under it): it must be replaced before that secret leaves the configuration.
   */
  readonly outdated: boolean;
}

export type CommitPlan =
  | { readonly kind: "nothing" }
  /** The stale cookie of a dead session goes; nothing else happened. */
  | { readonly kind: "clear-cookie" }
  /** Logged out: the cookie goes, and `Clear-Site-Data` with it. */
  | { readonly kind: "expire-cookie" }
  /** The first write of a new visitor: the session comes into being now. */
  | { readonly kind: "create" }
  | { readonly kind: "rotate-periodic" }
  /** The credential issued during the request goes out; nothing else needs writing. */
  | { readonly kind: "reissue" }
  /**
   * Activity is recorded (`lastSeenAt` becomes now), with the data changes (`data`) and the new
   * "remember me" flag (`persistent`) when there are any. `refreshLifetime`: the cookie's Max-Age
   * should follow the session, so the cookie goes out again even if the credential is unchanged.
   */
  | {
      readonly kind: "write";
      readonly data: boolean;
      readonly persistent: boolean;
      readonly refreshLifetime: boolean;
    };

export type WritePlan = Extract<CommitPlan, { kind: "write" }>;

const NOTHING: CommitPlan = Object.freeze({ kind: "nothing" });
const CLEAR_COOKIE: CommitPlan = Object.freeze({ kind: "clear-cookie" });
const EXPIRE_COOKIE: CommitPlan = Object.freeze({ kind: "expire-cookie" });
const CREATE: CommitPlan = Object.freeze({ kind: "create" });
const ROTATE_PERIODIC: CommitPlan = Object.freeze({ kind: "rotate-periodic" });
const REISSUE: CommitPlan = Object.freeze({ kind: "reissue" });
// The eight write plans, indexed by data | persistent << 1 | refreshLifetime << 2.
const WRITES: readonly WritePlan[] = Array.from({ length: 8 }, (_, bits) =>
  Object.freeze({
    kind: "write" as const,
    data: (bits & 1) !== 0,
    persistent: (bits & 2) !== 0,
    refreshLifetime: (bits & 4) !== 0,
  }),
);

/**
 * What the end of a request must do. A request that changed nothing and for which nothing is due
 * (touch, rotation, re-seal) plans nothing: no write, no cookie.
 */
export function planCommit(config: LifecycleConfig, facts: CommitFacts, now: number): CommitPlan {
  if (facts.ended) return EXPIRE_COOKIE;
  const meta = facts.meta;
  const dataChanged = facts.dataChanged;
  if (meta === null) {
    if (dataChanged) return CREATE;
    return facts.staleCookie ? CLEAR_COOKIE : NOTHING;
  }
  // A request that came through a grace window must not rotate the successor again, and one that
  // already holds a new credential needs no other.
  if (!facts.reissued && !facts.superseded && rotationDue(config, meta, now)) {
    return ROTATE_PERIODIC;
  }
  const persistentChanged = facts.persistentChanged;
  if (!dataChanged && !persistentChanged && !facts.outdated && !touchDue(config, meta, now)) {
    return facts.reissued ? REISSUE : NOTHING;
  }
  const refreshLifetime = meta.persistent || persistentChanged;
  return WRITES[
    (dataChanged ? 1 : 0) | (persistentChanged ? 2 : 0) | (refreshLifetime ? 4 : 0)
  ] as WritePlan;
}

// Activity refreshes the idle clock with throttled writes: at most one per touch interval.
function touchDue(config: LifecycleConfig, meta: SessionMeta, now: number): boolean {
  return now - meta.lastSeenAt >= config.touchMs;
}

function rotationDue(config: LifecycleConfig, meta: SessionMeta, now: number): boolean {
  return config.rotateMs > 0 && now - meta.issuedAt >= config.rotateMs;
}
