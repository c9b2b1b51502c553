import { parse, serialize } from "cookie";
import type { ResolvedConfig } from "./config.ts";

/** Headers a response needs because of the session. `null` fields: leave that header alone. */
export interface SessionHeaders {
  /** One Set-Cookie line for the session cookie. */
  readonly setCookie: string;
  /** Always `no-store` when a session cookie is set (ASVS 5.0 14.3.2): a cache must never replay it. */
  readonly cacheControl: "no-store";
  /** `Clear-Site-Data` on logout. */
  readonly clearSiteData: string | null;
}

/** RFC 6265bis §4.1.1: name + value may not exceed 4096 bytes, or browsers ignore the cookie. */
export const MAX_COOKIE_BYTES = 4096;

const EPOCH = new Date(0);

/** The session cookie's value from a Cookie header, or undefined. */
export function readSessionCookie(
  config: ResolvedConfig,
  header: string | null | undefined,
): string | undefined {
  // Most requests without a session carry no such cookie at all: skip the parse.
  if (!header?.includes(config.cookieName)) return undefined;
  return parse(header)[config.cookieName];
}

export function sessionCookieHeaders(
  config: ResolvedConfig,
  value: string,
  maxAgeSeconds: number | null,
): SessionHeaders {
  // The same text `serialize(cookieName, value, { ...cookieAttributes, maxAge })` gives, without
  // re-validating the name and attributes on every response (they were checked at startup).
  // Values are latchkey's own tokens and seals: base64url and ".", nothing to escape.
  const lifetime = maxAgeSeconds === null ? "" : `; Max-Age=${maxAgeSeconds}`;
  return {
    setCookie: `${config.cookieName}=${value}${lifetime}${config.cookieAttributeText}`,
    cacheControl: "no-store",
    clearSiteData: null,
  };
}

/**
 * A Set-Cookie that removes the session cookie: same name, Path, Domain and flags (a cookie is
 * only replaced by one with the same name, domain and path), empty value, already expired.
 */
export function expiredCookieHeaders(
  config: ResolvedConfig,
  clearSiteData: boolean,
): SessionHeaders {
  return {
    setCookie: serialize(config.cookieName, "", {
      ...config.cookieAttributes,
      maxAge: 0,
      expires: EPOCH,
    }),
    cacheControl: "no-store",
    clearSiteData: clearSiteData ? config.clearSiteData : null,
  };
}
