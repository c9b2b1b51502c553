import type { Sessions } from "../../core/engine.ts";
import { LatchkeyError } from "../../core/errors.ts";
import type { CsrfOptions } from "../../csrf/options.ts";
import { resolveCsrfOptions } from "../../csrf/options.ts";
import { checkOrigin, requestOriginOf } from "../../csrf/origin.ts";

// Server Actions are POSTs that Next.js already refuses when Origin names another host. latchkey
// checks them again with the rule every other adapter applies (Fetch Metadata first, then an
// exact Origin/Referer match, scheme and port included), so an action is held to the same
// standard as a route. No token is asked for: an action cannot be reached by a cross-site form
// in a browser that sends Fetch Metadata or Origin, and the session cookie is SameSite=Lax.
// `headers()` does not say whether the connection was TLS, and Next fills X-Forwarded-Proto only
// when the client left it out, so that header is believed only with `trustProxy`; otherwise the
// request's own origin is taken to be https (plain-http deployments list their origin in
// `allowedOrigins`; browsers with Fetch Metadata never reach this fallback).

/** Reads a request header by its lower-case name. */
export type HeaderReader = (name: string) => string | null;

/** Throws `csrf-refused` (after a `csrf-refused` event) unless the action came from an allowed origin. */
export type ActionOriginCheck = (header: HeaderReader) => void;

export function actionOriginCheck<T extends object>(
  sessions: Sessions<T>,
  csrf: CsrfOptions | undefined,
): ActionOriginCheck {
  const options = resolveCsrfOptions(csrf);
  return (header) => {
    const requestOrigin = options.origin.deriveFromRequest
      ? requestOriginOf(
          { protocol: "https", host: header("host") },
          options.trustProxy
            ? { proto: header("x-forwarded-proto"), host: header("x-forwarded-host") }
            : null,
        )
      : null;
    const reason = checkOrigin(
      options.origin,
      {
        secFetchSite: header("sec-fetch-site"),
        origin: header("origin"),
        referer: header("referer"),
      },
      requestOrigin,
    );
    if (reason === null) return;
    // Checked before the session is loaded: a refused action costs no store round trip.
    sessions.emit({ type: "csrf-refused", reason });
    throw new LatchkeyError(
      "csrf-refused",
      `This Server Action was refused: it did not come from an allowed origin (${reason}).`,
    );
  };
}
