import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { preSessionSetCookie } from "../csrf/pre-session.ts";
import { freshAuthRefusalCheck } from "./fresh-auth.ts";
import { deviceBoundResponse, webRequestInfo } from "./kit/device-bound.ts";
import { endRequest, type ResponseEnd } from "./kit/end-of-request.ts";
import { webCsrfRequest } from "./kit/read-web-form-body.ts";
import {
  csrfRefused,
  type Refusal,
  refusalHandlerOf,
  rememberRefusalHandler,
  STORE_UNAVAILABLE_REFUSAL,
} from "./kit/refusals.ts";
import { refusalResponse } from "./kit/web-refusal.ts";
import { addSessionHeaders, setCacheControl, withHeaders } from "./kit/web-response.ts";

/**
 * A handler that receives the session next to the request. Extra arguments the runtime passes
 * (Next.js `{ params }`, Bun's `server`, Deno's `info`) follow unchanged.
 */
export type SessionFetchHandler<T extends SessionData = SessionData, A extends unknown[] = []> = (
  request: Request,
  session: Session<T>,
  ...args: A
) => Response | Promise<Response>;

/**
 * The fetch `onRefused`: return a Response of your own (an HTML page for a form post), or
 * nothing for latchkey's answer.
 */
export type FetchRefusalHandler = (
  refusal: Refusal,
  request: Request,
) => Response | undefined | Promise<Response | undefined>;

/** Options of the fetch `sessionMiddleware`. */
export interface FetchSessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down while loading or saving) are
   * offered here first. When the save fails, the handler's response replaces the one the
   * handler returned.
   */
  onRefused?: FetchRefusalHandler;
}

/** What `sessionMiddleware` returns: a plain `(request, ...args) => Promise<Response>`. */
export type FetchHandler<A extends unknown[] = []> = (
  request: Request,
  ...args: A
) => Promise<Response>;

/**
 * Wraps a `(Request) => Response` handler (Next.js route handlers, Bun, Deno, Cloudflare-style
 * runtimes): the session is loaded before the handler and saved after it, before the response
 * is returned (a failed store write becomes a 503, never a success that lost data). A request
 * that changes nothing writes nothing and sends no cookie. If the handler throws, nothing is
 * saved and the error propagates to the runtime.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/fetch";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * // app/api/visits/route.ts (Next.js), or Bun.serve({ fetch: handler }), or Deno.serve(handler)
 * export const POST = sessionMiddleware(sessions, async (request, session) => {
 *   const visits = (session.get("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return Response.json({ visits });
 * });
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData, A extends unknown[] = []>(
  sessions: Sessions<T>,
  handler: SessionFetchHandler<T, A>,
  options: FetchSessionOptions = {},
): FetchHandler<A> {
  const onRefused = options.onRefused;
  return async (request, ...args) => {
    let session: Session<T>;
    try {
      session = await sessions.load(webRequestInfo(request));
    } catch (error) {
      if (isLatchkeyError(error, "store-unavailable")) {
        return refusalResponse(STORE_UNAVAILABLE_REFUSAL, request, onRefused);
      }
      throw error;
    }
    rememberRefusalHandler(session, onRefused);
    const outcome: Outcome = {
      response:
        (await deviceBoundResponse(session, (refusal) =>
          refusalResponse(refusal, request, onRefused),
        )) ?? (await handler(request, session, ...args)),
      request,
      onRefused,
    };
    const ending = endRequest(sessions, session, FETCH_END, outcome);
    if (ending !== undefined) await ending;
    return outcome.response;
  };
}

/**
 * CSRF protection for a fetch handler: wrap the handler, then wrap the result with
 * `sessionMiddleware`. Same rules and 403 answers as every adapter (see `CsrfOptions`). A `_csrf`
 * field is read from a clone of the request, so the handler can still read the body.
 *
 * @example
 * ```ts
 * export const POST = sessionMiddleware(sessions, csrfMiddleware(sessions, async (request, session) => {
 *   const form = await request.formData();
 *   return Response.json({ saved: form.get("title") });
 * }));
 * ```
 */
export function csrfMiddleware<T extends SessionData = SessionData, A extends unknown[] = []>(
  sessions: Sessions<T>,
  handler: SessionFetchHandler<T, A>,
  options?: CsrfOptions,
): SessionFetchHandler<T, A> {
  const guard = csrfGuard(sessions, options);
  return async (request, session, ...args) => {
    const context = guard.attach(session, request.headers.get("cookie"));
    const reason = await guard.check(session, webCsrfRequest(request));
    if (reason !== null) {
      return refusalResponse(
        csrfRefused(reason),
        request,
        refusalHandlerOf<FetchRefusalHandler>(session),
      );
    }
    const response = await handler(request, session, ...args);
    const setCookie = preSessionSetCookie(context);
    return setCookie === null
      ? response
      : withHeaders(response, (h) => h.append("set-cookie", setCookie));
  };
}

/**
 * Step-up guard for a fetch handler: it runs only if the user authenticated within `maxAge`;
 * otherwise 403 `{ "error": "fresh-auth-required", "reason": "not-authenticated" |
 * "reauthentication-required", "maxAge": seconds }`.
 *
 * @example
 * ```ts
 * export const POST = sessionMiddleware(sessions, requireFreshAuth("5m", changeEmail));
 * ```
 */
export function requireFreshAuth<T extends SessionData = SessionData, A extends unknown[] = []>(
  maxAge: Duration,
  handler: SessionFetchHandler<T, A>,
): SessionFetchHandler<T, A> {
  const check = freshAuthRefusalCheck(maxAge);
  return async (request, session, ...args) => {
    const refusal = check(session);
    if (refusal === null) return handler(request, session, ...args);
    return refusalResponse(refusal, request, refusalHandlerOf<FetchRefusalHandler>(session));
  };
}

/** The response the handler returned, replaced as the end of the request requires. */
interface Outcome {
  response: Response;
  readonly request: Request;
  readonly onRefused: FetchRefusalHandler | undefined;
}

const FETCH_END: ResponseEnd<Outcome> = {
  addHeaders: (outcome, headers) => {
    outcome.response = withHeaders(outcome.response, (h) => addSessionHeaders(h, headers));
  },
  cacheControl: (outcome) => outcome.response.headers.get("cache-control"),
  setCacheControl: (outcome, value) => {
    outcome.response = setCacheControl(outcome.response, value);
  },
  send: () => {},
  storeUnavailable: async (outcome) => {
    outcome.response.body?.cancel().catch(() => {});
    const { request, onRefused } = outcome;
    outcome.response = await refusalResponse(STORE_UNAVAILABLE_REFUSAL, request, onRefused);
  },
  // The handler's response is dropped; the runtime answers the error (e.g. cookie-too-large).
  fail: (_outcome, error) => {
    throw error;
  },
};
