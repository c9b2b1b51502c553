import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { attachExpressSession } from "./express-session/attach.ts";
import { type ExpressSessionCompat, latchkeySession } from "./express-session/facade.ts";
import { passportUser, type UserIdOf } from "./express-session/user-id.ts";
import { freshAuthRefusalCheck } from "./fresh-auth.ts";
import { sentDeviceBoundAnswer } from "./kit/device-bound.ts";
import {
  abandonCommit,
  appendSetCookie,
  commitOnResponse,
  requestInfo,
  sendAnswer,
  sendStoreUnavailable,
} from "./kit/node-response.ts";
import { openSession } from "./kit/open-session.ts";
import { nodeCsrfRequest } from "./kit/read-node-form-body.ts";
import {
  csrfRefused,
  type Refusal,
  RefusalError,
  refusalHandlerOf,
  rememberRefusalHandler,
  STORE_UNAVAILABLE_REFUSAL,
} from "./kit/refusals.ts";
import { sessionMissing } from "./kit/session-missing.ts";

export type { CookieView } from "./express-session/cookie-view.ts";
export type {
  ExpressSessionCompat,
  ExpressSessionMembers,
} from "./express-session/facade.ts";
export { latchkeySession } from "./express-session/facade.ts";
export { passportUser, type UserIdOf } from "./express-session/user-id.ts";
export { type Refusal, RefusalError, type RefusalKind } from "./kit/refusals.ts";

/**
 * What the Express `onRefused` option receives: the refusal, the request and response, and a
 * `next` that sends latchkey's own answer when called without an argument, and hands an error
 * to Express's error handlers when called with one (`next(new RefusalError(refusal))`).
 */
export type ExpressRefusalHandler = (
  refusal: Refusal,
  req: Request,
  res: Response,
  next: NextFunction,
) => void | Promise<void>;

/** Options of the Express `sessionMiddleware`. */
export interface ExpressSessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down) are offered here first, e.g.
   * to render an HTML page for a form post. `"next"` hands every refusal to Express's error
   * handlers as a `RefusalError` (`status`, `code` — `EBADCSRFTOKEN` for CSRF, as csurf — and
   * `reason`). Default: latchkey's own answer (JSON 403, or the 503).
   */
  onRefused?: ExpressRefusalHandler | "next";
  /**
   * `"express-session"`: `req.session` behaves as express-session's (properties, `regenerate`,
   * `save`, `destroy`, `reload`, `touch`, `cookie`, `req.sessionID`), for Passport and ported
   * apps. See `expressSessionCompat()`.
   */
  compat?: "express-session";
  /** With `compat`: where the data names the logged-in user. Default: Passport's `passport.user`. */
  userId?: UserIdOf;
}

/**
 * How `req.session` is declared. Empty by default: `req.session` is latchkey's `Session`. An app
 * that mounts `expressSessionCompat()` augments it, and `req.session` becomes
 * `ExpressSessionCompat<SessionData>` (express-session's shape), `req.sessionID` a string:
 *
 * @example
 * ```ts
 * declare module "latchkey/express" {
 *   interface ExpressRequestTypes { compat: "express-session" }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: declared empty so applications can augment it.
export interface ExpressRequestTypes {}

type Compat = ExpressRequestTypes extends { compat: "express-session" } ? true : false;

/** `req.session` as declared: latchkey's `Session`, or express-session's shape (see `ExpressRequestTypes`). */
export type RequestSession = Compat extends true
  ? ExpressSessionCompat<SessionData>
  : Session<SessionData>;

declare global {
  namespace Express {
    interface Request {
      /** The request's session, from latchkey's `sessionMiddleware`. Typed by `SessionData`. */
      session: RequestSession;
      /**
       * With `expressSessionCompat()`: the session's reference (never the token), undefined
       * until the session is first saved. Not set otherwise.
       */
      sessionID: Compat extends true ? string | undefined : undefined;
    }
  }
}

/**
 * Express middleware (Express 4 and 5): puts the session on `req.session` and saves it when the
 * response ends. A request that changes nothing writes nothing and sends no cookie. If the store
 * is unreachable the request is answered with 503 (fail closed) and a `store-unavailable` event.
 *
 * `req.session` is typed by the `SessionData` interface (augment it); `sessions` may hold any
 * data type that includes it.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/express";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * const app = express();
 * app.use(sessionMiddleware(sessions));
 * app.post("/login", async (req, res) => {
 *   // … check the password …
 *   await req.session.login(user.id);
 *   res.redirect("/");
 * });
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: ExpressSessionOptions = {},
): RequestHandler {
  const onRefused = options.onRefused;
  const userIdOf = options.userId ?? passportUser;
  const storeDown = (req: Request, res: Response, next: NextFunction) =>
    answerRefusal(STORE_UNAVAILABLE_REFUSAL, req, res, next, onRefused);
  const attach = (req: Request, res: Response, next: NextFunction, session: Session<T>) => {
    rememberRefusalHandler(session, onRefused);
    commitOnResponse(sessions, session, res, next, () => storeDown(req, res, next));
    const refused = (refusal: Refusal) => answerRefusal(refusal, req, res, next, onRefused);
    if (sentDeviceBoundAnswer(res, session, refused)) return;
    // `req.session` is declared as one shape or the other by the application (ExpressRequestTypes).
    if (options.compat !== "express-session") (req as { session: unknown }).session = session;
    else {
      // The login the data asked for failed at the end of the response: its refusal is answered
      // without a second attempt to save (which would offer it to onRefused twice).
      attachExpressSession(sessions, session, req, res, userIdOf, (error) => {
        if (!isLatchkeyError(error, "store-unavailable")) return next(error);
        abandonCommit(res);
        storeDown(req, res, next);
      });
    }
    next();
  };
  const loadFailed = (req: Request, res: Response, next: NextFunction, error: unknown) => {
    if (isLatchkeyError(error, "store-unavailable")) storeDown(req, res, next);
    else next(error);
  };

  return (req: Request, res: Response, next: NextFunction) =>
    openSession(
      sessions,
      requestInfo(req),
      (session) => attach(req, res, next, session),
      (error) => loadFailed(req, res, next, error),
    );
}

/**
 * `sessionMiddleware` with `req.session` shaped like express-session's, so Passport (0.6+, which
 * calls `req.session.regenerate()` and `save()`) and apps written for express-session run
 * unchanged: `req.session.views = 1`, `delete req.session.cart`, `regenerate(cb)`, `save(cb)`,
 * `destroy(cb)`, `reload(cb)`, `touch()`, a read-only `req.session.cookie`, and `req.sessionID`
 * (the session's reference, never the token). It is a thin view over latchkey's session: values
 * are saved as changes (no lost updates), a store that is down fails closed, and when the data
 * names a user (`userId`, default Passport's `req.session.passport.user`) latchkey logs the
 * session in: a new token, the old one destroyed, the user known to `listSessions` and
 * `revokeUser`. latchkey's own API stays on `latchkeySession(req.session)`.
 *
 * @example
 * ```ts
 * import passport from "passport";
 * import { expressSessionCompat, latchkeySession } from "latchkey/express";
 *
 * app.use(expressSessionCompat(sessions));
 * app.use(csrfMiddleware(sessions));
 * app.use(passport.session());
 * app.post("/login", passport.authenticate("local", { successRedirect: "/", failureRedirect: "/login" }));
 * app.get("/login", (req, res) => res.send(loginForm(latchkeySession(req.session).csrfToken())));
 * ```
 */
export function expressSessionCompat<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: Omit<ExpressSessionOptions, "compat"> = {},
): RequestHandler {
  return sessionMiddleware(sessions, { ...options, compat: "express-session" });
}

/** Offers `refusal` to the application's `onRefused`, else sends latchkey's answer. */
function answerRefusal(
  refusal: Refusal,
  req: Request,
  res: Response,
  next: NextFunction,
  onRefused: ExpressRefusalHandler | "next" | undefined,
): void {
  const fallback = () =>
    refusal.kind === "store-unavailable"
      ? sendStoreUnavailable(res)
      : sendAnswer(res, refusal.answer);
  if (onRefused === undefined) {
    fallback();
    return;
  }
  if (onRefused === "next") {
    next(new RefusalError(refusal));
    return;
  }
  const handled: NextFunction = (error?: unknown) =>
    error === undefined ? fallback() : next(error);
  try {
    Promise.resolve(onRefused(refusal, req, res, handled)).catch(next);
  } catch (error) {
    next(error);
  }
}

/**
 * Express CSRF protection; mount it after `sessionMiddleware`. State-changing requests must come
 * from an allowed origin (Fetch Metadata, else Origin/Referer), and form-like ones must carry
 * `req.session.csrfToken()` in a `_csrf` field or an `x-csrf-token` header. Refusals answer 403
 * with `{ "error": "csrf-refused", "reason": … }` and emit a `csrf-refused` event.
 *
 * The `_csrf` field is taken from `req.body` when a body parser ran first; otherwise the
 * middleware reads a urlencoded or multipart body itself (up to `bodyLimit`) and leaves it
 * unread for the parsers that follow.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware(sessions));
 * app.use(csrfMiddleware(sessions));
 * app.get("/login", (req, res) => {
 *   res.send(`<form method="post"><input type="hidden" name="_csrf" value="${req.session.csrfToken()}">…</form>`);
 * });
 * ```
 */
export function csrfMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): RequestHandler {
  const guard = csrfGuard(sessions, options);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.session === undefined) {
      next(sessionMissing("csrfMiddleware", "app.use(sessionMiddleware(sessions))"));
      return;
    }
    const session = latchkeySession<SessionData>(req.session);
    guard.attach(session, req.headers.cookie, (line) => appendSetCookie(res, line));
    const parsedFormField = () => {
      const body: unknown = req.body;
      return body !== null && typeof body === "object"
        ? (body as Record<string, unknown>)._csrf
        : undefined;
    };
    guard.check(session, nodeCsrfRequest(req, parsedFormField)).then((reason) => {
      if (reason === null) next();
      else answerRefusal(csrfRefused(reason), req, res, next, refusalHandlerOf(session));
    }, next);
  };
}

/**
 * Step-up guard: lets the request through only if the user authenticated within `maxAge`;
 * otherwise 403 with `{ "error": "fresh-auth-required", "reason": "not-authenticated" |
 * "reauthentication-required", "maxAge": seconds }`. After the user re-enters their password,
 * call `await req.session.reauthenticate()`.
 *
 * @example
 * ```ts
 * app.post("/account/email", requireFreshAuth("5m"), changeEmail);
 * ```
 */
export function requireFreshAuth(maxAge: Duration): RequestHandler {
  const check = freshAuthRefusalCheck(maxAge);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.session === undefined) {
      next(sessionMissing("requireFreshAuth", "app.use(sessionMiddleware(sessions))"));
      return;
    }
    const session = latchkeySession<SessionData>(req.session);
    const refusal = check(session);
    if (refusal === null) next();
    else answerRefusal(refusal, req, res, next, refusalHandlerOf(session));
  };
}
