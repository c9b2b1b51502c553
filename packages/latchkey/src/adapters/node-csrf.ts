import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { csrfGuard, refusalResponse } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { freshAuthCheck } from "./fresh-auth.ts";
import type { SessionHandler } from "./node.ts";
import { appendSetCookie, nodeCsrfRequest, sendJsonRefusal } from "./node-body.ts";

/**
 * CSRF protection for a plain `node:http` handler: wrap the handler, then wrap the result with
 * `sessionMiddleware`. Same rules and 403 answers as every adapter (see `CsrfOptions`). A
 * urlencoded or multipart body is read looking for `_csrf` and then handed to the handler unread.
 *
 * @example
 * ```ts
 * createServer(sessionMiddleware(sessions, csrfMiddleware(sessions, async (req, res) => {
 *   res.end(`<input type="hidden" name="_csrf" value="${req.session.csrfToken()}">`);
 * })));
 * ```
 */
export function csrfMiddleware<T extends object>(
  sessions: Sessions<T>,
  handler: SessionHandler<T>,
  options?: CsrfOptions,
): SessionHandler<T> {
  const guard = csrfGuard(sessions, options);
  return async (req, res) => {
    guard.attach(req.session, req.headers.cookie, (line) => appendSetCookie(res, line));
    const reason = await guard.check(req.session, nodeCsrfRequest(req));
    if (reason === null) await handler(req, res);
    else sendJsonRefusal(res, refusalResponse(reason));
  };
}

/**
 * Step-up guard for a `node:http` handler: runs it only if the user authenticated within
 * `maxAge`, else answers 403 `{ "error": "fresh-auth-required", "reason": … }`.
 *
 * @example
 * ```ts
 * const changeEmail = requireFreshAuth("5m", async (req, res) => { … });
 * ```
 */
export function requireFreshAuth<T extends object>(
  maxAge: Duration,
  handler: SessionHandler<T>,
): SessionHandler<T> {
  const check = freshAuthCheck(maxAge);
  return async (req, res) => {
    const refusal = check(req.session);
    if (refusal === null) await handler(req, res);
    else sendJsonRefusal(res, refusal);
  };
}
