import { createHmac } from "node:crypto";
import { equalBytes } from "../crypto/constant-time.ts";
import { deriveKey, type SecretKey } from "../flask/itsdangerous.ts";
import { flaskMapping, jsonValue } from "./flask-mapping.ts";
import { type FlaskRememberCookieOption, flaskCompanionCookies } from "./flask-remember.ts";
import { isObject, type LegacyData, type LegacyMapping } from "./mapping.ts";
import { decodeMsgpack } from "./msgpack.ts";
import { ABSENT, type LegacyLookup, type LegacyReader, refused } from "./reader.ts";

/**
 * Reading raw bytes: ioredis has `getBuffer`; node-redis (v5+) answers Buffers through a type
 * mapping. Told apart by which of the two the client has.
 */
export type LegacyRedisBytesClient =
  | { getBuffer(key: string): Promise<Buffer | null>; del(key: string): Promise<number> }
  | {
      withTypeMapping(mapping: Record<number, unknown>): { get(key: string): Promise<unknown> };
      del(key: string): Promise<number>;
    };

// RESP3 type byte of a bulk string ("$"), as node-redis' RESP_TYPES.BLOB_STRING names it.
const BLOB_STRING = 36;

export interface FlaskSessionRedisReaderOptions extends LegacyMapping, FlaskRememberCookieOption {
  /** The redis client Flask-Session's Redis is reachable through (node-redis v5+ or ioredis). */
  client: LegacyRedisBytesClient;
  /** `SESSION_KEY_PREFIX`. Default `session:`. */
  prefix?: string;
  /** `SESSION_COOKIE_NAME`. Default `session`. */
  cookieName?: string;
  /**
   * `SECRET_KEY`, when the app ran with `SESSION_USE_SIGNER` (deprecated in Flask-Session 0.7):
   * the cookie is then `<sid>.<signature>` and verified. Without it, the cookie is the bare
   * session id — possession of a stored id is the credential, as it was for Flask-Session.
   */
  signerKey?: SecretKey;
}

// Flask-Session 0.8 ids are secrets.token_urlsafe(32); anything outside the alphabet is not looked up.
const SID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Reads Flask-Session's server-side sessions in Redis: `<prefix><sid>` holding the session dict
 * as msgpack (`SESSION_SERIALIZATION_FORMAT`, default) or JSON. The user id defaults to
 * Flask-Login's `_user_id`. Sessions Flask-Session < 0.7 pickled are not read (never unpickle).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const reader = flaskSessionRedisReader({ client });
 * ```
 */
export function flaskSessionRedisReader(options: FlaskSessionRedisReaderOptions): LegacyReader {
  const name = options.cookieName ?? "session";
  const prefix = options.prefix ?? "session:";
  const signerKey =
    options.signerKey === undefined ? undefined : deriveKey(options.signerKey, "flask-session");
  const { userIdOf, dataOf } = flaskMapping(options);
  return {
    cookieNames: [name],
    companionCookieNames: flaskCompanionCookies(options),
    async read(cookies): Promise<LegacyLookup> {
      const value = cookies.get(name);
      if (value === undefined) return ABSENT;
      const sid = signerKey === undefined ? value : unsignSid(value, signerKey);
      if (sid === null) return refused("bad-mac");
      if (!SID.test(sid)) return refused("malformed");
      const stored = await readBytes(options.client, prefix + sid);
      if (stored === null) return ABSENT;
      const legacy = decodeFlaskSessionData(stored);
      if (legacy === null) return refused("bad-payload");
      return {
        outcome: "found",
        session: {
          userId: userIdOf(legacy),
          data: dataOf(legacy),
          persistent: legacy._permanent === true,
          retire: async () => {
            await options.client.del(prefix + sid);
          },
        },
      };
    },
  };
}

async function readBytes(client: LegacyRedisBytesClient, key: string): Promise<Uint8Array | null> {
  if ("getBuffer" in client) return client.getBuffer(key);
  const reply = await client.withTypeMapping({ [BLOB_STRING]: Buffer }).get(key);
  return reply instanceof Uint8Array ? reply : null;
}

/** itsdangerous `Signer` (salt `flask-session`): `<sid>.<base64url HMAC-SHA1>`. */
function unsignSid(value: string, key: Buffer): string | null {
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return null;
  const sid = value.slice(0, dot);
  const expected = createHmac("sha1", key).update(sid, "latin1").digest("base64url");
  return equalBytes(Buffer.from(expected), Buffer.from(value.slice(dot + 1))) ? sid : null;
}

/** The session dict as msgpack or JSON (Flask-Session tries both, in that order), or null. */
function decodeFlaskSessionData(bytes: Uint8Array): LegacyData | null {
  let decoded: unknown;
  try {
    decoded = decodeMsgpack(bytes);
  } catch {
    try {
      decoded = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return null;
    }
  }
  const value = jsonValue(decoded);
  return isObject(value) ? value : null;
}
