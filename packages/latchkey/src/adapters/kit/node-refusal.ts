import type { IncomingMessage, ServerResponse } from "node:http";
import { responseStarted, sendAnswer, sendStoreUnavailable } from "./node-response.ts";
import type { Refusal } from "./refusals.ts";

/**
 * The node:http `onRefused`: answer on `res` (an HTML page, a redirect), or leave `res` untouched
 * and latchkey sends its own answer.
 */
export type NodeRefusalHandler = (
  refusal: Refusal,
  req: IncomingMessage,
  res: ServerResponse,
) => void | Promise<void>;

/**
 * Offers `refusal` to `handler`, then sends latchkey's answer if the handler did not start one.
 * A handler that fails gets latchkey's answer too: the request stays refused either way.
 */
export function answerNodeRefusal(
  refusal: Refusal,
  req: IncomingMessage,
  res: ServerResponse,
  handler: NodeRefusalHandler | undefined,
): void {
  const fallback = () => {
    if (responseStarted(res)) return;
    if (refusal.kind === "store-unavailable") sendStoreUnavailable(res);
    else sendAnswer(res, refusal.answer);
  };
  if (handler === undefined) {
    fallback();
    return;
  }
  let result: void | Promise<void>;
  try {
    result = handler(refusal, req, res);
  } catch {
    fallback();
    return;
  }
  if (result === undefined) fallback();
  else Promise.resolve(result).then(fallback, fallback);
}
