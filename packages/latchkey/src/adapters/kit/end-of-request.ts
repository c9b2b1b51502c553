import type { PendingCommit } from "../../core/commit.ts";
import type { SessionHeaders } from "../../core/cookies.ts";
import type { Sessions } from "../../core/engine.ts";
import { isLatchkeyError } from "../../core/errors.ts";
import type { Session } from "../../core/session.ts";
import { cacheControlFor } from "./cache-control.ts";

// The end of a request, written once for every adapter: prepare the commit, write to the store,
// and only then add the session's headers and let the response go out. A failed write is never
// sent as a success: an unreachable store becomes the 503 answer, anything else (e.g.
// `cookie-too-large`) goes to the framework's error handling. A response that sets no session
// cookie may still need `Cache-Control: no-store` (an authenticated page, a pre-session CSRF
// cookie): cache-control.ts decides, the framework only applies it.

/**
 * How one framework carries out the end of a request on its response `R`. Created once per
 * adapter; its methods do not use `this` (they are passed on as plain functions).
 */
export interface ResponseEnd<R> {
  /** Adds the session's Set-Cookie, Cache-Control and Clear-Site-Data. */
  addHeaders(response: R, headers: SessionHeaders): void;
  /** The Cache-Control the application set on the response (several joined by ", "), or null. */
  cacheControl(response: R): string | null;
  /** Replaces the response's Cache-Control. */
  setCacheControl(response: R, value: string): void;
  /** Lets the response go out. */
  send(response: R): void;
  /**
   * Replaces the response with the answer to a store that went down while saving: the
   * application's `onRefused` page, else the 503 (`STORE_UNAVAILABLE`). The application's own
   * response is dropped with every header it set (a cookie included). A promise holds the end
   * of the request until the answer is in place.
   */
  storeUnavailable(response: R): void | Promise<void>;
  /** Hands any other failure to the framework. May throw, for frameworks that catch. */
  fail(response: R, error: unknown): void;
}

/**
 * Saves `session` and finishes `response` through `end`. Returns nothing when no store write was
 * needed (a read-only request, a sealed cookie): the response went out in this tick, without a
 * promise. Otherwise the promise settles once the response was sent or failed.
 */
export function endRequest<T extends object, R>(
  sessions: Sessions<T>,
  session: Session<T>,
  end: ResponseEnd<R>,
  response: R,
): Promise<void> | undefined {
  let pending: PendingCommit;
  try {
    pending = sessions.prepare(session);
  } catch (error) {
    end.fail(response, error);
    return undefined;
  }
  if (!pending.writes) {
    addResponseHeaders(sessions, session, end, response, pending.headers);
    end.send(response);
    return undefined;
  }
  return pending.persist().then(
    () => {
      addResponseHeaders(sessions, session, end, response, pending.headers);
      end.send(response);
    },
    (error: unknown) => {
      if (isLatchkeyError(error, "store-unavailable")) return end.storeUnavailable(response);
      end.fail(response, error);
    },
  );
}

/**
 * Adds what the response carries because of the session: the commit's headers (which include
 * `no-store`), or else the Cache-Control that `cacheControlFor` asks of a response without them.
 */
export function addResponseHeaders<T extends object, R>(
  sessions: Sessions<T>,
  session: Session<T>,
  end: ResponseEnd<R>,
  response: R,
  headers: SessionHeaders | null,
): void {
  if (headers !== null) {
    end.addHeaders(response, headers);
    // Every framework's addHeaders appends its Set-Cookie and sets the other headers (the same
    // values again), so each further cookie line goes out through it as well.
    for (const line of headers.alsoSetCookie ?? [])
      end.addHeaders(response, { ...headers, setCookie: line });
    return;
  }
  const cacheControl = cacheControlFor(sessions, session, end.cacheControl, response);
  if (cacheControl !== null) end.setCacheControl(response, cacheControl);
}
