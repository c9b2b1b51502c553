import { serialize } from "cookie";
import { LatchkeyError } from "../core/errors.ts";

// Browsers drop a `__Secure-` or `__Host-` cookie without Secure (RFC 6265bis, cookie name
// prefixes; matched without regard to case), the one that expires it too. The legacy cookie
// would then stay in the jar, and one from a signed-cookie source would be imported again as
// soon as the latchkey session ended: a logout or a revocation undone.
const SECURE_PREFIX = /^__(secure|host)-/i;
const HOST_PREFIX = /^__host-/i;

/**
 * The Set-Cookie lines that remove the legacy cookies from the browser, checked once at startup:
 * a legacy cookie of latchkey's own name would remove the cookie latchkey just set, and a
 * `__Host-` one can only be removed with Path=/ and no Domain.
 */
export function expiringLegacyCookies(
  names: readonly string[],
  latchkeyCookieName: string,
  legacyCookie: { path?: string; domain?: string } = {},
): string[] {
  const path = legacyCookie.path ?? "/";
  return names.map((name) => {
    if (name === latchkeyCookieName) {
      throw new LatchkeyError(
        "cookie-name-invalid",
        `The legacy cookie and latchkey's cookie are both named "${name}": the response that moves ` +
          "a session would set latchkey's cookie and expire it at once. Give latchkey's cookie " +
          'another name in createSessions (cookie: { name: "__Host-app-session" }).',
      );
    }
    if (HOST_PREFIX.test(name) && (path !== "/" || legacyCookie.domain !== undefined)) {
      throw new LatchkeyError(
        "cookie-prefix-invalid",
        `The legacy cookie "${name}" has the __Host- prefix, so it was set with Path=/ and no ` +
          "Domain and can only be removed with those: drop legacyCookie.path and legacyCookie.domain.",
      );
    }
    try {
      return serialize(name, "", {
        path,
        domain: legacyCookie.domain,
        expires: new Date(0),
        maxAge: 0,
        secure: SECURE_PREFIX.test(name),
      });
    } catch (error) {
      // `cookie` refuses a name, path or domain a Set-Cookie line cannot hold (a space, a `;`):
      // a configuration mistake, reported at startup like the others.
      throw new LatchkeyError(
        "cookie-name-invalid",
        `The legacy cookie "${name}" cannot be expired with path "${path}"` +
          `${legacyCookie.domain === undefined ? "" : ` and domain "${legacyCookie.domain}"`}: ` +
          "one of them is not valid in a Set-Cookie header.",
        { cause: error },
      );
    }
  });
}
