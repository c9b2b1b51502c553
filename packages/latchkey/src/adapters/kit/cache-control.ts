import type { Session } from "../../core/session.ts";
import { csrfContextOf } from "../../csrf/pre-session.ts";

// Which Cache-Control a response that sets no session cookie needs. Written once: every adapter
// asks here at the end of a request and only applies the answer.

/** What the end of a request needs to know about the engine (see `Sessions.authenticatedCacheControl`). */
export interface CachePolicy {
  readonly authenticatedCacheControl: "no-store" | null;
}

/**
 * The Cache-Control a response without a session Set-Cookie must carry, or null to leave it as
 * the application made it. `appValue(response)` reads what the application set; it is only
 * called for an authenticated session, so an anonymous request never reads the response's
 * headers (and no closure is made per request).
 */
export function cacheControlFor<R>(
  policy: CachePolicy,
  session: Session<object>,
  appValue: (response: R) => string | null,
  response: R,
): "no-store" | null {
  // The pre-session CSRF cookie goes out on this response: a cached copy would hand this
  // browser's login-form binding to the next visitor. Always `no-store`, like the session cookie.
  if (csrfContextOf(session)?.issued != null) return "no-store";
  const wanted = policy.authenticatedCacheControl;
  if (wanted === null || session.userId === null) return null;
  const current = appValue(response);
  return current !== null && keepsSharedCachesOut(current) ? null : wanted;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when a Cache-Control value already keeps shared caches from storing the response: it has
 * a `no-store` directive, or a bare `private` (RFC 9111 §5.2.2.5, §5.2.2.7). An application that
 * says `private, no-cache` on a logged-in page chose a browser-only cache deliberately, and keeps
 * it. Everything else is replaced: `public` and `max-age`/`s-maxage` let a proxy serve one
 * user's page to another; `no-cache` alone still lets a shared cache store it; and
 * `private="Set-Cookie"` makes only the named fields private, not the page.
 *
 * One pass over the value; commas inside quoted strings do not split directives.
 */
export function keepsSharedCachesOut(value: string): boolean {
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const code = i === value.length ? COMMA : value.charCodeAt(i);
    if (quoted) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) quoted = false;
    } else if (code === QUOTE) {
      quoted = true;
    } else if (code === COMMA) {
      const directive = value.slice(start, i).trim().toLowerCase();
      if (directive === "no-store" || directive === "private") return true;
      start = i + 1;
    }
  }
  return false;
}
