import type { CsrfRefusal } from "../../csrf/reasons.ts";
import { type Answer, csrfRefusal, STORE_UNAVAILABLE } from "./answers.ts";

// Every request latchkey answers instead of the application (a CSRF refusal, a step-up refusal,
// a store that is down) is first offered to the application's `onRefused` option, so a browser
// that posted an HTML form can get an HTML page. The refusal carries latchkey's own answer, which
// is sent when the application leaves the request to it. Each adapter calls the handler in its
// framework's terms; what a refusal is and says is decided here, once.

/** What refused the request. */
export type RefusalKind = "csrf" | "fresh-auth" | "store-unavailable" | "device-bound";

/**
 * A request latchkey refused, as `onRefused` receives it.
 *
 * @example
 * ```ts
 * sessionMiddleware(sessions, {
 *   onRefused: (refusal, req, res, next) =>
 *     refusal.kind === "csrf" ? res.status(refusal.status).render("expired-form") : next(),
 * });
 * ```
 */
export interface Refusal {
  readonly kind: RefusalKind;
  /** 403 (CSRF, step-up, a device-bound session without its bound cookie), 413 or 408 (a form body too large or too slow), 503 (store down). */
  readonly status: number;
  /** `EBADCSRFTOKEN` (the code csurf used), `fresh-auth-required`, `store-unavailable` or `device-unbound`. */
  readonly code: "EBADCSRFTOKEN" | "fresh-auth-required" | "store-unavailable" | "device-unbound";
  /** Why: a CSRF reason (`cross-site`, `token-invalid`, …), `not-authenticated`, `reauthentication-required`, `store-unavailable`, or for `device-unbound` `bound-cookie-missing`, `-expired` or `-invalid`. */
  readonly reason: string;
  /** What latchkey answers when the application does not. */
  readonly answer: Answer;
}

const CODES = {
  csrf: "EBADCSRFTOKEN",
  "fresh-auth": "fresh-auth-required",
  "store-unavailable": "store-unavailable",
  "device-bound": "device-unbound",
} as const;

export function refusalOf(kind: RefusalKind, reason: string, answer: Answer): Refusal {
  return { kind, status: answer.status, code: CODES[kind], reason, answer };
}

export function csrfRefused(reason: CsrfRefusal): Refusal {
  return refusalOf("csrf", reason, csrfRefusal(reason));
}

export const STORE_UNAVAILABLE_REFUSAL: Refusal = Object.freeze(
  refusalOf("store-unavailable", "store-unavailable", STORE_UNAVAILABLE),
);

/**
 * A refusal as an error for a framework's error handler: `status`, `statusCode` and `expose` as
 * http-errors sets them, `code` and `reason` as the refusal says.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.code === "EBADCSRFTOKEN") return res.status(403).send("This form has expired; reload the page.");
 *   next(err);
 * });
 * ```
 */
export class RefusalError extends Error {
  readonly status: number;
  readonly statusCode: number;
  readonly code: Refusal["code"];
  readonly reason: string;
  /** The message is safe to show: it names the reason, never a token. */
  readonly expose = true;
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(`latchkey refused the request: ${refusal.code} (${refusal.reason})`);
    this.name = "RefusalError";
    this.status = refusal.status;
    this.statusCode = refusal.status;
    this.code = refusal.code;
    this.reason = refusal.reason;
    this.refusal = refusal;
  }
}

// `onRefused` is given once, to sessionMiddleware; the CSRF and step-up middlewares find it
// through the request's session.
const handlers = new WeakMap<object, unknown>();

export function rememberRefusalHandler(session: object, handler: unknown): void {
  if (handler !== undefined) handlers.set(session, handler);
}

export function refusalHandlerOf<H>(session: object): H | undefined {
  return handlers.get(session) as H | undefined;
}
