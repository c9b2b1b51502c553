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
