import type { PendingCommit, SessionHeaders } from "../core/commit.ts";
import type { RequestInfo, Sessions } from "../core/engine.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";
import { storeFailureCause } from "../core/store-failure-cause.ts";
import { expiringLegacyCookies } from "./expire-legacy.ts";
import { legacyCookies } from "./legacy-cookies.ts";
import type { LegacyLookup, LegacyReader, LegacySession } from "./reader.ts";

export interface MigrationOptions {
  /** Where legacy sessions come from: `expressSessionReader`, `cookieSessionReader`, `flaskCookieReader`, … */
  from: LegacyReader;
  /** Path and Domain the legacy cookie was set with (it is only removed by a cookie of the same ones). Default path `/`, no domain. */
  legacyCookie?: { path?: string; domain?: string };
  /**
   * More legacy cookies to expire when a session moves, never read (with `legacyCookie`'s path
   * and domain), next to the reader's own companions (the Flask readers': `remember_token`).
   */
  alsoExpire?: readonly string[];
}

/**
 * What the commit of a request with legacy cookies adds: the legacy cookies expired, and for a
 * migrated one the record retired.
 */
interface Migrated {
  expire: readonly string[];
  retire: (() => Promise<void>) | undefined;
}

/**
 * Sessions that take over a legacy framework's sessions, one request at a time. A request that
 * carries no latchkey session but a legacy cookie has that cookie verified by `from` (with the
 * legacy secret); a valid one becomes a latchkey session — its data, its user logged in — whose
 * cookie goes out with the legacy cookies expired. A legacy cookie that does not verify is never
 * imported: the request stays anonymous and a `tampered` event is emitted. Requests without a
 * legacy cookie take the usual path, untouched. A legacy cookie next to latchkey's (valid or
 * not) is never read, and is expired with the next response that sets a cookie.
 *
 * Every adapter (`latchkey/express`, `/fastify`, `/hono`, `/node`, `/fetch`) works with the
 * result as with the sessions it wraps. Pass the result, not `sessions`, to the middleware.
 * A `__Secure-` or `__Host-` legacy cookie is expired with `Secure`, as browsers demand. Throws
 * `cookie-name-invalid` when a legacy cookie has latchkey's cookie name (rename latchkey's).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/express";
 * import { connectRedisSessions, expressSessionReader, withMigration } from "latchkey/migrate";
 *
 * const legacyRedis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const sessions = withMigration(createSessions({ secrets: [process.env.SESSION_SECRET!] }), {
 *   from: expressSessionReader({
 *     secrets: [process.env.EXPRESS_SESSION_SECRET!],
 *     store: connectRedisSessions(legacyRedis),
 *   }),
 * });
 * app.use(sessionMiddleware(sessions));
 * ```
 */
export function withMigration<T extends object>(
  sessions: Sessions<T>,
  options: MigrationOptions,
): Sessions<T> {
  const reader = options.from;
  const names = reader.cookieNames;
  // Companions are only expired: they are not among the names read, so never "ambiguous" either.
  const expired = new Set([
    ...names,
    ...(reader.companionCookieNames ?? []),
    ...(options.alsoExpire ?? []),
  ]);
  const expire = expiringLegacyCookies([...expired], sessions.cookieName, options.legacyCookie);
  const migrated = new WeakMap<Session<T>, Migrated>();

  function open(request: RequestInfo): Session<T> | Promise<Session<T>> {
    const opened = sessions.open(request);
    const cookies = legacyCookies(request.cookie, names);
    if (cookies === undefined) return opened;
    const holdsLatchkeyCookie = legacyCookies(request.cookie, [sessions.cookieName]) !== undefined;
    return Promise.resolve(opened).then((session) => {
      if (!session.isNew || holdsLatchkeyCookie) {
        // latchkey's cookie, valid or not (ended, revoked, rotated out), is only ever set after
        // the browser moved over or signed in anew: a legacy cookie next to it is a leftover (an
        // old instance still serving during a rolling deploy) or a plant, never read. Importing
        // it would undo a revocation, or put another user's session over this one. It is
        // expired by the next response that sets a cookie (the logout's at the latest).
        migrated.set(session, { expire, retire: undefined });
        return session;
      }
      if (cookies === "ambiguous") {
        sessions.emit({ type: "tampered", reason: "ambiguous-cookie" });
        return session;
      }
      return readLegacy(reader, cookies, sessions).then(async (found) => {
        if (found.outcome === "refused") sessions.emit({ type: "tampered", reason: found.reason });
        if (found.outcome !== "found") return session;
        await importInto(session, found.session);
        migrated.set(session, { expire, retire: found.session.retire?.bind(found.session) });
        return session;
      });
    });
  }

  function prepare(session: Session<T>): PendingCommit {
    const pending = sessions.prepare(session);
    const done = migrated.get(session);
    return done === undefined ? pending : withLegacyRemoved(sessions, pending, done);
  }

  return {
    ...sessions,
    open,
    load: async (request) => open(request),
    prepare,
    async commit(session) {
      const pending = prepare(session);
      await pending.persist();
      return pending.headers;
    },
  };
}

/**
 * The reader's answer; a legacy store that fails (Redis or PostgreSQL down) is `store-unavailable`
 * like latchkey's own (a 503 in every adapter, never a raw driver error and a 500), reported by a
 * safe code only: drivers put keys, here the legacy session id, into their messages.
 */
async function readLegacy<T extends object>(
  reader: LegacyReader,
  cookies: ReadonlyMap<string, string>,
  sessions: Sessions<T>,
): Promise<LegacyLookup> {
  try {
    return await reader.read(cookies);
  } catch (error) {
    const cause = storeFailureCause(error);
    sessions.emit({ type: "store-unavailable", reason: "migrate-read", cause });
    throw new LatchkeyError(
      "store-unavailable",
      `The legacy session store failed while reading a session to migrate (cause: ${cause}).`,
      { cause: error },
    );
  }
}

/** Logs the legacy user in and copies the data: the login starts the session empty, so data comes after. */
async function importInto<T extends object>(session: Session<T>, legacy: LegacySession) {
  if (legacy.userId !== null) await session.login(legacy.userId);
  // The legacy keys are the application's own (each reader's `data` option renames them); the
  // session type cannot know them, so they are set through its untyped view.
  const untyped = session as unknown as Session<Record<string, unknown>>;
  for (const [key, value] of Object.entries(legacy.data)) {
    if (value !== undefined) untyped.set(key, value);
  }
  if (legacy.persistent) session.persistent = true;
}

/**
 * The migrated request's commit: the legacy record is retired only once the latchkey session is
 * stored (a failed write leaves the user their legacy session), and the legacy cookies expire
 * with the response that sets latchkey's. A legacy store that fails to delete is reported, not
 * fatal: the browser drops the legacy cookie anyway.
 */
function withLegacyRemoved<T extends object>(
  sessions: Sessions<T>,
  pending: PendingCommit,
  { expire, retire }: Migrated,
): PendingCommit {
  return {
    get headers(): SessionHeaders | null {
      const headers = pending.headers;
      if (headers === null) return null;
      return { ...headers, alsoSetCookie: [...(headers.alsoSetCookie ?? []), ...expire] };
    },
    writes: pending.writes || retire !== undefined,
    async persist() {
      await pending.persist();
      if (retire === undefined || pending.headers === null) return;
      await retire().catch(() =>
        sessions.emit({ type: "store-unavailable", reason: "migrate-retire" }),
      );
    },
  };
}
