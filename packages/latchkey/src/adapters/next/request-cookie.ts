import { cookieNamedTwice, isCanonicalCookieValue, rawCookieValue } from "../../core/cookies.ts";

// Server Components and Server Actions see the request through `headers()` and `cookies()`.
// The raw Cookie header is what the engine must read (it refuses a cookie named twice or spelled
// in a way latchkey never writes), but it is frozen at the start of the request: after a Server
// Action logs in and redirects, Next renders the next page in the same request, and only
// `cookies()` knows the new token. So the raw header is used unless `cookies()` holds a new
// value for the session cookie, and never replaced when the raw header is one the engine must
// refuse on its own terms.

/**
 * The Cookie header to load the session from: `raw`, or `name=current` when `current` (the
 * session cookie as `cookies()` sees it now) was set during this request.
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
  return current === undefined || current === "" ? null : `${name}=${current}`;
}
