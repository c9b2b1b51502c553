import type { ParameterizedContext } from "koa";
import { type Answer, STORE_UNAVAILABLE } from "./answers.ts";
import type { ResponseEnd } from "./end-of-request.ts";
import { joinedHeader } from "./node-response.ts";

// Koa sends `ctx.body` once every middleware has returned, so the end of a request only changes
// the context: headers are added to it and 503 replaces its status and body. The response itself
// goes out when the session middleware returns (`send` has nothing to do).

type Ctx = ParameterizedContext;

/** Writes `answer` as the response: status, headers and body (the Content-Type stays the answer's). */
export function sendAnswer(ctx: Ctx, answer: Answer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

/** Answers 503 for a store that is down, dropping every header set so far (cookies included). */
export function sendStoreUnavailable(ctx: Ctx): void {
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  // Koa destroys a stream body that a string replaces.
  sendAnswer(ctx, STORE_UNAVAILABLE);
}

export const KOA_END: ResponseEnd<Ctx> = {
  addHeaders: (ctx, headers) => {
    ctx.append("set-cookie", headers.setCookie);
    ctx.set("cache-control", headers.cacheControl);
    if (headers.clearSiteData !== null) ctx.set("clear-site-data", headers.clearSiteData);
  },
  cacheControl: (ctx) => joinedHeader(ctx.res.getHeader("cache-control")),
  setCacheControl: (ctx, value) => ctx.set("cache-control", value),
  send: () => {},
  storeUnavailable: sendStoreUnavailable,
  // Thrown errors (e.g. cookie-too-large) reach the application's error middleware, or Koa's.
  fail: (_ctx, error) => {
    throw error;
  },
};
