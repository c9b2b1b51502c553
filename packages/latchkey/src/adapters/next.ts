import { cookies, headers } from "next/headers.js";
import { type NextRequest, NextResponse } from "next/server.js";
import type { RequestInfo, Sessions } from "../core/engine.ts";
import { isLatchkeyError } from "../core/errors.ts";
import type { Session, SessionData } from "../core/session.ts";
import type { CsrfOptions } from "../csrf/options.ts";
import {
  csrfMiddleware,
  type FetchHandler,
  type SessionFetchHandler,
  sessionMiddleware,
} from "./fetch.ts";
import { STORE_UNAVAILABLE } from "./kit/answers.ts";
import { answerResponse } from "./kit/web-response.ts";
import { actionOriginCheck } from "./next/action-origin.ts";
import { navigationResponse, navigationSignal } from "./next/navigation-signal.ts";
import { isPrefetch } from "./next/prefetch.ts";
import { readOnlySession, type SessionView } from "./next/read-only-session.ts";
import { sessionCookieHeader } from "./next/request-cookie.ts";
import { parseSetCookie } from "./next/set-cookie.ts";

export type { SessionView } from "./next/read-only-session.ts";

// Next.js App Router, four places a session is met, each with what Next allows there:
//   Server Components  read only: cookies cannot be set once rendering streams.
//   Server Actions     read and change; the cookie goes out through `cookies().set()`.
//   Route Handlers     read and change; the handler's Response carries every session header.
//   Proxy (Middleware) check (redirect the signed-out), and keep the idle clock and rotation going.
// A store that is down fails closed everywhere: a thrown `store-unavailable` LatchkeyError where
// Next renders the error boundary (components, actions), a 503 where there is a Response (route
// handlers, proxy).

/** Options of `nextSessions`. */
export interface NextSessionsOptions {
  /**
   * The CSRF rules for Server Actions (their Origin / Fetch Metadata check) and the default for
   * `route()` handlers. Same options as every adapter's `csrfMiddleware`.
   */
  csrf?: CsrfOptions;
}

/** Options of one `route()` handler. */
export interface RouteOptions {
  /** `false` for a handler only other servers call (a webhook with its own authentication). */
  csrf?: CsrfOptions | false;
}

/** A Proxy (Middleware) callback: decide with the session, answer with a NextResponse. */
export type ProxyHandler<T extends SessionData = SessionData> = (
  request: NextRequest,
  session: SessionView<T>,
) => Response | Promise<Response>;

/** What `nextSessions` returns; see there. */
export interface NextSessions<T extends SessionData = SessionData> {
  /** The session for a Server Component: read only. Throws `store-unavailable` when the store is down. */
  getSession(): Promise<SessionView<T>>;
  /**
   * Runs `action` with the session in a Server Action and saves what it changed when it returns
   * (or calls `redirect()`, `notFound()`…). If it throws anything else, nothing is saved.
   */
  withSession<R>(action: (session: Session<T>) => R | Promise<R>): Promise<R>;
  /**
   * Wraps a Route Handler: session loaded and saved, CSRF checked for unsafe methods, 503 when the
   * store is down. `redirect()` and `notFound()` inside it save the session as a return does.
   */
  route<A extends unknown[] = []>(
    handler: SessionFetchHandler<T, A>,
    options?: RouteOptions,
  ): FetchHandler<A>;
  /** A Proxy (Middleware) function; `handler` defaults to letting every request through. */
  proxy(handler?: ProxyHandler<T>): (request: NextRequest) => Promise<Response>;
}

/**
 * latchkey for the Next.js App Router (15.5 and 16; Proxy / Middleware on the Node.js runtime).
 * Create it once, next to `createSessions()`, and import its functions where you need them.
 *
 * @example
 * ```ts
 * // lib/session.ts
 * import { createSessions } from "latchkey";
 * import { nextSessions } from "latchkey/next";
 * import { sqliteStore } from "latchkey/stores/sqlite";
 *
 * export const sessions = createSessions({
 *   secrets: [process.env.SESSION_SECRET!],
 *   store: sqliteStore({ path: "sessions.db" }),
 * });
 * export const { getSession, withSession, route, proxy } = nextSessions(sessions);
 *
 * // app/account/page.tsx (a Server Component)
 * const session = await getSession();
 * if (session.userId === null) redirect("/signin");
 *
 * // app/signin/actions.ts
 * "use server";
 * export async function signIn(form: FormData) {
 *   const userId = await checkPassword(form.get("email"), form.get("password"));
 *   await withSession(async (session) => {
 *     await session.login(userId);
 *     redirect("/account"); // the new cookie is saved first
 *   });
 * }
 *
 * // app/logout/route.ts
 * export const POST = route(async (request, session) => {
 *   await session.logout();
 *   return Response.redirect(new URL("/", request.url), 303);
 * });
 *
 * // proxy.ts (Next 16; middleware.ts with `runtime: "nodejs"` on 15.5)
 * export default proxy((request, session) =>
 *   session.userId === null && request.nextUrl.pathname.startsWith("/account")
 *     ? NextResponse.redirect(new URL("/signin", request.url))
 *     : NextResponse.next(),
 * );
 * ```
 */
export function nextSessions<T extends SessionData = SessionData>(
  sessions: Sessions<T>,
  options: NextSessionsOptions = {},
): NextSessions<T> {
  const checkActionOrigin = actionOriginCheck(sessions, options.csrf);
  const name = sessions.cookieName;

  async function requestInfo(): Promise<RequestInfo> {
    const [headerList, cookieStore] = await Promise.all([headers(), cookies()]);
    return {
      cookie: sessionCookieHeader(headerList.get("cookie"), name, cookieStore.get(name)?.value),
      userAgent: headerList.get("user-agent"),
    };
  }

  async function save(session: Session<T>): Promise<void> {
    const sessionHeaders = await sessions.commit(session);
    if (sessionHeaders === null) return;
    // Cache-Control and Clear-Site-Data cannot be set from a Server Action: Next answers actions
    // with `no-store` itself, and a logout that must clear site data belongs in a route handler.
    const cookieStore = await cookies();
    for (const line of [sessionHeaders.setCookie, ...(sessionHeaders.alsoSetCookie ?? [])]) {
      cookieStore.set(parseSetCookie(line));
    }
  }

  return {
    async getSession() {
      return readOnlySession(await sessions.load(await requestInfo()));
    },

    async withSession(action) {
      const headerList = await headers();
      checkActionOrigin((header) => headerList.get(header));
      const session = await sessions.load(await requestInfo());
      let result: Awaited<ReturnType<typeof action>>;
      try {
        result = await action(session);
      } catch (error) {
        // redirect(), notFound(), forbidden(), unauthorized() end an action as a return does,
        // so what it changed is saved (next/navigation-signal.ts says how they are recognised).
        if (navigationSignal(error) !== null) await save(session);
        throw error;
      }
      await save(session);
      return result;
    },

    route(handler, routeOptions = {}) {
      const csrf = routeOptions.csrf ?? options.csrf ?? {};
      // redirect() or notFound() in a handler becomes the Response Next would have made, so the
      // session is saved and its headers (cookie, Cache-Control, Clear-Site-Data) go out with it;
      // Next's own 404 for a thrown notFound() would drop every cookie.
      const answering: typeof handler = async (request, session, ...args) => {
        try {
          return await handler(request, session, ...args);
        } catch (error) {
          const signal = navigationSignal(error);
          if (signal === null) throw error;
          return navigationResponse(signal);
        }
      };
      return sessionMiddleware(
        sessions,
        csrf === false ? answering : csrfMiddleware(sessions, answering, csrf),
      );
    },

    proxy(handler = () => NextResponse.next()) {
      // Navigations (GET, HEAD) save what the engine itself decided: the idle clock, periodic
      // rotation, clearing an expired cookie. Other methods are Server Actions and route
      // handlers, which save their own changes; a rotation here as well would send two cookies
      // in one response, and the browser would keep whichever came last. Prefetches are no
      // navigation of the user's and save nothing either (next/prefetch.ts says why).
      // Next calls Proxy with a NextRequest; fetch's handlers are typed for any Request.
      const navigating = sessionMiddleware<T>(sessions, (request, session) =>
        handler(request as NextRequest, readOnlySession(session)),
      );
      return async (request) => {
        const navigation = request.method === "GET" || request.method === "HEAD";
        if (navigation && !isPrefetch(request.headers)) return navigating(request);
        let session: Session<T>;
        try {
          session = await sessions.load({
            cookie: request.headers.get("cookie"),
            userAgent: request.headers.get("user-agent"),
          });
        } catch (error) {
          if (isLatchkeyError(error, "store-unavailable")) return answerResponse(STORE_UNAVAILABLE);
          throw error;
        }
        return handler(request, readOnlySession(session));
      };
    },
  };
}
