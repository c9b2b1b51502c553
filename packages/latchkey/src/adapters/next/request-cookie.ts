import { cookieNamedTwice, isCanonicalCookieValue, rawCookieValue } from "../../core/cookies.ts";

// Server Components and Server Actions see the request through `headers()` and `cookies()`.
// The raw Cookie header is what the engine must read (it refuses a cookie named twice or spelled
// in a way latchkey never writes), but it is frozen at the start of the request: after a Server
// Action logs in and redirects, Next renders the next page in the same request, and only
// `cookies()` knows the new token. So the raw header is used unless `cookies()` holds a new
// value for the session cookie, and never replaced when the raw header is one the engine must
// refuse on its own terms. Only the session cookie's pair is replaced: the others the browser
// sent stay, the DBSC bound cookie among them, so a bound session an action rotated (same
// binding, new token) is still seen signed in by the page rendered in the same request.

/**
 * The Cookie header to load the session from: `raw`, or `raw` with the session cookie's value
 * replaced by `current` (dropped when empty) when `current` (the session cookie as `cookies()`
 * sees it now) was set during this request.
 */
export function sessionCookieHeader(
  raw: string | null,
  name: string,
  current: string | undefined,
): string | null {
  const header = raw ?? "";
  if (cookieNamedTwice(header, name)) return raw;
  const original = rawCookieValue(header, name);
  if (original !== undefined && !isCanonicalCookieValue(original)) return raw;
  if (current === original) return raw;
  const others = otherPairs(header, name);
  if (current !== undefined && current !== "") others.unshift(`${name}=${current}`);
  return others.length === 0 ? null : others.join("; ");
}

/** The header's `name=value` pairs other than `name`'s, in order (one linear pass). */
function otherPairs(header: string, name: string): string[] {
  const pairs: string[] = [];
  for (const part of header.split(";")) {
    const pair = part.trim();
    const eq = pair.indexOf("=");
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (key !== "" && key !== name) pairs.push(pair);
  }
  return pairs;
}
