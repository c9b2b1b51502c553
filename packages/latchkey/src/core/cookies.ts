import { serialize } from "cookie";
import type { SessionHeaders } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";

// Declared with PendingCommit (a public type that must not pull in the configuration); still
// importable from here, where the code that builds it lives.
export type { SessionHeaders };

/** RFC 6265bis §4.1.1: name + value may not exceed 4096 bytes, or browsers ignore the cookie. */
export const MAX_COOKIE_BYTES = 4096;

const EPOCH = new Date(0);

/**
 * The session cookie's value from a Cookie header, or undefined. Two cookies of that name are
 * no session (and a `tampered` event): a sibling subdomain or a plain-http page can plant a
 * second one, and which of the two a parser keeps is then the attacker's choice. A value in any
 * spelling but latchkey's own (see `isCanonicalCookieValue`) is no session either.
 */
export function readSessionCookie(
  config: ResolvedConfig,
  header: string | null | undefined,
): string | undefined {
  const name = config.cookieName;
  // Most requests without a session carry no such cookie at all: skip the parse.
  if (!header?.includes(name)) return undefined;
  if (cookieNamedTwice(header, name)) {
    config.emit({ type: "tampered", at: config.now(), reason: "ambiguous-cookie" });
    return undefined;
  }
  const value = rawCookieValue(header, name);
  if (value !== undefined && !isCanonicalCookieValue(value)) {
    config.emit({ type: "tampered", at: config.now(), reason: "non-canonical" });
    return undefined;
  }
  return value;
}

/**
 * The value of the first cookie named `name`, exactly as the header spells it (between "=" and
 * ";"), or undefined. Unlike `cookie.parse` it neither trims, unquotes nor %-decodes the value:
 * what the browser stored is what the session is looked up by.
 */
export function rawCookieValue(header: string, name: string): string | undefined {
  let start = 0;
  let eq = -1;
  while (start < header.length) {
    let end = header.indexOf(";", start);
    if (end === -1) end = header.length;
    // The next "=" may lie pairs ahead ("a;b;c;d=1"): found once, not again for every pair.
    if (eq < start) eq = header.indexOf("=", start);
    if (eq === -1) return undefined;
    // Names are matched as `cookie.parse` and `cookieNamedTwice` match them: spaces around trimmed.
    if (eq < end && header.slice(start, eq).trim() === name) {
      return header.slice(eq + 1, end);
    }
    start = end + 1;
  }
  return undefined;
}

/**
 * True when `value` uses only the characters latchkey writes into its cookies: base64url and
 * ".". `cookie.parse` would also accept `%41`-encoded, quoted or space-wrapped spellings of the
 * same token; each is one more way to present a value, and none comes from a browser that
 * stored ours, so all are refused. The empty value passes here and fails the token check.
 */
export function isCanonicalCookieValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const allowed =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2d || // -
      c === 0x5f || // _
      c === 0x2e; // .
    if (!allowed) return false;
  }
  return true;
}

/** True when `header` carries more than one cookie named exactly `name`. */
export function cookieNamedTwice(header: string, name: string): boolean {
  const first = header.indexOf(name);
  // A single occurrence of the name anywhere in the header cannot be two cookies.
  if (first === -1 || header.indexOf(name, first + 1) === -1) return false;
  let count = 0;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if ((eq === -1 ? pair : pair.slice(0, eq)).trim() === name && ++count > 1) return true;
  }
  return false;
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
