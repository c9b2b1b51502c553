import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { freshAuthRefusalCheck } from "./fresh-auth.ts";
import { sentDeviceBoundAnswer } from "./kit/device-bound.ts";
import { answerNodeRefusal, type NodeRefusalHandler } from "./kit/node-refusal.ts";
import { appendSetCookie, commitOnResponse, requestInfo, sendAnswer } from "./kit/node-response.ts";
import { openSession } from "./kit/open-session.ts";
import { nodeCsrfRequest } from "./kit/read-node-form-body.ts";
import {
  csrfRefused,
  type Refusal,
  refusalHandlerOf,
  rememberRefusalHandler,
  STORE_UNAVAILABLE_REFUSAL,
} from "./kit/refusals.ts";

export type { NodeRefusalHandler } from "./kit/node-refusal.ts";

/** Options of the node:http `sessionMiddleware`. */
export interface NodeSessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down) are offered here first:
   * answer on `res` (e.g. an HTML page), or leave it untouched for latchkey's answer.
   */
  onRefused?: NodeRefusalHandler;
}

/** A node:http request with its session. */
export type SessionRequest<T extends SessionData = SessionData> = IncomingMessage & {
  session: Session<T>;
};

/** A node:http handler that receives `req.session`. */
export type SessionHandler<T extends SessionData = SessionData> = (
  req: SessionRequest<T>,
  res: ServerResponse,
) => void | Promise<void>;

/**
 * Wraps a plain `node:http` handler: `req.session` is loaded before it runs and saved when the
 * response ends. A handler that throws (or rejects) gets a 500 without details; a store that is
 * down gets a 503.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/node";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * createServer(sessionMiddleware(sessions, (req, res) => {
 *   const visits = (req.session.get("visits") ?? 0) + 1;
 *   req.session.set("visits", visits);
 *   res.end(`visit ${visits}`);
 * })).listen(3000);
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  handler: SessionHandler<T>,
  options: NodeSessionOptions = {},
): RequestListener {
  const onRefused = options.onRefused;
  const storeDown = (req: IncomingMessage, res: ServerResponse) =>
    answerNodeRefusal(STORE_UNAVAILABLE_REFUSAL, req, res, onRefused);
  const run = (req: IncomingMessage, res: ServerResponse, session: Session<T>) => {
    const request = req as SessionRequest<T>;
    request.session = session;
    rememberRefusalHandler(session, onRefused);
    commitOnResponse(
      sessions,
      session,
      res,
      () => sendInternalError(res),
      () => storeDown(req, res),
    );
    const refused = (refusal: Refusal) => answerNodeRefusal(refusal, req, res, onRefused);
    if (sentDeviceBoundAnswer(res, session, refused)) return;
    let result: void | Promise<void>;
    try {
      result = handler(request, res);
    } catch {
      sendInternalError(res);
      return;
    }
    // Any thenable the handler returns, not only a native Promise, has its failure answered.
    if (result !== undefined) Promise.resolve(result).catch(() => sendInternalError(res));
  };
  const loadFailed = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    if (isLatchkeyError(error, "store-unavailable")) storeDown(req, res);
    else sendInternalError(res);
  };

  return (req, res) =>
    openSession(
      sessions,
      requestInfo(req),
      (session) => run(req, res, session),
      (error) => loadFailed(req, res, error),
    );
}

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
export function csrfMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  handler: SessionHandler<T>,
  options?: CsrfOptions,
): SessionHandler<T> {
  const guard = csrfGuard(sessions, options);
  return async (req, res) => {
    guard.attach(req.session, req.headers.cookie, (line) => appendSetCookie(res, line));
    const reason = await guard.check(req.session, nodeCsrfRequest(req));
    if (reason === null) await handler(req, res);
    else answerNodeRefusal(csrfRefused(reason), req, res, refusalHandlerOf(req.session));
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
export function requireFreshAuth<T extends SessionData = SessionData>(
  maxAge: Duration,
  handler: SessionHandler<T>,
): SessionHandler<T> {
  const check = freshAuthRefusalCheck(maxAge);
  return async (req, res) => {
    const refusal = check(req.session);
    if (refusal === null) await handler(req, res);
    else answerNodeRefusal(refusal, req, res, refusalHandlerOf(req.session));
  };
}

// A failed handler's answer carries no details: they could reveal the application's internals.
function sendInternalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  sendAnswer(res, INTERNAL_ERROR);
}

const INTERNAL_ERROR = Object.freeze({
  status: 500,
  headers: Object.freeze({ "content-type": "text/plain; charset=utf-8" }),
  body: "Internal Server Error\n",
});
