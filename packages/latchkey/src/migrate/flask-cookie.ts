import type { SecretKey } from "../flask/itsdangerous.ts";
import { FLASK_DEFAULT_MAX_AGE, verifyFlaskSession } from "../flask/session-cookie.ts";
import { flaskMapping, jsonValue } from "./flask-mapping.ts";
import { type FlaskRememberCookieOption, flaskCompanionCookies } from "./flask-remember.ts";
import type { LegacyData, LegacyMapping } from "./mapping.ts";
import { ABSENT, type LegacyLookup, type LegacyReader, refused } from "./reader.ts";

export interface FlaskCookieReaderOptions extends LegacyMapping, FlaskRememberCookieOption {
  /** Flask's `SECRET_KEY`. */
  secretKey: SecretKey;
  /** `SECRET_KEY_FALLBACKS`. */
  fallbacks?: readonly SecretKey[];
  /** `SESSION_COOKIE_NAME`. Default `session`. */
  cookieName?: string;
  /** `PERMANENT_SESSION_LIFETIME` in seconds: older cookies are not imported. Default 31 days. */
  maxAge?: number;
}

/**
 * Reads Flask's own signed cookie sessions (itsdangerous, verified with `latchkey/flask`'s
 * byte-compatible codec). The user id defaults to Flask-Login's `_user_id`; values Python types
 * JSON lacks become JSON (tuples arrays, datetimes ISO text, UUIDs and Markup text, bytes base64).
 *
 * @example
 * ```ts
 * const reader = flaskCookieReader({ secretKey: process.env.FLASK_SECRET_KEY! });
 * ```
 */
export function flaskCookieReader(options: FlaskCookieReaderOptions): LegacyReader {
  const name = options.cookieName ?? "session";
  const { userIdOf, dataOf } = flaskMapping(options);
  const maxAgeMs = (options.maxAge ?? FLASK_DEFAULT_MAX_AGE) * 1000;
  return {
    cookieNames: [name],
    // `maxAge: Infinity` turns the age check off: such a cookie has no expiry of its own.
    ...(Number.isFinite(maxAgeMs) ? { maxAgeMs } : {}),
    companionCookieNames: flaskCompanionCookies(options),
    async read(cookies): Promise<LegacyLookup> {
      const value = cookies.get(name);
      if (value === undefined) return ABSENT;
      const verified = verifyFlaskSession(value, {
        secretKey: options.secretKey,
        fallbacks: options.fallbacks,
        maxAge: options.maxAge,
      });
      if (!verified.valid) {
        return verified.reason === "expired"
          ? ABSENT
          : refused(verified.reason === "malformed" ? "malformed" : "bad-mac");
      }
      const legacy = jsonValue(verified.data) as LegacyData;
      return {
        outcome: "found",
        session: {
          userId: userIdOf(legacy),
          data: dataOf(legacy),
          persistent: legacy._permanent === true,
          // itsdangerous signs whole seconds: the cookie was signed within that second.
          issuedAt: verified.timestamp * 1000,
        },
      };
    },
  };
}
