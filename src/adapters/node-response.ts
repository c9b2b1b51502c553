import type { IncomingMessage, ServerResponse } from "node:http";
import { NOTHING_TO_COMMIT } from "../core/commit.ts";
import type { SessionHeaders } from "../core/cookies.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";

// Shared by the node:http and Express adapters: both hand the application a ServerResponse that
// it ends itself, so the session must be saved at that moment.
//
// `end()` is held back until the store write has finished, then the session headers are added
// and the response goes out: a failed write becomes a 503, never a success that lost data.
// A response that streams (writeHead/write before end) gets its headers when they are flushed and
// the write is awaited before end; if that write fails the connection is cut (fail closed).

export function requestInfo(req: IncomingMessage) {
  return { cookie: req.headers.cookie, userAgent: req.headers["user-agent"] };
}

export function applySessionHeaders(res: ServerResponse, headers: SessionHeaders): void {
  const existing = res.getHeader("set-cookie");
  if (existing === undefined) res.setHeader("set-cookie", headers.setCookie);
  else
    res.setHeader("set-cookie", [
      ...(Array.isArray(existing) ? existing : [String(existing)]),
      headers.setCookie,
    ]);
  res.setHeader("cache-control", headers.cacheControl);
  if (headers.clearSiteData !== null) res.setHeader("clear-site-data", headers.clearSiteData);
}

/** Answers 503 for a store that is down: the session state is unknown, so nothing may proceed. */
export function sendStoreUnavailable(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = 503;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.setHeader("retry-after", "5");
  res.end("Service Unavailable: the session store is not reachable.\n");
}

/**
 * Saves the session when the response ends. `onError` receives failures other than an unavailable
 * store (e.g. `cookie-too-large`), after the hooks are removed, so the framework's error handling
 * can answer normally.
 */
export function commitOnResponse<T extends object>(
  sessions: Sessions<T>,
  session: Session<T>,
  res: ServerResponse,
  onError: (error: unknown) => void,
): void {
  const end = res.end;
  const writeHead = res.writeHead;
  let started = false;
  let streamed: Promise<void> | null = null;

  const restore = () => {
    res.end = end;
    res.writeHead = writeHead;
  };
  const fail = (error: unknown) => {
    restore();
    if (res.headersSent) res.destroy(error instanceof Error ? error : undefined);
    else if (isLatchkeyError(error, "store-unavailable")) sendStoreUnavailable(res);
    else onError(error);
  };

  // Headers are about to be flushed before end(): streaming responses.
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!started) {
      started = true;
      try {
        const pending = sessions.prepare(session);
        if (pending.headers !== null) applySessionHeaders(res, pending.headers);
        streamed = pending.persist();
        streamed.catch(() => {}); // observed again in end()
      } catch (error) {
        restore();
        res.destroy(error instanceof Error ? error : undefined);
        return this;
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse["writeHead"];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const callEnd = () => (end as (...a: unknown[]) => ServerResponse).apply(res, args);
    if (started) {
      if (streamed === null) return callEnd();
      streamed.then(() => {
        restore();
        callEnd();
      }, fail);
      return this;
    }
    started = true;
    let pending: ReturnType<Sessions<T>["prepare"]>;
    try {
      pending = sessions.prepare(session);
    } catch (error) {
      fail(error);
      return this;
    }
    if (pending === NOTHING_TO_COMMIT) {
      // The common read-only request: nothing to wait for, end at once.
      restore();
      return callEnd();
    }
    pending.persist().then(() => {
      restore();
      if (pending.headers !== null && !res.headersSent) applySessionHeaders(res, pending.headers);
      callEnd();
    }, fail);
    return this;
  } as ServerResponse["end"];
}
