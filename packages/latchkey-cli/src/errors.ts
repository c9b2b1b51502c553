// The one error type the CLI throws on purpose. The code says what went wrong in terms the
// command line can act on; every code ends the command with exit status 2 (the documented
// "usage or network error"), never with a finding.

/**
 * - `usage`: the command line itself is wrong (unknown option, missing argument).
 * - `input`: a file or value the user supplied is malformed (a login description, a wordlist).
 * - `network`: the target could not be reached, or a request failed or timed out.
 * - `active-check`: the active checks could not be carried out as described (the login did not
 *   work, a token was not where the description says, the request budget ran out).
 * - `install`: the package itself is broken (its package.json cannot be read).
 */
export type CliErrorCode = "usage" | "input" | "network" | "active-check" | "install";

/**
 * A deliberate failure of a `latchkey` command, with a stable code to branch on.
 *
 * @example
 * if (error instanceof CliError && error.code === "network") return cannotReach(error.message);
 */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.code = code;
  }
}

/** True when `error` is a `CliError`, with `code` among `codes` if given. */
export function isCliError(error: unknown, ...codes: CliErrorCode[]): error is CliError {
  return error instanceof CliError && (codes.length === 0 || codes.includes(error.code));
}
