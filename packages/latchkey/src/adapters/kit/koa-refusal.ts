import type { ParameterizedContext } from "koa";
import { sendAnswer, sendStoreUnavailable } from "./koa-response.ts";
import { type Refusal, RefusalError } from "./refusals.ts";

/**
 * The Koa `onRefused`: answer on `ctx` (`ctx.body = page`, `ctx.redirect(…)`), or leave
 * `ctx.body` unset and latchkey sends its own answer.
 */
export type KoaRefusalHandler = (
  refusal: Refusal,
  ctx: ParameterizedContext,
) => void | Promise<void>;

/**
 * Offers `refusal` to `handler`, then sends latchkey's answer if the handler set no body.
 * `"throw"` throws a `RefusalError` instead, for the application's error middleware (or Koa's
 * own, which answers with its `status` and message). A handler that throws passes its error on.
 */
export async function answerKoaRefusal(
  refusal: Refusal,
  ctx: ParameterizedContext,
  handler: KoaRefusalHandler | "throw" | undefined,
): Promise<void> {
  if (handler === "throw") throw new RefusalError(refusal);
  if (handler !== undefined) {
    await handler(refusal, ctx);
    if (ctx.body != null || ctx.headerSent) return;
  }
  if (refusal.kind === "store-unavailable") sendStoreUnavailable(ctx);
  else sendAnswer(ctx, refusal.answer);
}

// The response headers a refused request must still carry: the session's expired cookie (and what
// goes with it) that the commit put on `ctx` before the refusal was thrown.
const KEPT_ON_ERROR = ["set-cookie", "clear-site-data", "cache-control"] as const;

/**
 * The `RefusalError` thrown under `onRefused: "throw"` once the session was committed on `ctx`.
 * Koa's own error response removes every header set so far, then sets the error's `headers`: so
 * they carry the commit's cookie lines, and a refused session's cookie is expired either way.
 * An application error middleware that catches it finds them on `ctx` as well.
 */
export function refusalErrorKeepingCookies(
  refusal: Refusal,
  ctx: ParameterizedContext,
): RefusalError & { headers: Record<string, string | string[]> } {
  const headers: Record<string, string | string[]> = {};
  for (const name of KEPT_ON_ERROR) {
    const value = ctx.response.get(name);
    if (value !== "" && value !== undefined) headers[name] = value as string | string[];
  }
  return Object.assign(new RefusalError(refusal), { headers });
}
