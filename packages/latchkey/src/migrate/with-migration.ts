import type { PendingCommit, SessionHeaders } from "../core/commit.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import type { RequestInfo, Sessions } from "../core/engine.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";
import { storeFailureCause } from "../core/store-failure-cause.ts";
import type { Store } from "../stores/types.ts";
import { expiringLegacyCookies } from "./expire-legacy.ts";
import { legacyCookies } from "./legacy-cookies.ts";
import { type LegacyMarks, legacyMarks } from "./legacy-marks.ts";
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
  /**
   * Where imports and revocations are remembered. Default: latchkey's own store (the one given to
   * `createSessions`, or `cookieStore`'s revocation store). Each imported legacy cookie is
   * remembered there (a SHA-256 of it, never the cookie), so a copy is never imported again, and
   * `revokeUser`/`revokeOthers`/`revokeAll` of the sessions returned also refuse the legacy
   * cookies of those users issued before. `false` turns this off: a copy of a signed legacy cookie
   * (Flask's, cookie-session's) then signs its user in again until it expires.
   */
  marks?: Store | false;
  /**
   * How long those marks are remembered: until a legacy cookie issued before them can no longer
   * verify. Default and minimum: the reader's `maxAgeMs` (Flask's `maxAge`); for a format with
   * no expiry of its own (cookie-session) 90 days: set it to the time until the legacy keys are
   * removed (step 4 of the cutover).
   */
  rememberFor?: Duration;
}

/** How long marks live when the legacy format has no expiry and `rememberFor` is not given. */
const NO_EXPIRY_REMEMBER_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * What the commit of a request with legacy cookies adds: the legacy cookies expired, and for a
 * migrated one the record retired.
 */
interface Migrated {
  expire: readonly string[];
  retire: (() => Promise<void>) | undefined;
  /** Expire the legacy cookies even when latchkey sets no cookie (a replayed legacy cookie). */
  always?: boolean;
}

/**
 * Sessions that take over a legacy framework's sessions, one request at a time. A request that
 * carries no latchkey session but a legacy cookie has that cookie verified by `from` (with the
 * legacy secret); a valid one becomes a latchkey session — its data, its user logged in — whose
 * cookie goes out with the legacy cookies expired. A legacy cookie that does not verify is never
 * imported: the request stays anonymous and a `tampered` event is emitted. With `marks`, each
 * legacy cookie moves at most once and the revocation methods reach legacy cookies issued before
 * them (docs/migrating.md says what remains: one round trip where two requests may both import).
 * Requests without a legacy cookie take the usual path, untouched. A legacy cookie next to
 * latchkey's (valid or not) is never read, and is expired with the next response that sets a
 * cookie.
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
  const marks = marksOf(options, sessions);
  // latchkey's own store (the default) is the engine's fail-closed one: it reports its failures.
  const marksReportFailures = options.marks === undefined;

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
        const value = cookies.get(names[0] as string) as string;
        if (
          marks !== undefined &&
          !(await claimImport(marks, value, found.session, sessions, marksReportFailures))
        ) {
          migrated.set(session, { expire, retire: undefined, always: true });
          return session;
        }
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

  // Revocations also reach legacy cookies not imported yet: the mark goes first, so a legacy
  // import racing the revocation finds it, and a sealed session's own mark (written next, same
  // key) stays the later one (`revokeOthers` keeps the current session alive past that one).
  const revocations: Partial<Pick<Sessions<T>, "revokeUser" | "revokeOthers" | "revokeAll">> =
    marks === undefined
      ? {}
      : {
          async revokeUser(userId) {
            await marks.markRevoked(`u:${userId}`);
            return sessions.revokeUser(userId);
          },
          async revokeOthers(session) {
            const userId = session.userId;
            if (userId !== null) await marks.markRevoked(`u:${userId}`);
            return sessions.revokeOthers(session);
          },
          async revokeAll() {
            await marks.markRevoked("*");
            return sessions.revokeAll();
          },
        };

  return {
    ...sessions,
    ...revocations,
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

function marksOf<T extends object>(
  options: MigrationOptions,
  sessions: Sessions<T>,
): LegacyMarks | undefined {
  // By default the marks live in latchkey's own store; `marks: false` turns them off.
  const store = options.marks === false ? undefined : (options.marks ?? sessions.markStore);
  if (store === undefined) return undefined;
  const least = options.from.maxAgeMs;
  const given =
    options.rememberFor === undefined
      ? undefined
      : parseDuration(options.rememberFor, "rememberFor");
  const rememberMs = Math.max(given ?? least ?? NO_EXPIRY_REMEMBER_MS, least ?? 0);
  return legacyMarks(store, rememberMs, sessions.now);
}

/**
 * Checks the legacy cookie against latchkey's marks and, when it may move, marks it imported at
 * once: false for a cookie imported before or revoked (an `unknown-id` event, reason
 * `legacy-replayed`). The check and the mark are two round trips, not one atomic step: two
 * requests with the same cookie that both check before either marks both import (see
 * docs/migrating.md). A store that fails is `store-unavailable`, as in `readLegacy`.
 */
async function claimImport<T extends object>(
  marks: LegacyMarks,
  value: string,
  legacy: LegacySession,
  sessions: Sessions<T>,
  marksReportFailures: boolean,
): Promise<boolean> {
  const key = marks.keyOf(value);
  try {
    if (await marks.refuses(key, legacy)) {
      sessions.emit({
        type: "unknown-id",
        ref: key.slice(2),
        reason: "legacy-replayed",
        ...(legacy.userId === null ? {} : { userId: legacy.userId }),
      });
      return false;
    }
    // Marked before the import, not at its commit: the window for a second import is this one
    // round trip, not the whole request. A request that fails after this point leaves its user to
    // sign in again; it never leaves the cookie importable twice.
    await marks.markImported(key, legacy);
    return true;
  } catch (error) {
    // latchkey's own store fails closed already (its event is emitted); a store given as `marks`
    // is reported here, whatever it threw (a store may throw store-unavailable itself).
    if (marksReportFailures && error instanceof LatchkeyError && error.code === "store-unavailable")
      throw error;
    const cause = storeFailureCause(error);
    sessions.emit({ type: "store-unavailable", reason: "migrate-mark", cause });
    throw new LatchkeyError(
      "store-unavailable",
      `latchkey's store failed while checking a legacy cookie to migrate (cause: ${cause}).`,
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
  { expire, retire, always }: Migrated,
): PendingCommit {
  return {
    get headers(): SessionHeaders | null {
      const headers = pending.headers;
      if (headers === null) {
        // A refused legacy cookie would be looked up again on every request: the browser drops it.
        if (always !== true || expire.length === 0) return null;
        const [first, ...rest] = expire as [string, ...string[]];
        return {
          setCookie: first,
          alsoSetCookie: rest,
          cacheControl: "no-store",
          clearSiteData: null,
        };
      }
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
