import { createHmac, hkdfSync } from "node:crypto";
import type { ResolvedConfig } from "../core/config.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { KeyRing } from "../crypto/keys.ts";
import { PROOF_ALGORITHMS, type ProofAlgorithm } from "./jwk.ts";

/**
 * Device Bound Session Credentials (W3C WebAppSec DBSC, the draft of 2026-02-17): the browser
 * keeps a private key in secure hardware and proves possession of it to keep a short-lived bound
 * cookie alive, so a copied session cookie stops working on any other device.
 *
 * @example
 * ```ts
 * createSessions({
 *   secrets, store,
 *   deviceBound: { registrationPath: "/dbsc/register", refreshPath: "/dbsc/refresh" },
 * });
 * ```
 */
export interface DeviceBoundOptions {
  /** Where the browser posts its new public key after login. Default `"/.latchkey/dbsc/register"`. */
  registrationPath?: string;
  /** Where the browser posts its signed challenge to renew the bound cookie. Default `"/.latchkey/dbsc/refresh"`. */
  refreshPath?: string;
  /**
   * How long a bound cookie lives: a session cookie copied to another machine stops working at
   * most this long after the copy. Default `"5m"`, at least `"30s"`, at most `"1h"`.
   */
  boundCookieLifetime?: Duration;
  /** Signature algorithms offered to the browser, in order of preference. Default `["ES256", "RS256"]`. */
  algorithms?: readonly ProofAlgorithm[];
  /** Name of the bound cookie. Default `"__Host-dbsc"` (host-only, Secure, Path=/). */
  cookieName?: string;
}

/** The `deviceBound` option resolved once, at startup. */
export interface ResolvedDeviceBound {
  readonly registrationPath: string;
  readonly refreshPath: string;
  readonly lifetimeMs: number;
  /** How long a challenge may be answered: long enough for a slow TPM, short enough to be useless stolen. */
  readonly challengeMs: number;
  readonly algorithms: readonly ProofAlgorithm[];
  /** The `Secure-Session-Registration` list item without its challenge: `(ES256 RS256);path="…"`. */
  readonly offerPrefix: string;
  readonly cookieName: string;
  /** The bound cookie's attributes as the session configuration names them (`credentials[0].attributes`). */
  readonly cookieAttributeText: string;
  /** HMAC keys for bound cookies: the first signs, all verify (secret rotation). */
  readonly cookieKeys: readonly Buffer[];
  /** The session's rotation grace and absolute timeout: how registration retires earlier seals. */
  readonly graceMs: number;
  readonly absoluteMs: number;
}

const DEFAULT_LIFETIME_MS = 5 * 60_000;
const MIN_LIFETIME_MS = 30_000;
const MAX_LIFETIME_MS = 3_600_000;
const CHALLENGE_MS = 5 * 60_000;
// A path a browser resolves the same way everywhere: absolute, no query, no fragment, nothing an
// sf-string cannot carry unescaped.
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function resolveDeviceBound(
  options: DeviceBoundOptions | undefined,
  config: ResolvedConfig,
): ResolvedDeviceBound | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") {
    throw invalid('deviceBound must be an object, e.g. { refreshPath: "/dbsc/refresh" }.');
  }
  const store = config.store;
  if (store.kind === "cookie" && store.revocation === undefined) {
    throw invalid(
      "deviceBound with sealed cookie sessions needs a store for its one-time challenges: cookieStore({ revocation: redisStore({ url }) }) (or sqliteStore, postgresStore).",
    );
  }
  const registrationPath = checkPath(
    options.registrationPath ?? "/.latchkey/dbsc/register",
    "registrationPath",
  );
  const refreshPath = checkPath(options.refreshPath ?? "/.latchkey/dbsc/refresh", "refreshPath");
  if (registrationPath === refreshPath) {
    throw invalid("deviceBound.registrationPath and refreshPath must differ.");
  }
  const lifetimeMs =
    options.boundCookieLifetime === undefined
      ? DEFAULT_LIFETIME_MS
      : parseDuration(options.boundCookieLifetime, "deviceBound.boundCookieLifetime");
  if (lifetimeMs < MIN_LIFETIME_MS || lifetimeMs > MAX_LIFETIME_MS) {
    throw invalid(
      "deviceBound.boundCookieLifetime must be between 30s and 1h: shorter makes the browser sign all the time, longer lets a copied cookie live that long.",
    );
  }
  const algorithms = checkAlgorithms(options.algorithms ?? ["ES256", "RS256"]);
  const cookieName = options.cookieName ?? "__Host-dbsc";
  if (typeof cookieName !== "string" || !COOKIE_NAME.test(cookieName)) {
    throw invalid("deviceBound.cookieName must be a cookie name (RFC 6265 token characters).");
  }
  if (cookieName === config.cookieName) {
    throw invalid("deviceBound.cookieName must differ from the session cookie's name.");
  }
  const secure = config.cookieAttributes.secure !== false;
  if (cookieName.startsWith("__Host-") && !secure) {
    throw invalid(
      "deviceBound.cookieName starts with __Host-, which needs the Secure attribute: keep cookie.secure on.",
    );
  }
  return {
    registrationPath,
    refreshPath,
    lifetimeMs,
    challengeMs: CHALLENGE_MS,
    algorithms,
    offerPrefix: `(${algorithms.join(" ")});path="${registrationPath}"`,
    cookieName,
    cookieAttributeText: secure
      ? "Path=/; Secure; HttpOnly; SameSite=Lax"
      : "Path=/; HttpOnly; SameSite=Lax",
    cookieKeys: boundCookieKeys(config.keys),
    graceMs: config.graceMs,
    absoluteMs: config.absoluteMs,
  };
}

function checkPath(path: unknown, name: string): string {
  if (typeof path !== "string" || path.length > 256 || !PATH.test(path)) {
    throw invalid(
      `deviceBound.${name} must be an absolute path such as "/dbsc/${name === "refreshPath" ? "refresh" : "register"}" (no query, at most 256 characters).`,
    );
  }
  return path;
}

function checkAlgorithms(list: unknown): readonly ProofAlgorithm[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid('deviceBound.algorithms must be a non-empty list of "ES256" and "RS256".');
  }
  const seen: ProofAlgorithm[] = [];
  for (const item of list) {
    if (!(PROOF_ALGORITHMS as readonly unknown[]).includes(item)) {
      throw invalid(
        `deviceBound.algorithms: ${JSON.stringify(String(item)).slice(0, 40)} is not supported; use "ES256" and "RS256" (never "none" or a shared-secret HS* algorithm).`,
      );
    }
    if (!seen.includes(item as ProofAlgorithm)) seen.push(item as ProofAlgorithm);
  }
  return Object.freeze(seen);
}

// The bound cookie's MAC key gets its own HKDF label, derived from the token-id key each secret
// already has, so it is never the key of any other purpose and rotates with the secrets.
function boundCookieKeys(keys: KeyRing): readonly Buffer[] {
  return keys.all.map((key) =>
    Buffer.from(
      hkdfSync("sha256", key.tokenKey, Buffer.alloc(0), "latchkey/v1/dbsc-bound-cookie", 32),
    ),
  );
}

/** HMAC-SHA256 of `message` under `key`. */
export function mac(key: Buffer, message: string): Buffer {
  return createHmac("sha256", key).update(message).digest();
}

function invalid(message: string): LatchkeyError {
  return new LatchkeyError("config-invalid", `latchkey: ${message}`);
}
