import type { ParameterizedContext } from "koa";
import { type Answer, STORE_UNAVAILABLE } from "./answers.ts";

// How latchkey writes its own answers on a Koa context.

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
