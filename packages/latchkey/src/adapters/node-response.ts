import type { IncomingMessage, ServerResponse } from "node:http";
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

// The hooks are two shared functions, and what they need travels on the response under a symbol:
// no closures are made per request, and every hooked response has the same shape.
const HOOK = Symbol("latchkey.commit");

interface Hook {
  readonly sessions: Sessions<object>;
  readonly session: Session<object>;
  readonly end: ServerResponse["end"];
  readonly writeHead: ServerResponse["writeHead"];
  readonly onError: (error: unknown) => void;
  /** Session headers were applied (at writeHead, or at end). */
  started: boolean;
  /** The store write begun at writeHead, for a response that streams. */
  streamed: Promise<void> | null;
}

type HookedResponse = ServerResponse & { [HOOK]: Hook };

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
  const hooked = res as HookedResponse;
  hooked[HOOK] = {
    sessions: sessions as unknown as Sessions<object>,
    session: session as Session<object>,
    end: res.end,
    writeHead: res.writeHead,
    onError,
    started: false,
    streamed: null,
  };
  res.writeHead = hookedWriteHead as ServerResponse["writeHead"];
  res.end = hookedEnd as ServerResponse["end"];
}

function restore(res: ServerResponse, hook: Hook): void {
  res.end = hook.end;
  res.writeHead = hook.writeHead;
}

function fail(res: HookedResponse, hook: Hook, error: unknown): void {
  restore(res, hook);
  if (res.headersSent) res.destroy(error instanceof Error ? error : undefined);
  else if (isLatchkeyError(error, "store-unavailable")) sendStoreUnavailable(res);
  else hook.onError(error);
}

// Headers are about to be flushed before end(): a streaming response.
function hookedWriteHead(this: HookedResponse, ...args: unknown[]): ServerResponse {
  const hook = this[HOOK];
  if (!hook.started) {
    hook.started = true;
    try {
      const pending = hook.sessions.prepare(hook.session);
      if (pending.headers !== null) applySessionHeaders(this, pending.headers);
      if (pending.writes) {
        hook.streamed = pending.persist();
        hook.streamed.catch(() => {}); // observed again in end()
      }
    } catch (error) {
      restore(this, hook);
      this.destroy(error instanceof Error ? error : undefined);
      return this;
    }
  }
  return (hook.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
}

function hookedEnd(this: HookedResponse, ...args: unknown[]): ServerResponse {
  const hook = this[HOOK];
  const callEnd = () => (hook.end as (...a: unknown[]) => ServerResponse).apply(this, args);
  if (hook.started) {
    const streamed = hook.streamed;
    if (streamed === null) {
      restore(this, hook);
      return callEnd();
    }
    streamed.then(
      () => {
        restore(this, hook);
        callEnd();
      },
      (error: unknown) => fail(this, hook, error),
    );
    return this;
  }
  hook.started = true;
  let pending: ReturnType<Sessions<object>["prepare"]>;
  try {
    pending = hook.sessions.prepare(hook.session);
  } catch (error) {
    fail(this, hook, error);
    return this;
  }
  if (!pending.writes) {
    // Nothing to wait for (a read-only request, a sealed cookie): end at once.
    restore(this, hook);
    if (pending.headers !== null) applySessionHeaders(this, pending.headers);
    return callEnd();
  }
  pending.persist().then(
    () => {
      restore(this, hook);
      if (pending.headers !== null && !this.headersSent) applySessionHeaders(this, pending.headers);
      callEnd();
    },
    (error: unknown) => fail(this, hook, error),
  );
  return this;
}
