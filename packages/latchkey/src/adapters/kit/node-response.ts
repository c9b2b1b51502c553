import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionHeaders } from "../../core/cookies.ts";
import type { RequestInfo, Sessions } from "../../core/engine.ts";
import { isLatchkeyError, LatchkeyError } from "../../core/errors.ts";
import type { Session } from "../../core/session.ts";
import { type Answer, STORE_UNAVAILABLE } from "./answers.ts";
import { addResponseHeaders, endRequest, type ResponseEnd } from "./end-of-request.ts";
import { liftWriteHeadHeaders } from "./write-head-headers.ts";

// Shared by the node:http and Express adapters: both hand the application a ServerResponse that
// it ends itself, so the session must be saved at that moment.
//
// `end()` is held back until the store write has finished, then the session headers are added
// and the response goes out (see end-of-request.ts). A response that streams (writeHead/write
// before end) gets its headers when they are flushed and the write is awaited before end; if
// that write fails the connection is cut (fail closed). Headers passed to writeHead itself are
// set on the response first (write-head-headers.ts), so the session's headers are added last.

export function requestInfo(req: IncomingMessage): RequestInfo {
  return {
    cookie: req.headers.cookie,
    userAgent: req.headers["user-agent"],
    method: req.method,
    // Express strips a mount path from req.url; the DBSC endpoints are matched on the full path.
    url: (req as { originalUrl?: string }).originalUrl ?? req.url,
    header: (name) => joinedHeader(req.headers[name]),
  };
}

/** Writes `answer` as the whole response. */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name] as string);
  res.end(answer.body);
}

/** Answers 503 for a store that is down, dropping every header set so far (cookies included). */
export function sendStoreUnavailable(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  sendAnswer(res, STORE_UNAVAILABLE);
}

/** Adds one Set-Cookie line, keeping those already set. */
export function appendSetCookie(res: ServerResponse, line: string): void {
  if (res.headersSent) {
    throw new LatchkeyError(
      "mount-order",
      "session.csrfToken() needs to set the pre-session cookie, but the response headers were already sent; ask for the token before writing the response.",
    );
  }
  res.appendHeader("set-cookie", line);
}

/** A header's value as one string ("a, b" for a list), or null when it is not set. */
export function joinedHeader(
  value: string | number | readonly string[] | undefined,
): string | null {
  if (value === undefined) return null;
  return typeof value === "object" ? value.join(", ") : String(value);
}

function applySessionHeaders(res: ServerResponse, headers: SessionHeaders): void {
  res.appendHeader("set-cookie", headers.setCookie);
  res.setHeader("cache-control", headers.cacheControl);
  if (headers.clearSiteData !== null) res.setHeader("clear-site-data", headers.clearSiteData);
  for (const name in headers.extraHeaders)
    res.setHeader(name, headers.extraHeaders[name] as string);
}

// The hooks are shared functions, and what they need travels on the response under a symbol:
// no closures are made per request, and every hooked response has the same shape.
const HOOK = Symbol("latchkey.commit");
const NO_ARGS: readonly unknown[] = Object.freeze([]);

interface Hook {
  readonly sessions: Sessions<object>;
  readonly session: Session<object>;
  readonly end: ServerResponse["end"];
  readonly writeHead: ServerResponse["writeHead"];
  readonly onError: (error: unknown) => void;
  /** Answers a store that went down while saving (the 503, or the application's `onRefused`). */
  readonly storeUnavailable: (res: ServerResponse) => void;
  /** Session headers were applied (at writeHead), or end() is held back; false once restored. */
  started: boolean;
  /** The store write begun at writeHead, for a response that streams. */
  streamed: Promise<void> | null;
  /** What the application passed to `end()`, replayed once the session is saved. */
  endArgs: readonly unknown[];
}

type HookedResponse = ServerResponse & { [HOOK]: Hook };

/**
 * Saves the session when the response ends. `onError` receives failures other than an unavailable
 * store (e.g. `cookie-too-large`), after the hooks are removed, so the framework's error handling
 * can answer normally; `storeUnavailable` answers a store that is down (default: the 503).
 */
export function commitOnResponse<T extends object>(
  sessions: Sessions<T>,
  session: Session<T>,
  res: ServerResponse,
  onError: (error: unknown) => void,
  storeUnavailable: (res: ServerResponse) => void = sendStoreUnavailable,
): void {
  const hooked = res as HookedResponse;
  hooked[HOOK] = {
    sessions,
    session,
    end: res.end,
    writeHead: res.writeHead,
    onError,
    storeUnavailable,
    started: false,
    streamed: null,
    endArgs: NO_ARGS,
  };
  res.writeHead = hookedWriteHead as ServerResponse["writeHead"];
  res.end = hookedEnd as ServerResponse["end"];
}

/**
 * Gives up saving the session on `res` and drops the application's answer (its headers, cookies
 * included), for a refusal that must go out as it is: the session's save is what failed.
 */
export function abandonCommit(res: ServerResponse): void {
  const hook = (res as Partial<HookedResponse>)[HOOK];
  if (hook !== undefined && res.end === hookedEnd) restore(res, hook);
  if (!res.headersSent) for (const name of res.getHeaderNames()) res.removeHeader(name);
}

/** True once the application began its answer: ended (also while the session is being saved) or sent headers. */
export function responseStarted(res: ServerResponse): boolean {
  // Once the hooks are removed (the session's save failed) the application's end() no longer counts.
  const hooked = res.end === hookedEnd && (res as Partial<HookedResponse>)[HOOK]?.started === true;
  return res.headersSent || res.writableEnded || hooked;
}

/**
 * Hands the response back: the session's hold on end() is over. From here `responseStarted` sees
 * only what really went out, so whoever answers next (the 503, `onRefused`, an error handler) is
 * not mistaken for a second answer to a request that was only ever held back.
 */
function restore(res: ServerResponse, hook: Hook): void {
  res.end = hook.end;
  res.writeHead = hook.writeHead;
  hook.started = false;
}

const NODE_END: ResponseEnd<HookedResponse> = {
  addHeaders(res, headers) {
    if (!res.headersSent) applySessionHeaders(res, headers);
  },
  cacheControl: (res) => joinedHeader(res.getHeader("cache-control")),
  setCacheControl(res, value) {
    if (!res.headersSent) res.setHeader("cache-control", value);
  },
  send(res) {
    const hook = res[HOOK];
    restore(res, hook);
    (hook.end as (...a: unknown[]) => ServerResponse).apply(res, hook.endArgs as unknown[]);
  },
  storeUnavailable(res) {
    const hook = res[HOOK];
    restore(res, hook);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The application's answer is dropped whole: whoever answers now (`onRefused`, an error
    // handler, the 503) starts without its headers, a cookie among them.
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    hook.storeUnavailable(res);
  },
  fail(res, error) {
    const hook = res[HOOK];
    restore(res, hook);
    if (res.headersSent) res.destroy(error instanceof Error ? error : undefined);
    else hook.onError(error);
  },
};

// Headers are about to be flushed before end(): a streaming response. They cannot wait for the
// store, so they go out now and end() waits for the write instead.
function hookedWriteHead(this: HookedResponse, ...args: unknown[]): ServerResponse {
  const hook = this[HOOK];
  let writeArgs: readonly unknown[] = args;
  if (!hook.started) {
    hook.started = true;
    try {
      const pending = hook.sessions.prepare(hook.session);
      writeArgs = liftWriteHeadHeaders(this, args);
      addResponseHeaders(hook.sessions, hook.session, NODE_END, this, pending.headers);
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
  return (hook.writeHead as (...a: unknown[]) => ServerResponse).apply(
    this,
    writeArgs as unknown[],
  );
}

function hookedEnd(this: HookedResponse, ...args: unknown[]): ServerResponse {
  const hook = this[HOOK];
  hook.endArgs = args;
  if (!hook.started) {
    hook.started = true;
    endRequest(hook.sessions, hook.session, NODE_END, this);
    return this;
  }
  const streamed = hook.streamed;
  if (streamed === null) NODE_END.send(this);
  else {
    streamed.then(
      () => NODE_END.send(this),
      (error: unknown) =>
        isLatchkeyError(error, "store-unavailable")
          ? NODE_END.storeUnavailable(this)
          : NODE_END.fail(this, error),
    );
  }
  return this;
}
