import type { CsrfRefusal, CsrfRefusalBody } from "../../csrf/reasons.ts";

// Every answer an adapter gives in place of the application's response, as a plain value:
// each framework renders it once (node-response.ts, web-response.ts, fastify.ts).

/** A complete HTTP answer: status, headers and a body. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

// A refusal is about this request and this session: a cache must never replay it.
const REFUSAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
});

/** The one refusal shape (CSRF, step-up, body limits): a status and a JSON body saying why. */
export function refusal(status: number, body: { readonly error: string }): Answer {
  return { status, headers: REFUSAL_HEADERS, body: JSON.stringify(body) };
}

// A body that is too large or stops arriving is refused with the status that names the problem
// (RFC 9110 §15.5.14, §15.5.9), and the connection is closed: the rest of that body is never read.
const UNREAD_BODY: Partial<Record<CsrfRefusal, number>> = {
  "body-too-large": 413,
  "body-timeout": 408,
};
const CLOSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...REFUSAL_HEADERS,
  connection: "close",
});

/** The answer to a CSRF refusal: `{ "error": "csrf-refused", "reason": … }`, never the token. */
export function csrfRefusal(reason: CsrfRefusal): Answer {
  const body: CsrfRefusalBody = { error: "csrf-refused", reason };
  const status = UNREAD_BODY[reason];
  return status === undefined
    ? refusal(403, body)
    : { status, headers: CLOSE_HEADERS, body: JSON.stringify(body) };
}

/**
 * The store is down: the session's state is unknown, so the request may not proceed (fail
 * closed). `Retry-After` because the outage is usually brief.
 */
export const STORE_UNAVAILABLE: Answer = Object.freeze({
  status: 503,
  headers: Object.freeze({
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "retry-after": "5",
  }),
  body: "Service Unavailable: the session store is not reachable.\n",
});
