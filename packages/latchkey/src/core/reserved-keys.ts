import { LatchkeyError } from "./errors.ts";

// Session values the library keeps for itself, next to the application's. The device binding's
// public key (opt-in DBSC) is one: if the application could write it, a naive
// `for (k in body) session.set(k, body[k])` would let a request body unbind or rebind the session
// to an attacker's key. So `Session` refuses to write them and never shows them.

/** The reserved session value key holding the DBSC binding (see dbsc/binding.ts). */
export const BINDING_KEY = "latchkey.dbsc";

/** True for a key the application may neither read nor write through `Session`. */
export function isReservedKey(key: unknown): boolean {
  return key === BINDING_KEY;
}

/** Throws `argument-invalid` naming `method` when `key` is reserved. */
export function refuseReservedKey(method: string, key: string): void {
  if (!isReservedKey(key)) return;
  throw new LatchkeyError(
    "argument-invalid",
    `session.${method}(${JSON.stringify(key)}): this key is reserved by latchkey (device binding) and cannot be changed by the application.`,
  );
}
