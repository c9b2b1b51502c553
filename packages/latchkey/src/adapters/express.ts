import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { freshAuthCheck } from "./fresh-auth.ts";
import { csrfRefusal } from "./kit/answers.ts";
import {
  appendSetCookie,
  commitOnResponse,
  requestInfo,
  sendAnswer,
  sendStoreUnavailable,
} from "./kit/node-response.ts";
import { openSession } from "./kit/open-session.ts";
import { nodeCsrfRequest } from "./kit/read-node-form-body.ts";
import { sessionMissing } from "./kit/session-missing.ts";

declare global {
  namespace Express {
    interface Request {
      /** The request's session, from latchkey's `sessionMiddleware`. Typed by `SessionData`. */
      session: Session<SessionData>;
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
): RequestHandler {
  const attach = (req: Request, res: Response, next: NextFunction, session: Session<T>) => {
    req.session = session;
    commitOnResponse(sessions, session, res, next);
    next();
  };
  const loadFailed = (res: Response, next: NextFunction, error: unknown) => {
    if (isLatchkeyError(error, "store-unavailable")) sendStoreUnavailable(res);
    else next(error);
  };

  return (req: Request, res: Response, next: NextFunction) =>
    openSession(
      sessions,
      requestInfo(req),
      (session) => attach(req, res, next, session),
      (error) => loadFailed(res, next, error),
    );
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
    const session: Session<SessionData> | undefined = req.session;
    if (session === undefined) {
      next(sessionMissing("csrfMiddleware", "app.use(sessionMiddleware(sessions))"));
      return;
    }
    guard.attach(session, req.headers.cookie, (line) => appendSetCookie(res, line));
    const parsedFormField = () => {
      const body: unknown = req.body;
      return body !== null && typeof body === "object"
        ? (body as Record<string, unknown>)._csrf
        : undefined;
    };
    guard.check(session, nodeCsrfRequest(req, parsedFormField)).then((reason) => {
      if (reason === null) next();
      else sendAnswer(res, csrfRefusal(reason));
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
  const check = freshAuthCheck(maxAge);
  return (req: Request, res: Response, next: NextFunction) => {
    const session: Session<SessionData> | undefined = req.session;
    if (session === undefined) {
      next(sessionMissing("requireFreshAuth", "app.use(sessionMiddleware(sessions))"));
      return;
    }
    const refusal = check(session);
    if (refusal === null) next();
    else sendAnswer(res, refusal);
  };
}
