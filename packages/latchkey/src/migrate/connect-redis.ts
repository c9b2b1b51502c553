import { type ExpressSessionStore, parseStoredSession } from "./express-session.ts";

/**
 * The two commands the readers need, which node-redis (v4+) and ioredis clients both have with
 * these shapes: no driver is imported, either client fits.
 */
export interface LegacyRedisClient {
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

/**
 * express-session's sessions in Redis, as connect-redis stores them: the JSON text of the session
 * under `<prefix><sid>`. Pass the node-redis or ioredis client connect-redis used.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = connectRedisSessions(client, { prefix: "sess:" });
 * ```
 */
export function connectRedisSessions(
  client: LegacyRedisClient,
  options: { prefix?: string } = {},
): ExpressSessionStore {
  const prefix = options.prefix ?? "sess:";
  return {
    async get(sid) {
      const text = await client.get(prefix + sid);
      if (text === null) return null; // Redis expired it with the session
      return parseStoredSession(text);
    },
    async destroy(sid) {
      await client.del(prefix + sid);
    },
  };
}
