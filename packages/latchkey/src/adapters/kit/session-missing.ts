import { LatchkeyError } from "../../core/errors.ts";

/**
 * A latchkey middleware found no session on the request: `sessionMiddleware` is mounted after
 * it, or not at all. `mount` shows the right order in the framework's own words.
 */
export function sessionMissing(middleware: string, mount: string): LatchkeyError {
  return new LatchkeyError(
    "mount-order",
    `${middleware} found no session on the request: ${mount} (sessionMiddleware first).`,
  );
}
