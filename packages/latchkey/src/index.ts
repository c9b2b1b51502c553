/**
 * latchkey: secure sessions for TypeScript web apps.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/express";
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * app.use(sessionMiddleware(sessions));
 * ```
 * @module
 */

export type { FreshAuthRefusal, FreshAuthRefusalBody } from "./adapters/fresh-auth.ts";
export type { PendingCommit, SessionHeaders } from "./core/commit.ts";
export type { CredentialChange } from "./core/credential-change.ts";
export { type Duration, parseDuration } from "./core/duration.ts";
export { createSessions, type RequestInfo, type Sessions } from "./core/engine.ts";
export { isLatchkeyError, LatchkeyError, type LatchkeyErrorCode } from "./core/errors.ts";
export type { SessionEvent, SessionEventType, TamperReason } from "./core/events.ts";
export type { KeepOnLogin } from "./core/login-carry-over.ts";
export type { CookieOptions, CookieStore, SameSite, SessionsOptions } from "./core/options.ts";
export { TIMEOUT_PRESETS, type TimeoutPreset } from "./core/presets.ts";
export type { CheckOptions, Readiness } from "./core/readiness.ts";
export { MIN_SECRET_BITS, secretWeakness } from "./core/secret-strength.ts";
export type { LoginOptions, Session, SessionData } from "./core/session.ts";
export type { SessionInfo } from "./core/session-info.ts";
export type { MetricAttributes, TelemetryMeter, TelemetryOptions } from "./core/telemetry.ts";
export { isWellKnownSecret, WEAK_SECRETS } from "./core/weak-secrets.ts";
export type { CsrfOptions } from "./csrf/options.ts";
export type { CsrfRefusal, CsrfRefusalBody } from "./csrf/reasons.ts";
export type { ProofAlgorithm } from "./dbsc/jwk.ts";
export type { DeviceBoundOptions } from "./dbsc/options.ts";
export type {
  SessionChange,
  SessionMeta,
  SessionSummary,
  Store,
  StoredSession,
} from "./stores/types.ts";
