import { createHmac } from "node:crypto";
import { LatchkeyError } from "../core/errors.ts";
import { equalBytes } from "../crypto/constant-time.ts";
import { decodeBase64urlStrict, encodeBase64url } from "../crypto/encoding.ts";
import { randomBytesPooled } from "../crypto/random.ts";

// Session-bound CSRF tokens (OWASP CSRF cheat sheet, "Synchronizer Token" and "Signed Double-Submit
// Cookie"; ASVS 5.0 3.5.1).
//
// The secret part is HMAC-SHA256(csrfKey, binding): 256 bits, nothing stored anywhere, and it
// changes whenever the binding does (login, reauthentication), so a token captured before login
// is worthless after it. What a page carries is that secret XOR-masked with a fresh random pad,
// `pad ‖ (pad ⊕ secret)`: every response shows different bytes, so a compression oracle (BREACH)
// has no repeated secret to recover. Only the masked form is accepted, so the unmasked secret
// is never a valid token on its own.

const SECRET_BYTES = 32;
/** Length of a masked token: base64url of 64 bytes, without padding. */
export const CSRF_TOKEN_LENGTH = 86;
const LABEL = "latchkey/csrf/v1\0";

/** The unmasked per-binding secret. Never sent anywhere: only `maskCsrfSecret` output is. */
export function csrfSecret(key: Uint8Array, binding: string): Buffer {
  return createHmac("sha256", key).update(LABEL).update(binding).digest();
}

/** `pad ‖ (pad ⊕ secret)` with a fresh pad, base64url: different text on every call. */
export function maskCsrfSecret(secret: Uint8Array): string {
  const out = randomBytesPooled(SECRET_BYTES * 2);
  for (let i = 0; i < SECRET_BYTES; i++) {
    out[SECRET_BYTES + i] = (out[i] as number) ^ (secret[i] as number);
  }
  return encodeBase64url(out);
}

/** The secret inside a masked token, or null when `token` is not one (wrong length or alphabet). */
export function unmaskCsrfToken(token: string): Buffer | null {
  if (token.length !== CSRF_TOKEN_LENGTH) return null;
  const bytes = decodeBase64urlStrict(token);
  if (bytes === null || bytes.length !== SECRET_BYTES * 2) return null;
  const secret = Buffer.alloc(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++) {
    secret[i] = (bytes[i] as number) ^ (bytes[SECRET_BYTES + i] as number);
  }
  return secret;
}

/**
 * A new masked token for `binding` (a session's `sid`, or a pre-session value), signed with
 * `key` (the newest secret's `csrfKey`).
 */
export function issueCsrfToken(key: Uint8Array, binding: string): string {
  return maskCsrfSecret(csrfSecret(key, binding));
}

/**
 * True when `token` is a masked token for `binding` under one of `keys` (newest first; older
 * secrets keep forms that were rendered before a secret rotation working). Constant time in
 * the token's content; hostile input is `false`, never an exception.
 */
export function verifyCsrfToken(
  keys: readonly Uint8Array[],
  binding: string,
  token: unknown,
): boolean {
  if (typeof token !== "string" || binding.length === 0) return false;
  const presented = unmaskCsrfToken(token);
  if (presented === null) return false;
  let ok = false;
  // Every key is tried, so the time taken does not say which one matched.
  for (const key of keys) {
    if (equalBytes(presented, csrfSecret(key, binding))) ok = true;
  }
  return ok;
}

/** Issues and verifies CSRF tokens with one configuration's keys. Created once per `createSessions()`. */
export interface CsrfTokens {
  issue(binding: string): string;
  verify(binding: string, token: unknown): boolean;
}

export function csrfTokens(keys: {
  readonly all: readonly { readonly csrfKey: Buffer }[];
}): CsrfTokens {
  const all = keys.all.map((key) => key.csrfKey);
  const primary = all[0];
  if (primary === undefined) {
    throw new LatchkeyError("config-invalid", "CSRF tokens need at least one secret.");
  }
  return {
    issue: (binding) => issueCsrfToken(primary, binding),
    verify: (binding, token) => verifyCsrfToken(all, binding, token),
  };
}
