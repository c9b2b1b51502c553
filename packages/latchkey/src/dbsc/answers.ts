// What the DBSC endpoints and the enforcement answer instead of the application: plain values
// (the adapter kit renders them like its other answers, through the normal end of the request,
// so the session's own headers and store writes go with them).

/** A complete HTTP answer: status, headers and a body. Same shape as the adapter kit's `Answer`. */
export interface DeviceBoundAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /**
   * Set when this refuses a device-bound session presented without a live bound cookie (not for
   * the endpoints' own answers, which only the browser's DBSC machinery reads): adapters offer it
   * to the application's `onRefused`, so a page navigation can get a page.
   */
  readonly unbound?: UnboundReason;
  /** The refusal's reason (the one in its body), for the session event; absent on a success. */
  readonly reason?: DeviceBoundReason;
}

/** Why a device-bound session was refused before the application saw it. */
export type UnboundReason =
  | "bound-cookie-missing"
  | "bound-cookie-expired"
  | "bound-cookie-invalid";

/** Why a request was refused or a DBSC request failed. Never says more than which check. */
export type DeviceBoundReason =
  | "bound-cookie-missing"
  | "bound-cookie-expired"
  | "bound-cookie-invalid"
  | "no-session"
  | "already-bound"
  | "session-id-mismatch"
  | "proof-missing"
  | "proof-malformed"
  | "algorithm-refused"
  | "key-invalid"
  | "signature-invalid"
  | "challenge-invalid"
  | "too-many-challenges";

// A cache must never keep or replay any of these; the refresh endpoint must not be framed.
const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
} as const;

export function jsonAnswer(
  status: number,
  body: unknown,
  extra: Readonly<Record<string, string>> = {},
): DeviceBoundAnswer {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) };
}

/** A refusal: `{ "error": "device-bound-refused", "reason": … }`. */
export function refusedAnswer(
  status: number,
  reason: DeviceBoundReason,
  extra?: Readonly<Record<string, string>>,
): DeviceBoundAnswer {
  return { ...jsonAnswer(status, { error: "device-bound-refused", reason }, extra), reason };
}

// The answer a session's request gets instead of the application's, set while the session loads.
const answers = new WeakMap<object, DeviceBoundAnswer>();

export function setDeviceBoundAnswer(session: object, answer: DeviceBoundAnswer): void {
  answers.set(session, answer);
}

/**
 * @internal For adapters: the answer latchkey gives this request instead of calling the
 * application (a DBSC registration or refresh, or a device-bound session presented without its
 * bound cookie), or undefined. Render it as the response; the session is committed as usual.
 */
export function deviceBoundAnswer(session: object): DeviceBoundAnswer | undefined {
  return answers.get(session);
}
