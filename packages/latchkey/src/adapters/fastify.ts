import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
import fp from "fastify-plugin";
import { NOTHING_TO_COMMIT } from "../core/commit.ts";
import type { SessionHeaders } from "../core/cookies.ts";
import type { Duration } from "../core/duration.ts";
import type { Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session as LatchkeySession, Session, SessionData } from "../core/session.ts";
import { csrfGuard, refusalResponse } from "../csrf/guard.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import { freshAuthCheck } from "./fresh-auth.ts";
import { nodeCsrfRequest } from "./node-body.ts";
import { openSession } from "./open-session.ts";

// Inside this block `Session` would name fastify's own `Session` interface if another plugin
// (e.g. @fastify/session) declared one: hence the alias.
declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, from latchkey's `sessionMiddleware`. Typed by `SessionData`. */
    session: LatchkeySession<SessionData>;
  }
}

type JsonRefusal = { status: number; headers: Record<string, string>; body: string };

/**
 * A Fastify 5 plugin: `request.session` is loaded in `onRequest` and saved in `onSend`, before
 * the response goes out (a failed store write becomes a 503, never a success that lost data). A
 * request that changes nothing writes nothing and sends no cookie. Replies taken over with
 * `reply.hijack()` skip `onSend`: save those with `sessions.commit(request.session)` yourself.
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
export function sessionMiddleware<T extends object = SessionData>(
  sessions: Sessions<T>,
): FastifyPluginAsync {
  // Fastify runs onSend again for the error reply if a hook fails: save each session once.
  const saved = new WeakSet<object>();

  return fp(
    async (app) => {
      app.decorateRequest("session", null as unknown as Session<SessionData>);

      // Callback-style hooks: a sealed cookie opens without waiting, and a request that changes
      // nothing saves nothing, so most requests pass both hooks without a promise.
      app.addHook("onRequest", (request, reply, done) => {
        const loadFailed = (error: unknown) => {
          if (isLatchkeyError(error, "store-unavailable")) sendStoreUnavailable(reply);
          else done(error as Error);
        };
        openSession(
          sessions,
          { cookie: request.headers.cookie, userAgent: request.headers["user-agent"] },
          (session) => {
            request.session = session as unknown as Session<SessionData>;
            done();
          },
          loadFailed,
        );
      });

      app.addHook("onSend", (request, reply, payload, done) => {
        const session = request.session as unknown as Session<T> | null;
        if (session === null || saved.has(session)) return done(null, payload);
        let pending: ReturnType<Sessions<T>["prepare"]>;
        try {
          pending = sessions.prepare(session);
        } catch (error) {
          // cookie-too-large goes to the error handler, whose reply passes here once more.
          saved.add(session);
          return done(error as Error);
        }
        // Nothing to save (the common read-only request); preparing again would find the same.
        if (pending === NOTHING_TO_COMMIT) return done(null, payload);
        saved.add(session);
        if (!pending.writes) {
          if (pending.headers !== null) applySessionHeaders(reply, pending.headers);
          return done(null, payload);
        }
        pending.persist().then(
          () => {
            if (pending.headers !== null) applySessionHeaders(reply, pending.headers);
            done(null, payload);
          },
          (error: unknown) => {
            if (!isLatchkeyError(error, "store-unavailable")) return done(error as Error);
            destroyStream(payload);
            for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
            reply.code(503);
            setStoreUnavailableHeaders(reply);
            done(null, STORE_UNAVAILABLE_BODY);
          },
        );
      });
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
export function csrfMiddleware<T extends object>(
  sessions: Sessions<T>,
  options?: CsrfOptions,
): FastifyPluginAsync {
  const guard = csrfGuard(sessions, options);
  return fp(
    async (app) => {
      app.addHook("preParsing", async (request, reply, payload) => {
        const session = request.session as Session<object> | null;
        if (session === null) {
          throw new TypeError(
            "latchkey: register sessionMiddleware(sessions) before csrfMiddleware",
          );
        }
        guard.attach(session, request.headers.cookie, (line) => {
          reply.header("set-cookie", line);
        });
        const csrfRequest = nodeCsrfRequest(request.raw);
        // Only the untouched request stream can be read and handed back.
        if (payload !== request.raw) csrfRequest.scanBody = async () => null;
        const reason = await guard.check(session, csrfRequest);
        if (reason !== null) return sendRefusal(reply, refusalResponse(reason));
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
  const check = freshAuthCheck(maxAge);
  return async function requireFreshAuth(request: FastifyRequest, reply: FastifyReply) {
    const refusal = check(request.session);
    if (refusal !== null) return sendRefusal(reply, refusal);
  };
}

const STORE_UNAVAILABLE_BODY = "Service Unavailable: the session store is not reachable.\n";

function setStoreUnavailableHeaders(reply: FastifyReply): void {
  reply.header("content-type", "text/plain; charset=utf-8");
  reply.header("cache-control", "no-store");
  reply.header("retry-after", "5");
}

function sendStoreUnavailable(reply: FastifyReply): FastifyReply {
  reply.code(503);
  setStoreUnavailableHeaders(reply);
  return reply.send(STORE_UNAVAILABLE_BODY);
}

function sendRefusal(reply: FastifyReply, refusal: JsonRefusal): FastifyReply {
  return reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
}

function applySessionHeaders(reply: FastifyReply, headers: SessionHeaders): void {
  reply.header("set-cookie", headers.setCookie); // appended to any Set-Cookie already there
  reply.header("cache-control", headers.cacheControl);
  if (headers.clearSiteData !== null) reply.header("clear-site-data", headers.clearSiteData);
}

function destroyStream(payload: unknown): void {
  if (payload !== null && typeof payload === "object" && "destroy" in payload) {
    (payload as { destroy(): void }).destroy();
  }
}
