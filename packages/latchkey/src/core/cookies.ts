import { parse, serialize } from "cookie";
import type { SessionHeaders } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";

// Declared with PendingCommit (a public type that must not pull in the configuration); still
// importable from here, where the code that builds it lives.
export type { SessionHeaders };

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
