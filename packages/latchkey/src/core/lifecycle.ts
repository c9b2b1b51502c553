import { randomBytesPooled } from "../crypto/random.ts";
import type { SessionMeta } from "../stores/types.ts";
import type { ResolvedConfig } from "./config.ts";
import { LatchkeyError } from "./errors.ts";

// Timing rules shared by both modes. Every timestamp is the server's (or sealed by the server):
// the cookie's own expiry is never trusted (NIST SP 800-63B §5.1.1, OWASP "Idle Timeout").

export type ExpiryReason = "idle" | "absolute";

export function expiryReason(
  config: ResolvedConfig,
  meta: SessionMeta,
  now: number,
): ExpiryReason | null {
  if (now >= meta.createdAt + config.absoluteMs) return "absolute";
  if (now >= meta.lastSeenAt + config.idleMs) return "idle";
  return null;
}

/** When the store may drop the entry if nothing touches it again. */
export function storeDeadline(
  config: ResolvedConfig,
  meta: Pick<SessionMeta, "createdAt" | "lastSeenAt">,
): number {
  return Math.min(meta.lastSeenAt + config.idleMs, meta.createdAt + config.absoluteMs);
}

/** The idle and absolute deadlines of a saved session (ms since the epoch), or null. */
export function deadlines(
  config: ResolvedConfig,
  meta: SessionMeta | null,
): { idle: number; absolute: number } | null {
  if (meta === null) return null;
  return { idle: meta.lastSeenAt + config.idleMs, absolute: meta.createdAt + config.absoluteMs };
}

export function touchDue(config: ResolvedConfig, meta: SessionMeta, now: number): boolean {
  return now - meta.lastSeenAt >= config.touchMs;
}

export function rotationDue(config: ResolvedConfig, meta: SessionMeta, now: number): boolean {
  return config.rotateMs > 0 && now - meta.issuedAt >= config.rotateMs;
}

/** Max-Age for a persistent cookie: what is left of the absolute lifetime. Null for a browser-session cookie. */
export function cookieMaxAge(
  config: ResolvedConfig,
  meta: SessionMeta,
  now: number,
): number | null {
  if (!meta.persistent) return null;
  return Math.max(0, Math.floor((meta.createdAt + config.absoluteMs - now) / 1000));
}

export function newMeta(
  config: ResolvedConfig,
  now: number,
  fields: {
    userId: string | null;
    authTime: number | null;
    persistent: boolean;
    userAgent: string | null;
  },
): SessionMeta {
  const meta: SessionMeta = {
    sid: newSessionId(),
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

/** Runs a store operation; a failure becomes `store-unavailable` (fail closed) and an event. */
export async function storeCall<R>(
  config: ResolvedConfig,
  operation: string,
  run: () => Promise<R>,
): Promise<R> {
  try {
    return await run();
  } catch (error) {
    config.emit({ type: "store-unavailable", at: config.now(), reason: operation });
    throw new LatchkeyError("store-unavailable", `The session store failed during ${operation}.`, {
      cause: error,
    });
  }
}

/** A random, stable session id (not a credential): see `SessionMeta.sid`. */
export function newSessionId(): string {
  return randomBytesPooled(16).toString("base64url");
}
