import { equalBytes } from "../crypto/constant-time.ts";
import { decodeBase64urlStrict, encodeBase64url } from "../crypto/encoding.ts";
import { mac, type ResolvedDeviceBound } from "./options.ts";

// The short-lived cookie a device-bound session needs beside the session cookie:
// `<expiry ms>.<HMAC(expiry, binding id)>`. Only the server can make one (the MAC key is derived
// from the secrets), only for this binding (a copy from another session does not verify), and it
// says itself when it dies, whatever the browser keeps. Nothing secret is in it.

export type BoundCookieVerdict = "valid" | "missing" | "expired" | "invalid";

const VALUE = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

function macOf(key: Buffer, bindingId: string, expiry: string): Buffer {
  return mac(key, `dbsc-bound/v1|${bindingId}|${expiry}`);
}

/** A fresh bound cookie for `bindingId`, as a Set-Cookie line. */
export function boundCookieLine(dbsc: ResolvedDeviceBound, bindingId: string, now: number): string {
  const expiry = String(now + dbsc.lifetimeMs);
  const value = `${expiry}.${encodeBase64url(macOf(dbsc.cookieKeys[0] as Buffer, bindingId, expiry))}`;
  return `${dbsc.cookieName}=${value}; Max-Age=${Math.floor(dbsc.lifetimeMs / 1000)}; ${dbsc.cookieAttributeText}`;
}

/** The Set-Cookie line that removes the bound cookie. */
export function expiredBoundCookieLine(dbsc: ResolvedDeviceBound): string {
  return `${dbsc.cookieName}=; Max-Age=0; ${dbsc.cookieAttributeText}`;
}

/** Whether `value` (the bound cookie as presented, or undefined) is a live cookie of `bindingId`. */
export function judgeBoundCookie(
  dbsc: ResolvedDeviceBound,
  value: string | undefined,
  bindingId: string,
  now: number,
): BoundCookieVerdict {
  if (value === undefined || value === "") return "missing";
  const match = VALUE.exec(value);
  if (match === null) return "invalid";
  const expiry = match[1] as string;
  const presented = decodeBase64urlStrict(match[2] as string);
  if (presented === null) return "invalid";
  let known = false;
  for (const key of dbsc.cookieKeys) {
    // Every key is tried, so the time taken does not say which one matched.
    if (equalBytes(presented, macOf(key, bindingId, expiry))) known = true;
  }
  if (!known) return "invalid";
  const expiresAt = Number(expiry);
  // A cookie that claims to outlive the configured lifetime was not made under this configuration.
  if (expiresAt <= now || expiresAt > now + dbsc.lifetimeMs) return "expired";
  return "valid";
}
