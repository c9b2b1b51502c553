/**
 * Every error latchkey throws on purpose. `code` is stable: branch on it, never on the message.
 *
 * Configuration codes are thrown by `createSessions()` at startup, with a message that names the fix.
 * Runtime codes are rare by design: hostile input is never an error (it is "no session" plus an
 * event); these are programming mistakes or an unavailable store.
 */
export type LatchkeyErrorCode =
  // configuration (thrown at startup)
  | "config-invalid"
  | "secret-missing"
  | "secret-too-short"
  | "secret-weak"
  | "samesite-none-insecure"
  | "secure-disabled-in-production"
  | "cookie-name-invalid"
  | "cookie-prefix-invalid"
  | "duration-invalid"
  | "timeout-order"
  | "lifetime-too-long"
  | "preset-unknown"
  // programming mistakes (thrown where the call is made)
  | "argument-invalid"
  | "mount-order"
  | "session-foreign"
  | "session-not-saved"
  // runtime
  | "cookie-too-large"
  | "csrf-refused"
  | "session-limit"
  | "not-authenticated"
  | "not-supported"
  | "session-ended"
  | "session-revoked"
  | "session-value-invalid"
  | "flask-value-invalid"
  | "store-unavailable";

export class LatchkeyError extends Error {
  override name = "LatchkeyError";
  readonly code: LatchkeyErrorCode;

  constructor(code: LatchkeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a LatchkeyError, optionally with the given code. */
export function isLatchkeyError(error: unknown, code?: LatchkeyErrorCode): error is LatchkeyError {
  return error instanceof LatchkeyError && (code === undefined || error.code === code);
}
