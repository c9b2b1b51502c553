import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  preHandlerAsyncHookHandler,
} from "fastify";
import fp from "fastify-plugin";
import type { SessionHeaders } from "../core/cookies.ts";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session as LatchkeySession, SessionData } from "../core/session.ts";
import { csrfGuard } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { deviceBoundAnswer } from "../dbsc/answers.ts";
import { freshAuthRefusalCheck } from "./fresh-auth.ts";
import { type Answer, STORE_UNAVAILABLE } from "./kit/answers.ts";
import { unboundRefusal } from "./kit/device-bound.ts";
import { endRequest, type ResponseEnd } from "./kit/end-of-request.ts";
import { joinedHeader, requestInfo } from "./kit/node-response.ts";
import { openSession } from "./kit/open-session.ts";
import { nodeCsrfRequest } from "./kit/read-node-form-body.ts";
import {
  csrfRefused,
  type Refusal,
  refusalHandlerOf,
  rememberRefusalHandler,
  STORE_UNAVAILABLE_REFUSAL,
} from "./kit/refusals.ts";
import { sessionMissing } from "./kit/session-missing.ts";

/**
 * The Fastify `onRefused`: send your own answer on `reply` (e.g. an HTML page), or leave it
 * unsent for latchkey's answer.
 */
export type FastifyRefusalHandler = (
  refusal: Refusal,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown;

/** Options of the Fastify `sessionMiddleware`. */
export interface FastifySessionOptions {
  /**
   * Requests latchkey refuses (CSRF, step-up, a store that is down while loading or saving) are
   * offered here first. When the save fails (in `onSend`), what the handler sends replaces the
   * reply the route made, whose headers and cookies are dropped.
   */
  onRefused?: FastifyRefusalHandler;
}

// Inside this block `Session` would name fastify's own `Session` interface if another plugin
// (e.g. @fastify/session) declared one: hence the alias.
declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, from latchkey's `sessionMiddleware`. Typed by `SessionData`. */
    session: LatchkeySession<SessionData>;
  }
}

// Set on a request once `onSend` saved its session. A symbol: not part of the request's public shape.
const SAVED: unique symbol = Symbol("latchkey.saved");
type SavedFlag = { [SAVED]?: boolean };

/** The request's session, or null: before `onRequest` ran, or without `sessionMiddleware`. */
function sessionOf(request: FastifyRequest): LatchkeySession<SessionData> | null {
  return (request as { session?: LatchkeySession<SessionData> | null }).session ?? null;
}

/**
 * A Fastify 5 plugin: `request.session` is loaded in `onRequest` and saved in `onSend`, before
 * the response goes out (a failed store write becomes a 503, never a success that lost data). A
 * request that changes nothing writes nothing and sends no cookie. Replies taken over with
 * `reply.hijack()` skip `onSend`: save those with `sessions.commit(request.session)` yourself.
 *
 * `request.session` is typed by the `SessionData` interface (augment it); `sessions` may hold any
 * data type that includes it.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { createSessions } from "latchkey";
 * import { sessionMiddleware } from "latchkey/fastify";
 *
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!] });
 * const app = Fastify();
 * await app.register(sessionMiddleware(sessions));
 * app.post("/login", async (request) => {
 *   // … check the password …
 *   await request.session.login(user.id);
 *   return { ok: true };
 * });
 * ```
 */
export function sessionMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: FastifySessionOptions = {},
): FastifyPluginAsync {
  const onRefused = options.onRefused;
  // Every route sees `request.session` as `SessionData`, whatever `T` adds to it.
  const engine: Sessions<SessionData> = sessions;

  const onSend: onSendHookHandler = (request, reply, payload, done) => {
    const session = sessionOf(request);
    // Fastify runs onSend again for the error reply if a hook fails: save each request's session once.
    if (session === null || (request as SavedFlag)[SAVED]) return done(null, payload);
    (request as SavedFlag)[SAVED] = true;
    const ending = endRequest(engine, session, FASTIFY_END, {
      request,
      reply,
      payload,
      done,
      onRefused,
    });
    // Nothing awaits this hook's promise: a failure goes to Fastify's error handling.
    ending?.catch((error: unknown) => done(error as Error));
  };

  return fp(
    async (app) => {
      app.decorateRequest("session", null, []);
      // A flag on the request, not a WeakSet of sessions: a WeakSet entry per request costs more
      // than the rest of this hook (an ephemeron the GC tracks until the session dies).
      app.decorateRequest(SAVED, false);

      // Callback-style hooks: a sealed cookie opens without waiting, and a request that changes
      // nothing saves nothing, so most requests pass both hooks without a promise.
      app.addHook("onRequest", (request, reply, done) => {
        const loadFailed = (error: unknown) => {
          if (isLatchkeyError(error, "store-unavailable")) {
            void answerRefusal(STORE_UNAVAILABLE_REFUSAL, request, reply, onRefused);
          } else done(error as Error);
        };
        openSession(
          engine,
          requestInfo(request.raw),
          (session) => {
            request.session = session;
            rememberRefusalHandler(session, onRefused);
            const answer = deviceBoundAnswer(session);
            // Answered here (the DBSC endpoints, a refused bound session); onSend saves the session.
            const refusal = answer === undefined ? null : unboundRefusal(answer);
            if (answer === undefined) done();
            else if (refusal !== null) void answerRefusal(refusal, request, reply, onRefused);
            else sendAnswer(reply, answer);
          },
          loadFailed,
        );
      });
      app.addHook("onSend", onSend);
    },
    { fastify: "5.x", name: "latchkey-sessions" },
  );
}

/**
 * CSRF protection as a Fastify plugin; register it after `sessionMiddleware`. It runs as a
 * `preParsing` hook, so a refused request is answered before its body is parsed, and the
 * `_csrf` field of a urlencoded or multipart body is read without consuming it for the
 * content-type parser. Same rules and 403 answers as every adapter (see `CsrfOptions`). Register
 * it inside an encapsulated scope (`app.register(async (scope) => …)`) for per-route options.
 *
 * @example
 * ```ts
 * await app.register(sessionMiddleware(sessions));
 * await app.register(csrfMiddleware(sessions));
 * app.get("/form", async (request) => ({ csrfToken: request.session.csrfToken() }));
 * ```
 */
export function csrfMiddleware<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): FastifyPluginAsync {
  const guard = csrfGuard(sessions, options);
  return fp(
    async (app) => {
      app.addHook("preParsing", async (request, reply, payload) => {
        const session = sessionOf(request);
        if (session === null) {
          throw sessionMissing("csrfMiddleware", "app.register(sessionMiddleware(sessions))");
        }
        guard.attach(session, request.headers.cookie, (line) => {
          reply.header("set-cookie", line);
        });
        // The route's own bodyLimit, else the server's: what Fastify would accept anyway.
        const bodyLimit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit;
        const csrfRequest = nodeCsrfRequest(request.raw, undefined, bodyLimit);
        // Only the untouched request stream can be read and handed back.
        if (payload !== request.raw) csrfRequest.scanBody = async () => null;
        const reason = await guard.check(session, csrfRequest);
        if (reason !== null) {
          return answerRefusal(csrfRefused(reason), request, reply, refusalHandlerOf(session));
        }
        return payload;
      });
    },
    { fastify: "5.x", name: "latchkey-csrf", dependencies: ["latchkey-sessions"] },
  );
}

/**
 * Step-up guard, as a route `preHandler`: the handler runs only if the user authenticated within
 * `maxAge`; otherwise 403 `{ "error": "fresh-auth-required", "reason": "not-authenticated" |
 * "reauthentication-required", "maxAge": seconds }`.
 *
 * @example
 * ```ts
 * app.post("/account/email", { preHandler: requireFreshAuth("5m") }, changeEmail);
 * ```
 */
export function requireFreshAuth(maxAge: Duration): preHandlerAsyncHookHandler {
  const check = freshAuthRefusalCheck(maxAge);
  return async function requireFreshAuth(request: FastifyRequest, reply: FastifyReply) {
    const session = sessionOf(request);
    if (session === null) {
      throw sessionMissing("requireFreshAuth", "app.register(sessionMiddleware(sessions))");
    }
    const refusal = check(session);
    if (refusal !== null) return answerRefusal(refusal, request, reply, refusalHandlerOf(session));
  };
}

/** Offers `refusal` to the application, then sends latchkey's answer if it sent none. */
async function answerRefusal(
  refusal: Refusal,
  request: FastifyRequest,
  reply: FastifyReply,
  handler: FastifyRefusalHandler | undefined,
): Promise<FastifyReply> {
  try {
    if (handler !== undefined) await handler(refusal, request, reply);
  } catch {
    // The request stays refused: latchkey's answer goes out instead.
  }
  return reply.sent ? reply : sendAnswer(reply, refusal.answer);
}

function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** One `onSend` call: the reply, what it is about to send, and how to continue. */
interface OnSend {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly payload: unknown;
  readonly done: Parameters<onSendHookHandler>[3];
  readonly onRefused: FastifyRefusalHandler | undefined;
}

const FASTIFY_END: ResponseEnd<OnSend> = {
  addHeaders: ({ reply }, headers: SessionHeaders) => {
    reply.header("set-cookie", headers.setCookie); // appended to any Set-Cookie already there
    reply.header("cache-control", headers.cacheControl);
    if (headers.clearSiteData !== null) reply.header("clear-site-data", headers.clearSiteData);
    for (const name in headers.extraHeaders)
      reply.header(name, headers.extraHeaders[name] as string);
  },
  cacheControl: ({ reply }) => joinedHeader(reply.getHeader("cache-control")),
  setCacheControl: ({ reply }, value) => {
    reply.header("cache-control", value);
  },
  send: ({ payload, done }) => done(null, payload),
  storeUnavailable: async ({ request, reply, payload, done, onRefused }) => {
    // The reply is already being sent: swap its payload and headers for the refusal's.
    if (payload !== null && typeof payload === "object" && "destroy" in payload) {
      (payload as { destroy(): void }).destroy();
    }
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
    reply.code(STORE_UNAVAILABLE.status);
    const own = onRefused === undefined ? NOT_SENT : await sentByHandler(onRefused, request, reply);
    if (own !== NOT_SENT) {
      done(null, own);
      return;
    }
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
    reply.code(STORE_UNAVAILABLE.status).headers(STORE_UNAVAILABLE.headers);
    done(null, STORE_UNAVAILABLE.body);
  },
  // cookie-too-large goes to the error handler, whose reply passes onSend once more (and is sent
  // without a session cookie: this session is marked as saved).
  fail: ({ done }, error) => done(error as Error),
};

const NOT_SENT: unique symbol = Symbol("not sent");

/**
 * Runs `onRefused` inside `onSend`, where the reply is already on its way out: `reply.send()`
 * cannot start a second reply there, so the handler's call is caught and what it would have sent
 * becomes this reply's payload (serialized as `reply.send` would). Anything else the handler
 * set on the reply (status, headers) stays. NOT_SENT when it sent nothing or failed.
 */
async function sentByHandler(
  handler: FastifyRefusalHandler,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  let sent: unknown = NOT_SENT;
  const capture = function send(this: FastifyReply, payload?: unknown) {
    if (sent === NOT_SENT) sent = payload ?? null;
    return this;
  };
  // Own properties shadow Reply.prototype's for this reply only, and only meanwhile: `send` is
  // caught, and `then` is hidden because a reply is awaitable until it has gone out, which this
  // one cannot do before the handler is done (a handler that returns `reply` would wait forever).
  const shadow = (name: string, value: unknown) =>
    Object.defineProperty(reply, name, { value, configurable: true, writable: true });
  shadow("send", capture);
  shadow("then", undefined);
  try {
    await handler(STORE_UNAVAILABLE_REFUSAL, request, reply);
    return sent === NOT_SENT ? NOT_SENT : serialized(reply, sent);
  } catch {
    return NOT_SENT; // a handler (or a payload) that fails: latchkey's answer goes out
  } finally {
    delete (reply as { send?: unknown }).send;
    delete (reply as { then?: unknown }).then;
  }
}

/** `payload` as `onSend` may pass it on: a string, a Buffer, a stream, or null. */
function serialized(reply: FastifyReply, payload: unknown): unknown {
  const typed = reply.hasHeader("content-type");
  if (payload === null || typeof payload === "string") {
    if (!typed && payload !== null) reply.type("text/plain; charset=utf-8");
    return payload;
  }
  if (Buffer.isBuffer(payload) || typeof (payload as { pipe?: unknown }).pipe === "function") {
    if (!typed) reply.type("application/octet-stream");
    return payload;
  }
  if (!typed) reply.type("application/json; charset=utf-8");
  return JSON.stringify(payload);
}
