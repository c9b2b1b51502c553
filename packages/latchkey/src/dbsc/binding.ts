import type { RequestState } from "../core/state.ts";
import { type ProofAlgorithm, type PublicJwk, publicJwkFor } from "./jwk.ts";

// A session's device binding lives with the session itself, under one reserved value key: in the
// store entry for server sessions, inside the sealed payload for cookie sessions. So it is
// carried by periodic rotation (same session, same `sid`), and ended by everything that ends the
// session (logout, revocation, expiry). It is tied to the session's `sid`, which login and
// reauthentication replace: a binding carried into a new login by `keepOnLogin` is inert and is
// dropped, and the new session is offered a registration of its own.

import { BINDING_KEY } from "../core/reserved-keys.ts";

/** The reserved session value key holding the binding; `Session` refuses to write or show it. */
export { BINDING_KEY };

export interface Binding {
  /** The DBSC session identifier the browser knows: random, not a credential. */
  readonly id: string;
  /** The `sid` of the session the key was registered for. */
  readonly sid: string;
  readonly alg: ProofAlgorithm;
  readonly jwk: PublicJwk;
}

const ID = /^[A-Za-z0-9_-]{22}$/;

/** The binding of the session as loaded, when it belongs to this session's `sid`. */
export function bindingOf(state: RequestState): Binding | null {
  const text = state.raw?.[BINDING_KEY];
  const sid = state.meta?.sid;
  if (text === undefined || sid === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const { id, sid: boundSid, alg, jwk } = value as Record<string, unknown>;
  if (typeof id !== "string" || !ID.test(id) || boundSid !== sid) return null;
  if (alg !== "ES256" && alg !== "RS256") return null;
  const key = publicJwkFor(jwk, alg);
  return key === null ? null : { id, sid, alg, jwk: key };
}

/** True when the session holds a binding that is not its own (carried over a login). */
export function holdsForeignBinding(state: RequestState): boolean {
  return state.has(BINDING_KEY) && state.meta !== null && bindingOf(state)?.sid !== state.meta.sid;
}
