import type { Refusal } from "./refusals.ts";
import { answerResponse } from "./web-response.ts";

// The Hono and fetch `onRefused`: the application returns its own Response (an HTML page), or
// nothing for latchkey's answer.

/**
 * Returns the application's answer to `refusal`, else latchkey's. A handler that fails gets
 * latchkey's answer too: the request stays refused either way.
 */
export async function refusalResponse<C>(
  refusal: Refusal,
  context: C,
  handler:
    | ((refusal: Refusal, context: C) => Response | undefined | Promise<Response | undefined>)
    | undefined,
): Promise<Response> {
  let own: Response | undefined;
  try {
    own = handler === undefined ? undefined : await handler(refusal, context);
  } catch {
    own = undefined;
  }
  return own ?? answerResponse(refusal.answer);
}
