import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { csrfGuard, refusalResponse } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { freshAuthCheck } from "./fresh-auth.ts";
import { appendSetCookie, nodeCsrfRequest, sendJsonRefusal } from "./node-body.ts";

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
export function csrfMiddleware<T extends object>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): RequestHandler {
  const guard = csrfGuard(sessions, options);
  return (req: Request, res: Response, next: NextFunction) => {
    const session = req.session;
    if (session === undefined) {
      next(new TypeError("latchkey: mount sessionMiddleware(sessions) before csrfMiddleware"));
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
      else sendJsonRefusal(res, refusalResponse(reason));
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
    const refusal = check(req.session);
    if (refusal === null) next();
    else sendJsonRefusal(res, refusal);
  };
}
