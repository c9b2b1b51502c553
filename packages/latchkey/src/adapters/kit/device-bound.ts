import type { ServerResponse } from "node:http";
import type { RequestInfo } from "../../core/engine.ts";
import { deviceBoundAnswer } from "../../dbsc/answers.ts";
import { sendAnswer } from "./node-response.ts";
import { answerResponse } from "./web-response.ts";

// Device-bound sessions (the `deviceBound` option) in adapter terms: when latchkey answers a
// request itself (the DBSC registration or refresh endpoint, or a bound session presented without
// its bound cookie), the answer replaces the application's response and the session is committed
// as for any other response. Without the option there is never an answer.

/** For node:http and Express: writes the answer (through the hooked end()) and says so. */
export function sentDeviceBoundAnswer(res: ServerResponse, session: object): boolean {
  const answer = deviceBoundAnswer(session);
  if (answer === undefined) return false;
  sendAnswer(res, answer);
  return true;
}

/** For fetch-style adapters: the Response latchkey answers with, or undefined. */
export function deviceBoundResponse(session: object): Response | undefined {
  const answer = deviceBoundAnswer(session);
  return answer === undefined ? undefined : answerResponse(answer);
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
