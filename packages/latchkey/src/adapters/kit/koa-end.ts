import type { ParameterizedContext } from "koa";
import { STORE_UNAVAILABLE } from "./answers.ts";
import type { ResponseEnd } from "./end-of-request.ts";
import { answerKoaRefusal, type KoaRefusalHandler } from "./koa-refusal.ts";
import { joinedHeader } from "./node-response.ts";
import { refusalHandlerOf, STORE_UNAVAILABLE_REFUSAL } from "./refusals.ts";

// Koa sends `ctx.body` once every middleware has returned, so the end of a request only changes
// the context: headers are added to it, and a store that went down replaces its status and body.
// The response itself goes out when the session middleware returns (`send` has nothing to do).

type Ctx = ParameterizedContext;

/**
 * The store went down while the session was saved: the application's answer is dropped (its
 * headers, cookies included, and a stream body) and the refusal is offered to `onRefused`, which
 * answers on a 503 with no body yet.
 */
async function storeUnavailable(ctx: Ctx): Promise<void> {
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  ctx.body = null; // destroys a stream body
  ctx.status = STORE_UNAVAILABLE.status;
  const handler = refusalHandlerOf<KoaRefusalHandler | "throw">(ctx.session);
  await answerKoaRefusal(STORE_UNAVAILABLE_REFUSAL, ctx, handler);
}

export const KOA_END: ResponseEnd<Ctx> = {
  addHeaders: (ctx, headers) => {
    ctx.append("set-cookie", headers.setCookie);
    ctx.set("cache-control", headers.cacheControl);
    if (headers.clearSiteData !== null) ctx.set("clear-site-data", headers.clearSiteData);
    for (const name in headers.extraHeaders) ctx.set(name, headers.extraHeaders[name] as string);
  },
  cacheControl: (ctx) => joinedHeader(ctx.res.getHeader("cache-control")),
  setCacheControl: (ctx, value) => ctx.set("cache-control", value),
  send: () => {},
  storeUnavailable,
  // Thrown errors (e.g. cookie-too-large) reach the application's error middleware, or Koa's.
  fail: (_ctx, error) => {
    throw error;
  },
};
