import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { commitOnResponse, requestInfo, sendStoreUnavailable } from "./node-response.ts";
import { openSession } from "./open-session.ts";

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
export function sessionMiddleware<T extends object = SessionData>(
  sessions: Sessions<T>,
): RequestHandler {
  const attach = (req: Request, res: Response, next: NextFunction, session: Session<T>) => {
    req.session = session as unknown as Session<SessionData>;
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

// CSRF protection and step-up (issue 4) live in their own file.
export { csrfMiddleware, requireFreshAuth } from "./express-csrf.ts";
