import type { Context, MiddlewareHandler } from "hono";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { BODY_TOO_LARGE, csrfGuard } from "../csrf/guard.ts";
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
import { sessionMissing } from "./kit/session-missing.ts";
import { refusalResponse } from "./kit/web-refusal.ts";
import { addSessionHeaders, setCacheControl, withHeaders } from "./kit/web-response.ts";

/** The Hono environment the middleware provides: `c.get("session")` is typed. */
export interface SessionEnv<T extends SessionData = SessionData> {
  Variables: { session: Session<T> };
}

/**
 * The Hono `onRefused`: return a Response of your own (`c.html(page, refusal.status)`), or
 * nothing for latchkey's answer.
 */
export type HonoRefusalHandler = (
  refusal: Refusal,
  c: Context,
) => Response | undefined | Promise<Response | undefined>;

/** Options of the Hono `sessionMiddleware`. */
export interface HonoSessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down while loading or saving) are
   * offered here first. When the save fails, the handler's response replaces the one the route
   * returned (whose headers and cookies are dropped).
   */
  onRefused?: HonoRefusalHandler;
}

/**
 * Hono middleware (any runtime): `c.get("session")` is loaded before the handler and saved
 * after it, before the response goes out (a failed store write becomes a 503, never a success
 * that lost data). A request that changes nothing writes nothing and sends no cookie.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createSessions } from "latchkey";
 * import { type SessionEnv, sessionMiddleware } from "latchkey/hono";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * const app = new Hono<SessionEnv>();
 * app.use(sessionMiddleware(sessions));
 * app.post("/login", async (c) => {
 *   // … check the password …
 *   await c.get("session").login(user.id);
 *   return c.json({ ok: true });
 * });
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<T>> {
  const onRefused = options.onRefused;
  return async (c, next): Promise<Response | undefined> => {
    let session: Session<T>;
    try {
      session = await sessions.load(webRequestInfo(c.req.raw));
    } catch (error) {
      if (isLatchkeyError(error, "store-unavailable")) {
        return refusalResponse(STORE_UNAVAILABLE_REFUSAL, c, onRefused);
      }
      throw error;
    }
    rememberRefusalHandler(session, onRefused);
    c.set("session", session);
    const answer = await deviceBoundResponse(session, (refusal) =>
      refusalResponse(refusal, c, onRefused),
    );
    if (answer === undefined) await next();
    else c.res = answer;
    const ending = endRequest(sessions, session, HONO_END, c);
    if (ending !== undefined) await ending;
    return undefined;
  };
}

/**
 * CSRF protection for Hono; use it after `sessionMiddleware`. Same rules and 403 answers as
 * every adapter (see `CsrfOptions`). A `_csrf` field is read from a clone of the request, so
 * `c.req.parseBody()` still works in the handler.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware(sessions));
 * app.use(csrfMiddleware(sessions));
 * app.get("/form", (c) => c.html(`<input type="hidden" name="_csrf" value="${c.get("session").csrfToken()}">`));
 * ```
 */
export function csrfMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): MiddlewareHandler<SessionEnv<T>> {
  const guard = csrfGuard(sessions, options);
  return async (c, next): Promise<Response | undefined> => {
    const session: Session<T> | undefined = c.get("session");
    if (session === undefined) {
      throw sessionMissing("csrfMiddleware", "app.use(sessionMiddleware(sessions))");
    }
    const context = guard.attach(session, c.req.header("cookie"));
    const csrfRequest = webCsrfRequest(c.req.raw);
    if (c.req.raw.bodyUsed && Object.keys(c.req.bodyCache).length > 0) {
      // An earlier middleware read the body through c.req, which keeps a copy: scan that.
      csrfRequest.scanBody = async (scanner, limits) => {
        const body = new Uint8Array(await c.req.arrayBuffer());
        const found = scanner.push(body.subarray(0, limits.bytes));
        if (found !== undefined) return found;
        return body.byteLength > limits.bytes ? BODY_TOO_LARGE : scanner.finish();
      };
    }
    const reason = await guard.check(session, csrfRequest);
    if (reason !== null) {
      return refusalResponse(csrfRefused(reason), c, refusalHandlerOf<HonoRefusalHandler>(session));
    }
    await next();
    const setCookie = preSessionSetCookie(context);
    if (setCookie !== null) {
      replaceResponse(
        c,
        withHeaders(c.res, (h) => h.append("set-cookie", setCookie)),
      );
    }
    return undefined;
  };
}

/**
 * Step-up guard: the handler runs only if the user authenticated within `maxAge`; otherwise 403
 * `{ "error": "fresh-auth-required", "reason": "not-authenticated" | "reauthentication-required", "maxAge": seconds }`.
 *
 * @example
 * ```ts
 * app.post("/account/email", requireFreshAuth("5m"), changeEmail);
 * ```
 */
export function requireFreshAuth<T extends SessionData = SessionData>(
  maxAge: Duration,
): MiddlewareHandler<SessionEnv<T>> {
  const check = freshAuthRefusalCheck(maxAge);
  return async (c, next): Promise<Response | undefined> => {
    const session: Session<T> | undefined = c.get("session");
    if (session === undefined) {
      throw sessionMissing("requireFreshAuth", "app.use(sessionMiddleware(sessions))");
    }
    const refusal = check(session);
    if (refusal !== null) {
      return refusalResponse(refusal, c, refusalHandlerOf<HonoRefusalHandler>(session));
    }
    await next();
    return undefined;
  };
}

// Hono sends `c.res` once every middleware has returned: the end of the request only replaces it.
const HONO_END: ResponseEnd<Context> = {
  addHeaders: (c, headers) =>
    replaceResponse(
      c,
      withHeaders(c.res, (h) => addSessionHeaders(h, headers)),
    ),
  cacheControl: (c) => c.res.headers.get("cache-control"),
  setCacheControl: (c, value) => replaceResponse(c, setCacheControl(c.res, value)),
  send: () => {},
  storeUnavailable: async (c) => {
    const session: Session<SessionData> = c.get("session");
    c.res.body?.cancel().catch(() => {});
    // The handler answers on a blank response: `c.html(…)` copies the headers of `c.res`, and the
    // route's (a cookie among them) must not reach a request whose session was not saved.
    replaceResponse(c, new Response(null, { status: STORE_UNAVAILABLE_REFUSAL.status }));
    c.status(STORE_UNAVAILABLE_REFUSAL.status as 503);
    const handler = refusalHandlerOf<HonoRefusalHandler>(session);
    replaceResponse(c, await refusalResponse(STORE_UNAVAILABLE_REFUSAL, c, handler));
  },
  // Thrown errors (e.g. cookie-too-large) reach app.onError.
  fail: (_c, error) => {
    throw error;
  },
};

/** Sets `c.res` as given: Hono's setter would otherwise merge the old response's headers into it. */
function replaceResponse(c: Context, response: Response): void {
  if (response === c.res) return;
  // With no current response the setter takes the new one as it is.
  c.res = undefined;
  c.res = response;
}
