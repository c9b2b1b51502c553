import type { SessionHeaders } from "../../core/cookies.ts";
import type { Answer } from "./answers.ts";

// Shared by the Hono and fetch adapters, which return a WHATWG `Response`.

/** `answer` as a Response. */
export function answerResponse(answer: Answer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * Adds headers to a response. Responses from `fetch()` or `Response.redirect()` have immutable
 * headers; those are copied into a new Response first.
 */
export function withHeaders(response: Response, add: (headers: Headers) => void): Response {
  try {
    add(response.headers);
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(response.body, response);
    add(copy.headers);
    return copy;
  }
}

export function addSessionHeaders(headers: Headers, session: SessionHeaders): void {
  headers.append("set-cookie", session.setCookie);
  headers.set("cache-control", session.cacheControl);
  if (session.clearSiteData !== null) headers.set("clear-site-data", session.clearSiteData);
  for (const name in session.extraHeaders) headers.set(name, session.extraHeaders[name] as string);
}

/** Replaces the response's Cache-Control (copying a response whose headers are immutable). */
export function setCacheControl(response: Response, value: string): Response {
  return withHeaders(response, (h) => h.set("cache-control", value));
}
