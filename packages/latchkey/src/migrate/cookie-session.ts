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

export interface CookieSessionReaderOptions extends LegacyMapping {
  /** cookie-session's `keys` (or `[secret]`): any one may have signed. */
  keys: readonly string[];
  /** cookie-session's `name`. Default `session` (its signature is `<name>.sig`). */
  cookieName?: string;
}

/**
 * Reads cookie-session's sessions: the cookie holds base64 JSON, `<name>.sig` its keygrip
 * signature (HMAC-SHA1 of `<name>=<value>`, base64url), verified with each key in constant time.
 * The user id defaults to Passport's (`passport.user`). A signed cookie cannot be withdrawn: a
 * copy stays importable until the keys change, so retire the old keys once the cutover is done.
 *
 * @example
 * ```ts
 * const reader = cookieSessionReader({ keys: [process.env.COOKIE_SESSION_KEY!] });
 * ```
 */
export function cookieSessionReader(options: CookieSessionReaderOptions): LegacyReader {
  const name = options.cookieName ?? "session";
  const keys = options.keys.map((key) => Buffer.from(key, "utf8"));
  const userIdOf = options.userId ?? passportUser;
  const dataOf = options.data ?? ((legacy: LegacyData) => withoutKeys(legacy, ["passport"]));
  return {
    cookieNames: [name, `${name}.sig`],
    async read(cookies): Promise<LegacyLookup> {
      const value = cookies.get(name);
      if (value === undefined) return ABSENT;
      const signature = cookies.get(`${name}.sig`);
      if (signature === undefined || !keygripMatches(keys, `${name}=${value}`, signature)) {
        return refused("bad-mac");
      }
      let legacy: unknown;
      try {
        legacy = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
      } catch {
        return refused("bad-payload");
      }
      if (!isObject(legacy)) return refused("bad-payload");
      return {
        outcome: "found",
        session: { userId: userIdOf(legacy), data: dataOf(legacy), persistent: false },
      };
    },
  };
}

function keygripMatches(keys: readonly Buffer[], data: string, signature: string): boolean {
  const given = Buffer.from(signature, "utf8");
  let match = false;
  for (const key of keys) {
    const expected = createHmac("sha1", key).update(data).digest("base64url");
    if (equalBytes(Buffer.from(expected, "utf8"), given)) match = true;
  }
  return match;
}
