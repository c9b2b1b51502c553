import type { ServerResponse } from "node:http";
import type { RequestInfo } from "../../core/engine.ts";
import { type DeviceBoundAnswer, deviceBoundAnswer } from "../../dbsc/answers.ts";
import { sendAnswer } from "./node-response.ts";
import { type Refusal, refusalOf } from "./refusals.ts";
import { answerResponse } from "./web-response.ts";

// Device-bound sessions (the `deviceBound` option) in adapter terms: when latchkey answers a
// request itself (the DBSC registration or refresh endpoint, or a bound session presented without
// its bound cookie), the answer replaces the application's response and the session is committed
// as for any other response. Without the option there is never an answer. A bound session
// refused for its missing bound cookie is a refusal like CSRF's: offered to `onRefused` first, so
// a page navigation can get a page. The endpoints' answers are for the browser's DBSC machinery
// only and always go out as they are.

/** The refusal for an answer that refuses a device-bound session, or null for an endpoint's answer. */
export function unboundRefusal(answer: DeviceBoundAnswer): Refusal | null {
  return answer.unbound === undefined ? null : refusalOf("device-bound", answer.unbound, answer);
}

/**
 * For node:http and Express: answers the request when latchkey does (a refusal through
 * `refused`, which offers it to `onRefused`) and says so.
 */
export function sentDeviceBoundAnswer(
  res: ServerResponse,
  session: object,
  refused: (refusal: Refusal) => void,
): boolean {
  const answer = deviceBoundAnswer(session);
  if (answer === undefined) return false;
  const refusal = unboundRefusal(answer);
  if (refusal === null) sendAnswer(res, answer);
  else refused(refusal);
  return true;
}

/** For fetch-style adapters: the Response latchkey answers with, or undefined. */
export function deviceBoundResponse(
  session: object,
  refused: (refusal: Refusal) => Promise<Response>,
): Response | Promise<Response> | undefined {
  const answer = deviceBoundAnswer(session);
  if (answer === undefined) return undefined;
  const refusal = unboundRefusal(answer);
  return refusal === null ? answerResponse(answer) : refused(refusal);
}

/** A WHATWG `Request` as `RequestInfo`, with what the DBSC endpoints read. */
export function webRequestInfo(request: Request): RequestInfo {
  const headers = request.headers;
  return {
    cookie: headers.get("cookie"),
    userAgent: headers.get("user-agent"),
    method: request.method,
    url: request.url,
    header: (name) => headers.get(name),
  };
}
