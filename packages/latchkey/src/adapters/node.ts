import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { commitOnResponse, requestInfo, sendStoreUnavailable } from "./node-response.ts";
import { openSession } from "./open-session.ts";

/** A node:http request with its session. */
export type SessionRequest<T extends object = SessionData> = IncomingMessage & {
  session: Session<T>;
};

export type SessionHandler<T extends object = SessionData> = (
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
export function sessionMiddleware<T extends object = SessionData>(
  sessions: Sessions<T>,
  handler: SessionHandler<T>,
): RequestListener {
  const internalError = (res: ServerResponse) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.statusCode = 500;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end("Internal Server Error\n");
  };

  const run = (req: IncomingMessage, res: ServerResponse, session: Session<T>) => {
    const request = req as SessionRequest<T>;
    request.session = session;
    commitOnResponse(sessions, session, res, () => internalError(res));
    let result: void | Promise<void>;
    try {
      result = handler(request, res);
    } catch {
      internalError(res);
      return;
    }
    // Any thenable the handler returns, not only a native Promise, has its failure answered.
    if (result !== undefined) Promise.resolve(result).catch(() => internalError(res));
  };
  const loadFailed = (res: ServerResponse, error: unknown) => {
    if (isLatchkeyError(error, "store-unavailable")) sendStoreUnavailable(res);
    else internalError(res);
  };

  return (req, res) =>
    openSession(
      sessions,
      requestInfo(req),
      (session) => run(req, res, session),
      (error) => loadFailed(res, error),
    );
}

// CSRF protection and step-up (issue 4) live in their own file.
export { csrfMiddleware, requireFreshAuth } from "./node-csrf.ts";
