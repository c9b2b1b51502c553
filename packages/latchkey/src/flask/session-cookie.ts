// Flask's default session cookie (SecureCookieSessionInterface): tagged JSON, zlib-compressed
// when that saves more than a byte (then prefixed "."), unpadded base64url, signed by
// itsdangerous with a timestamp.
import { deflateSync, inflateSync } from "node:zlib";
import type { SecretKey } from "./itsdangerous.ts";
import {
  decodeTimestamp,
  deriveKey,
  encodeTimestamp,
  signature,
  signatureMatches,
} from "./itsdangerous.ts";
import { pythonJsonDumps } from "./python-json.ts";
import { tag, untag } from "./tagged-json.ts";
import type { FlaskSession } from "./values.ts";

export type { SecretKey } from "./itsdangerous.ts";

/** Flask's salt for session cookies (`SecureCookieSessionInterface.salt`). */
export const FLASK_SESSION_SALT = "cookie-session";
/** Flask's default PERMANENT_SESSION_LIFETIME, which it also uses as the signature max age. */
export const FLASK_DEFAULT_MAX_AGE = 31 * 24 * 60 * 60;

// A decompression bomb must not take the process down: Flask cookies are at most ~4 KB.
const MAX_INFLATED_BYTES = 1024 * 1024;

export interface SignOptions {
  /** Flask's SECRET_KEY. */
  secretKey: SecretKey;
  salt?: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
}

export interface VerifyOptions {
  secretKey: SecretKey;
  /** SECRET_KEY_FALLBACKS: older keys that still verify. */
  fallbacks?: readonly SecretKey[];
  salt?: string;
  /** Seconds; default 31 days (Flask's default). `Infinity` disables the age check. */
  maxAge?: number;
  /** Seconds since the epoch; default now. */
  now?: number;
}

export interface DecodedFlaskSession {
  data: FlaskSession;
  /** When the cookie was signed, seconds since the epoch. */
  timestamp: number;
  compressed: boolean;
}

export type VerifyResult =
  | ({
      valid: true /** Index into [secretKey, ...fallbacks] of the key that matched. */;
      keyIndex: number;
    } & DecodedFlaskSession)
  | { valid: false; reason: "malformed" | "bad-signature" | "expired" };

/**
 * Signs a session the way Flask does. The output is byte-identical to Flask's cookie for the
 * same data and timestamp when it is not compressed; compressed cookies are accepted by Flask
 * (zlib builds may pick different but equivalent encodings). A value Flask cannot hold (a
 * function, an invalid Date, …) throws a `flask-value-invalid` LatchkeyError.
 *
 * @example
 * const cookie = signFlaskSession({ user_id: 42 }, { secretKey: process.env.SECRET_KEY! });
 */
export function signFlaskSession(data: FlaskSession, options: SignOptions): string {
  const json = Buffer.from(pythonJsonDumps(tag(data)), "latin1");
  const compressed = deflateSync(json);
  const payload =
    compressed.length < json.length - 1
      ? `.${compressed.toString("base64url")}`
      : json.toString("base64url");
  const value = `${payload}.${encodeTimestamp(options.timestamp ?? Date.now() / 1000)}`;
  const key = deriveKey(options.secretKey, options.salt ?? FLASK_SESSION_SALT);
  return `${value}.${signature(key, value)}`;
}

/**
 * Reads a Flask session cookie WITHOUT checking its signature — what anyone holding the cookie
 * can see. Returns undefined for anything that is not a Flask session cookie.
 *
 * @example decodeFlaskSession(cookie)?.data // { user_id: 42 }
 */
export function decodeFlaskSession(cookie: string): DecodedFlaskSession | undefined {
  const parts = splitCookie(cookie);
  if (parts === undefined) return undefined;
  return decodePayload(parts.payload, parts.timestamp);
}

/**
 * Verifies a Flask session cookie against SECRET_KEY and SECRET_KEY_FALLBACKS (constant-time)
 * and checks its age like Flask does, then decodes it. Hostile input gives `{ valid: false }`.
 *
 * @example
 * const result = verifyFlaskSession(cookie, { secretKey: key, fallbacks: [oldKey] });
 * if (result.valid) console.log(result.data);
 */
export function verifyFlaskSession(cookie: string, options: VerifyOptions): VerifyResult {
  const parts = splitCookie(cookie);
  if (parts === undefined) return { valid: false, reason: "malformed" };
  const salt = options.salt ?? FLASK_SESSION_SALT;
  const keys = [options.secretKey, ...(options.fallbacks ?? [])];
  const keyIndex = keys.findIndex((k) =>
    signatureMatches(deriveKey(k, salt), parts.signed, parts.sig),
  );
  if (keyIndex < 0) return { valid: false, reason: "bad-signature" };
  const age = (options.now ?? Date.now() / 1000) - parts.timestamp;
  if (age < 0 || age > (options.maxAge ?? FLASK_DEFAULT_MAX_AGE))
    return { valid: false, reason: "expired" };
  const decoded = decodePayload(parts.payload, parts.timestamp);
  if (decoded === undefined) return { valid: false, reason: "malformed" };
  return { valid: true, keyIndex, ...decoded };
}

/** True when `cookie` is signed with `secretKey` (signature only: no age check, no decoding). */
export function flaskSignatureMatches(
  cookie: string,
  secretKey: SecretKey,
  salt = FLASK_SESSION_SALT,
): boolean {
  const parts = splitCookie(cookie);
  return (
    parts !== undefined && signatureMatches(deriveKey(secretKey, salt), parts.signed, parts.sig)
  );
}

interface CookieParts {
  payload: string;
  timestamp: number;
  signed: string;
  sig: string;
}

function splitCookie(cookie: string): CookieParts | undefined {
  if (typeof cookie !== "string" || cookie.length > 64 * 1024) return undefined;
  const sigDot = cookie.lastIndexOf(".");
  if (sigDot <= 0) return undefined;
  const signed = cookie.slice(0, sigDot);
  const tsDot = signed.lastIndexOf(".");
  if (tsDot < 0) return undefined;
  const timestamp = decodeTimestamp(signed.slice(tsDot + 1));
  if (timestamp === undefined) return undefined;
  return { payload: signed.slice(0, tsDot), timestamp, signed, sig: cookie.slice(sigDot + 1) };
}

function decodePayload(payload: string, timestamp: number): DecodedFlaskSession | undefined {
  const compressed = payload.startsWith(".");
  const body = compressed ? payload.slice(1) : payload;
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return undefined;
  try {
    let json = Buffer.from(body, "base64url");
    if (compressed) json = inflateSync(json, { maxOutputLength: MAX_INFLATED_BYTES });
    // Flask decodes the JSON as UTF-8 (json.loads on bytes).
    const data = untag(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json)));
    if (
      data === null ||
      typeof data !== "object" ||
      Object.getPrototypeOf(data) !== Object.prototype
    ) {
      return undefined;
    }
    return { data: data as FlaskSession, timestamp, compressed };
  } catch {
    return undefined;
  }
}
