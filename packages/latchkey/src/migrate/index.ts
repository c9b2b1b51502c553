/**
 * `latchkey/migrate`: move a running app's users from express-session (connect-redis,
 * connect-pg-simple), cookie-session, Flask's cookie sessions or Flask-Session to latchkey
 * without logging anyone out. Wrap the sessions with `withMigration` and a legacy reader: each
 * request that carries a valid legacy cookie and no latchkey session is moved over once.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/express";
 * import { cookieSessionReader, withMigration } from "latchkey/migrate";
 *
 * const sessions = withMigration(createSessions({ secrets: [process.env.SESSION_SECRET!] }), {
 *   from: cookieSessionReader({ keys: [process.env.COOKIE_SESSION_KEY!] }),
 * });
 * app.use(sessionMiddleware(sessions));
 * ```
 *
 * @packageDocumentation
 */

export { connectPgSessions, type LegacyPgClient } from "./connect-pg-simple.ts";
export { connectRedisSessions, type LegacyRedisClient } from "./connect-redis.ts";
export { type CookieSessionReaderOptions, cookieSessionReader } from "./cookie-session.ts";
export {
  type ExpressSessionReaderOptions,
  type ExpressSessionStore,
  expressSessionReader,
  unsignExpressSessionId,
} from "./express-session.ts";
export { type FlaskCookieReaderOptions, flaskCookieReader } from "./flask-cookie.ts";
export { flaskLoginUser } from "./flask-mapping.ts";
export {
  type FlaskSessionRedisReaderOptions,
  flaskSessionRedisReader,
  type LegacyRedisBytesClient,
} from "./flask-session-redis.ts";
export { type LegacyData, type LegacyMapping, passportUser } from "./mapping.ts";
export type { LegacyLookup, LegacyReader, LegacySession } from "./reader.ts";
export { type MigrationOptions, withMigration } from "./with-migration.ts";
