import { createHmac } from "node:crypto";
import { equalBytes } from "../crypto/constant-time.ts";
import {
  isObject,
  type LegacyData,
  type LegacyMapping,
  passportUser,
  withoutKeys,
} from "./mapping.ts";
import { ABSENT, type LegacyLookup, type LegacyReader, refused } from "./reader.ts";

/**
 * Where express-session kept its sessions, as the reader needs it: `connectRedisSessions` and
 * `connectPgSessions`, or your own for another store.
 */
export interface ExpressSessionStore {
  /** The stored session (the object express-session saved), or null when it is gone or expired. */
  get(sid: string): Promise<LegacyData | null>;
  /** Deletes it once it moved to latchkey. */
  destroy(sid: string): Promise<void>;
}

export interface ExpressSessionReaderOptions extends LegacyMapping {
  /** express-session's `secret` (all of them, when it was a list: any one may have signed). */
  secrets: readonly string[];
  store: ExpressSessionStore;
  /** express-session's `name`. Default `connect.sid`. */
  cookieName?: string;
}

// What express-session itself keeps in the session, and Passport's login.
const FRAMEWORK_KEYS = ["cookie", "passport"];

/**
 * Reads express-session's sessions: the cookie `s:<sid>.<signature>` is verified with the
 * express-session secret(s) (HMAC-SHA256, compared in constant time), then the session is read
 * from its store. The user id defaults to Passport's (`passport.user`). A cookie is persistent
 * when express-session gave it an expiry (`cookie.maxAge`).
 *
 * @example
 * ```ts
 * const reader = expressSessionReader({
 *   secrets: [process.env.OLD_SESSION_SECRET!],
 *   store: connectRedisSessions(redisClient),
 *   userId: (legacy) => (legacy.userId as string | undefined) ?? null, // without Passport
 * });
 * ```
 */
export function expressSessionReader(options: ExpressSessionReaderOptions): LegacyReader {
  const cookieName = options.cookieName ?? "connect.sid";
  const keys = options.secrets.map((secret) => Buffer.from(secret, "utf8"));
  const userIdOf = options.userId ?? passportUser;
  const dataOf = options.data ?? ((legacy: LegacyData) => withoutKeys(legacy, FRAMEWORK_KEYS));
  return {
    cookieNames: [cookieName],
    async read(cookies): Promise<LegacyLookup> {
      const value = cookies.get(cookieName);
      if (value === undefined) return ABSENT;
      const sid = unsignExpressSessionId(value, keys);
      if (sid === null) return refused("bad-mac");
      const legacy = await options.store.get(sid);
      if (legacy === null) return ABSENT;
      const cookie = legacy.cookie as { expires?: unknown } | undefined;
      return {
        outcome: "found",
        session: {
          userId: userIdOf(legacy),
          data: dataOf(legacy),
          persistent: cookie?.expires !== undefined && cookie.expires !== null,
          retire: () => options.store.destroy(sid),
        },
      };
    },
  };
}

/**
 * A stored session's JSON text as the session object, or null when it is not one. A corrupt
 * record is no session rather than an error: an error would answer 500 to every request of
 * that browser, for as long as it keeps the legacy cookie.
 */
export function parseStoredSession(text: string): LegacyData | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return isObject(parsed) ? parsed : null;
}

/**
 * The session id in express-session's cookie value (`s:<sid>.<base64 HMAC-SHA256 without
 * padding>`, as cookie-signature writes it), or null when no key signed it. Any other shape,
 * including an unsigned id, is null: an id the server did not sign is never looked up.
 */
export function unsignExpressSessionId(value: string, keys: readonly Buffer[]): string | null {
  if (!value.startsWith("s:")) return null;
  const dot = value.lastIndexOf(".");
  if (dot <= 2) return null;
  const sid = value.slice(2, dot);
  const given = Buffer.from(value.slice(dot + 1), "utf8");
  let match = false;
  // Every key is tried, so the time taken does not say which one matched.
  for (const key of keys) {
    const expected = createHmac("sha256", key)
      .update(sid, "utf8")
      .digest("base64")
      .replace(/=+$/, "");
    if (equalBytes(Buffer.from(expected, "utf8"), given)) match = true;
  }
  return match ? sid : null;
}
