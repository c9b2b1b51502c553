import type { SerializeOptions } from "cookie";
import { type CsrfTokens, csrfTokens } from "../csrf/tokens.ts";
import { setDeviceBoundAnswer } from "../dbsc/answers.ts";
import { type DeviceBoundFlow, deviceBoundFlow } from "../dbsc/flow.ts";
import { resolveDeviceBound } from "../dbsc/options.ts";
import type { Store } from "../stores/types.ts";
import type { PendingCommit, SessionHeaders } from "./commit.ts";
import { type ResolvedConfig, resolveConfig } from "./config.ts";
import { cookieSessions } from "./cookie-sessions.ts";
import { readSessionCookie } from "./cookies.ts";
import { LatchkeyError } from "./errors.ts";
import type { SessionEvent } from "./events.ts";
import { failClosed } from "./fail-closed.ts";
import type { SessionMode } from "./mode.ts";
import type { SessionsOptions } from "./options.ts";
import { type CheckOptions, checkStore, type Readiness } from "./readiness.ts";
import { cookieRevocation, type Revocation, serverRevocation } from "./revocation.ts";
import { serverSessions } from "./server-sessions.ts";
import { Session, type SessionData, stateOfSession } from "./session.ts";
import type { SessionInfo } from "./session-info.ts";
import type { RequestState } from "./state.ts";
import { timedStore } from "./telemetry.ts";

/**
 * What an adapter reads from a request. latchkey's core never sees a request object.
 *
 * @example
 * ```ts
 * const session = await sessions.load({
 *   cookie: req.headers.cookie,
 *   userAgent: req.headers["user-agent"],
 * });
 * ```
 */
export interface RequestInfo {
  /** The raw `Cookie` header. */
  cookie?: string | null | undefined;
  /** The `User-Agent` header, kept as session metadata for "your devices" lists. */
  userAgent?: string | null | undefined;
  /** The method; read only with `deviceBound` (its endpoints answer POST). */
  method?: string | undefined;
  /** The request target (path and query, or an absolute URL); read only with `deviceBound`. */
  url?: string | undefined;
  /** Reads a request header by lower-case name; read only with `deviceBound` (the DBSC headers). */
  header?: ((name: string) => string | null | undefined) | undefined;
}

/**
 * The session engine `createSessions()` returns. Adapters drive it; applications mostly use
 * `req.session`, and call the revocation methods here.
 *
 * @example
 * ```ts
 * app.post("/account/password", async (req, res) => {
 *   await changePassword(req.session.userId!, req.body.password);
 *   await sessions.revokeOthers(req.session); // every other device is logged out
 *   res.redirect("/account");
 * });
 * ```
 */
export interface Sessions<T extends object = SessionData> {
  /** The session for a request. Never throws for hostile cookies (that is "no session" plus an event); throws `store-unavailable` when the store fails. */
  load(request: RequestInfo): Promise<Session<T>>;
  /**
   * @internal `load` for adapters: the session itself when it could be loaded without waiting
   * (a sealed cookie, no revocation store), so the request goes on without a promise hop.
   */
  open(request: RequestInfo): Session<T> | Promise<Session<T>>;
  /** What the response needs: headers now, store writes in `persist()`. May throw `cookie-too-large`. */
  prepare(session: Session<T>): PendingCommit;
  /** `prepare` and `persist` in one step, for adapters that can wait before sending headers. */
  commit(session: Session<T>): Promise<SessionHeaders | null>;
  /** The user's live sessions, newest activity first; `current` marks the asking session. Server stores only. */
  listSessions(userId: string, current?: Session<T>): Promise<SessionInfo[]>;
  /** Ends one session by its reference (from `listSessions`). Resolves false if there was none. */
  revoke(ref: string): Promise<boolean>;
  /** Ends every session of a user (account disabled, password reset: ASVS 5.0 7.4.2). */
  revokeUser(userId: string): Promise<number>;
  /**
   * Ends every other session of the session's user (ASVS 5.0 7.4.3) and every copy of this
   * session's cookie: this session goes on under a new credential, which the current response
   * carries (commit it as usual). Resolves to how many other sessions a server store removed
   * (sealed cookie sessions: 0, they are ended by a revocation mark and cannot be counted).
   * Rejects with `not-authenticated` for an anonymous session, `session-revoked` when this
   * session was itself revoked meanwhile, and `not-supported` for sealed cookies without a
   * revocation store.
   *
   * @example
   * ```ts
   * await sessions.revokeOthers(req.session); // after a password change
   * ```
   */
  revokeOthers(session: Session<T>): Promise<number>;
  /** Ends every session of every user: incident response. */
  revokeAll(): Promise<void>;
  /**
   * A readiness probe for health endpoints: one cheap round trip to the store (its `ping()` when
   * it has one). Never throws: `{ ok: false, cause }` says why (`ECONNREFUSED`, `NOAUTH`,
   * `timeout`, …). Sealed cookie sessions without a revocation store need no store: always ok.
   *
   * @example
   * ```ts
   * app.get("/healthz", async (_req, res) => {
   *   const health = await sessions.check({ timeout: 1000 });
   *   res.status(health.ok ? 200 : 503).json(health);
   * });
   * ```
   */
  check(options?: CheckOptions): Promise<Readiness>;
  /** Reports an event through `onEvent` (adapters use it, e.g. for CSRF refusals). */
  emit(event: Omit<SessionEvent, "at">): void;
  /** @internal Issues and verifies CSRF tokens with these sessions' keys (the CSRF middleware uses it). */
  readonly csrf: CsrfTokens;
  /** The session cookie's name. */
  readonly cookieName: string;
  /** @internal The session cookie's attributes (the express-session compat layer shows them). */
  readonly cookieAttributes: Readonly<SerializeOptions>;
  /**
   * @internal What adapters put in `Cache-Control` of an authenticated session's responses that
   * set no cookie, or null (the `authenticatedCacheControl` option).
   */
  readonly authenticatedCacheControl: "no-store" | null;
  /**
   * @internal Where revocation marks can be kept: the server store, or the sealed mode's
   * revocation store (undefined when there is none). latchkey/migrate remembers imports there.
   */
  readonly markStore: Store | undefined;
  /** @internal The configured clock (ms since the epoch). */
  readonly now: () => number;
  /** Closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the session engine. Options are resolved and checked once, here: an insecure or
 * inconsistent configuration throws a `LatchkeyError` whose message names the fix.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/express";
 *
 * const sessions = createSessions<{ cart: string[] }>({
 *   secrets: [process.env.SESSION_SECRET!],
 *   idleTimeout: "30m",
 *   absoluteTimeout: "12h",
 * });
 * const app = express();
 * app.use(sessionMiddleware(sessions));
 * ```
 */
export function createSessions<T extends object = SessionData>(
  options: SessionsOptions,
): Sessions<T> {
  const config: ResolvedConfig = resolveConfig(options);
  const { mode, revocation, guarded } = modeFor(config);
  const csrf = csrfTokens(config.keys);
  const deviceBound = deviceBoundOf(options, config, guarded);

  function stateOf(session: Session<T>): RequestState {
    const state = stateOfSession(session, mode);
    if (state === undefined) {
      throw new LatchkeyError(
        "session-foreign",
        "This session was loaded by another createSessions() instance; pass each session back to the sessions that loaded it.",
      );
    }
    return state;
  }

  function open(request: RequestInfo): Session<T> | Promise<Session<T>> {
    const state = mode.begin(request.userAgent ?? null);
    const value = readSessionCookie(config, request.cookie);
    const loading = value === undefined ? undefined : mode.load(state, value);
    if (deviceBound !== null) {
      return loading === undefined
        ? inspected(deviceBound, state, request)
        : loading.then(() => inspected(deviceBound, state, request));
    }
    if (loading === undefined) return new Session<T>(state, mode, csrf);
    return loading.then(() => new Session<T>(state, mode, csrf));
  }

  // With deviceBound: the session, and the answer latchkey gives instead of the application.
  function inspected(
    flow: DeviceBoundFlow,
    state: RequestState,
    request: RequestInfo,
  ): Session<T> | Promise<Session<T>> {
    const session = new Session<T>(state, mode, csrf);
    const answer = flow.inspect(state, request);
    if (answer === null) return session;
    if (!(answer instanceof Promise)) {
      setDeviceBoundAnswer(session, answer);
      return session;
    }
    return answer.then((settled) => {
      if (settled !== null) setDeviceBoundAnswer(session, settled);
      return session;
    });
  }

  function prepare(session: Session<T>): PendingCommit {
    const state = stateOf(session);
    return deviceBound === null
      ? mode.prepare(state)
      : deviceBound.prepare(state, () => mode.prepare(state));
  }

  return {
    cookieName: config.cookieName,
    cookieAttributes: config.cookieAttributes,
    authenticatedCacheControl: config.authenticatedCacheControl,
    // The fail-closed, timed store the engine itself uses: its failures are reported once.
    markStore: guarded,
    now: config.now,

    load: async (request) => open(request),
    open,

    prepare,

    async commit(session) {
      const pending = prepare(session);
      await pending.persist();
      return pending.headers;
    },

    // Async, so a foreign session rejects like every other failure of these methods.
    listSessions: async (userId, current) =>
      revocation.listSessions(userId, current === undefined ? undefined : stateOf(current)),
    revoke: (ref) => revocation.revoke(ref),
    revokeUser: (userId) => revocation.revokeUser(userId),
    revokeOthers: async (session) => revocation.revokeOthers(stateOf(session)),
    revokeAll: () => revocation.revokeAll(),
    check: (options) =>
      checkStore(config.store.kind === "server" ? config.store : config.store.revocation, options),
    // Stamped with the configured clock, like every event the engine emits itself.
    emit: (event) => config.emit({ ...event, at: config.now() }),
    csrf,

    async close() {
      const store = config.store;
      if (store.kind === "server") await store.close?.();
    },
  };
}

/**
 * The configured mode and its revocation, over stores wrapped once to fail closed. Typed with the
 * base request state: a state only ever reaches the mode that began it (`stateOfSession` checks
 * that the session's lifecycle is this mode), so each mode receives its own kind of state.
 */
function modeFor(config: ResolvedConfig): {
  mode: SessionMode<RequestState>;
  revocation: Revocation<RequestState>;
  /** The server store (or a sealed setup's revocation store), wrapped to fail closed. */
  guarded: Store | undefined;
} {
  const store = config.store;
  if (store.kind === "server") {
    const guarded = failClosed(timedStore(store, config.observability.metrics), config);
    const mode = serverSessions(config, guarded);
    return {
      mode: mode as SessionMode<RequestState>,
      revocation: serverRevocation(config, guarded, mode) as Revocation<RequestState>,
      guarded,
    };
  }
  const marks =
    store.revocation === undefined
      ? undefined
      : failClosed(timedStore(store.revocation, config.observability.metrics), config);
  const mode = cookieSessions(config, marks);
  return {
    mode: mode as SessionMode<RequestState>,
    revocation: cookieRevocation(config, marks, mode) as Revocation<RequestState>,
    guarded: marks,
  };
}

/** The DBSC flow when `deviceBound` is set; its challenges live in the (fail-closed) store. */
function deviceBoundOf(
  options: SessionsOptions,
  config: ResolvedConfig,
  store: Store | undefined,
): DeviceBoundFlow | null {
  const dbsc = resolveDeviceBound(options.deviceBound, config);
  // resolveDeviceBound refuses a setup without a store, so `store` is set whenever dbsc is.
  return dbsc === null || store === undefined
    ? null
    : deviceBoundFlow(dbsc, store, config.now, config.emit);
}
