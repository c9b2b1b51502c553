import type { Middleware, ParameterizedContext } from "koa";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { deviceBoundAnswer } from "../dbsc/answers.ts";
import { freshAuthRefusalCheck } from "./fresh-auth.ts";
import { unboundRefusal } from "./kit/device-bound.ts";
import { endRequest } from "./kit/end-of-request.ts";
import { KOA_END } from "./kit/koa-end.ts";
import {
  answerKoaRefusal,
  type KoaRefusalHandler,
  refusalErrorKeepingCookies,
} from "./kit/koa-refusal.ts";
import { sendAnswer } from "./kit/koa-response.ts";
import { appendSetCookie, requestInfo } from "./kit/node-response.ts";
import { nodeCsrfRequest } from "./kit/read-node-form-body.ts";
import {
  csrfRefused,
  refusalHandlerOf,
  rememberRefusalHandler,
  STORE_UNAVAILABLE_REFUSAL,
} from "./kit/refusals.ts";
import { sessionMissing } from "./kit/session-missing.ts";

export type { KoaRefusalHandler } from "./kit/koa-refusal.ts";
export { type Refusal, RefusalError, type RefusalKind } from "./kit/refusals.ts";

// Koa's own `Context` (and every `new Koa<State, CustomContext>()`) includes ExtendableContext,
// while its DefaultContext would type any property as `any`: augmenting ExtendableContext types
// `ctx.session` in every middleware. The alias keeps the name free for a `Session` that another
// plugin (e.g. koa-session) may declare in the same module.
declare module "koa" {
  interface ExtendableContext {
    /** The request's session, from latchkey's `sessionMiddleware`. Typed by `SessionData`. */
    session: Session<SessionData>;
  }
}

const MOUNT = "app.use(sessionMiddleware(sessions))";

/** Options of the Koa `sessionMiddleware`. */
export interface KoaSessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down) are offered here first, e.g.
   * to render an HTML page for a form post: set `ctx.body`, or leave it unset for latchkey's
   * answer. `"throw"` throws every refusal as a `RefusalError` (`status`, `expose`, `code` —
   * `EBADCSRFTOKEN` for CSRF, as csurf — and `reason`) for your error middleware. Default:
   * latchkey's own answer (JSON 403, or the 503).
   */
  onRefused?: KoaRefusalHandler | "throw";
}

/**
 * Koa 3 middleware: `ctx.session` is loaded before the next middleware runs and saved after it
 * returns, before Koa sends the response (a failed store write becomes a 503, never a success
 * that lost data). A request that changes nothing writes nothing and sends no cookie. If the
 * store is unreachable the request is answered with 503 (fail closed).
 *
 * A middleware below that throws skips the save: Koa's error response drops every header set so
 * far, so the session's cookie could not go out with it. Catch errors below `sessionMiddleware`
 * to render error pages that keep the session. With `ctx.respond = false` Koa sends nothing
 * and neither does latchkey: save with `await sessions.commit(ctx.session)` before writing.
 *
 * `ctx.session` is typed by the `SessionData` interface (augment it); `sessions` may hold any
 * data type that includes it.
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/koa";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * const app = new Koa();
 * app.use(sessionMiddleware(sessions));
 * app.use(async (ctx) => {
 *   const visits = (ctx.session.get("visits") ?? 0) + 1;
 *   ctx.session.set("visits", visits);
 *   ctx.body = `visit ${visits}`;
 * });
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: KoaSessionOptions = {},
): Middleware {
  const onRefused = options.onRefused;
  return async (ctx, next) => {
    let session: Session<T>;
    try {
      session = await sessions.load(requestInfo(ctx.req));
    } catch (error) {
      if (!isLatchkeyError(error, "store-unavailable")) throw error;
      await answerKoaRefusal(STORE_UNAVAILABLE_REFUSAL, ctx, onRefused);
      return;
    }
    rememberRefusalHandler(session, onRefused);
    ctx.session = session;
    const answer = deviceBoundAnswer(session);
    const refusal = answer === undefined ? null : unboundRefusal(answer);
    if (answer === undefined) await next();
    else if (refusal !== null && onRefused === "throw") {
      // A throw would skip the commit below, which expires the refused session's cookie: commit
      // first, then throw with the cookie lines Koa's error response must keep.
      const ending = endRequest(sessions, session, KOA_END, ctx);
      if (ending !== undefined) await ending;
      throw refusalErrorKeepingCookies(refusal, ctx);
    } else if (refusal !== null) await answerKoaRefusal(refusal, ctx, onRefused);
    else sendAnswer(ctx, answer);
    if (ctx.respond === false) return;
    const ending = endRequest(sessions, session, KOA_END, ctx);
    if (ending !== undefined) await ending;
  };
}

/**
 * Koa CSRF protection; use it after `sessionMiddleware`. State-changing requests must come from
 * an allowed origin (Fetch Metadata, else Origin/Referer), and form-like ones must carry
 * `ctx.session.csrfToken()` in a `_csrf` field or an `x-csrf-token` header. Refusals answer 403
 * with `{ "error": "csrf-refused", "reason": … }` and emit a `csrf-refused` event.
 *
 * The `_csrf` field is taken from `ctx.request.body` when a body parser ran first; otherwise the
 * middleware reads a urlencoded or multipart body itself (up to `bodyLimit`) and leaves it
 * unread for the parsers that follow.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware(sessions));
 * app.use(csrfMiddleware(sessions));
 * app.use(async (ctx) => {
 *   ctx.body = `<form method="post"><input type="hidden" name="_csrf" value="${ctx.session.csrfToken()}">…</form>`;
 * });
 * ```
 */
export function csrfMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): Middleware {
  const guard = csrfGuard(sessions, options);
  return async (ctx, next) => {
    const session: Session<SessionData> | undefined = ctx.session;
    if (session === undefined) throw sessionMissing("csrfMiddleware", MOUNT);
    guard.attach(session, ctx.get("cookie") || undefined, (line) => appendSetCookie(ctx.res, line));
    const reason = await guard.check(
      session,
      nodeCsrfRequest(ctx.req, () => parsedField(ctx)),
    );
    if (reason !== null) {
      await answerKoaRefusal(csrfRefused(reason), ctx, refusalHandlerOf(session));
      return;
    }
    await next();
  };
}

/**
 * Step-up guard: the next middleware runs only if the user authenticated within `maxAge`;
 * otherwise 403 with `{ "error": "fresh-auth-required", "reason": "not-authenticated" |
 * "reauthentication-required", "maxAge": seconds }`. After the user re-enters their password,
 * call `await ctx.session.reauthenticate()`.
 *
 * @example
 * ```ts
 * router.post("/account/email", requireFreshAuth("5m"), changeEmail); // @koa/router
 * ```
 */
export function requireFreshAuth(maxAge: Duration): Middleware {
  const check = freshAuthRefusalCheck(maxAge);
  return async (ctx, next) => {
    const session: Session<SessionData> | undefined = ctx.session;
    if (session === undefined) throw sessionMissing("requireFreshAuth", MOUNT);
    const refusal = check(session);
    if (refusal !== null) {
      await answerKoaRefusal(refusal, ctx, refusalHandlerOf(session));
      return;
    }
    await next();
  };
}

/** The `_csrf` field of a body that a parser (e.g. @koa/bodyparser) put on `ctx.request.body`. */
function parsedField(ctx: ParameterizedContext): unknown {
  const body: unknown = (ctx.request as { body?: unknown }).body;
  return body !== null && typeof body === "object"
    ? (body as Record<string, unknown>)._csrf
    : undefined;
}
