import { createCipheriv, createDecipheriv } from "node:crypto";
import { decodeBase64urlStrict, encodeBase64url } from "./encoding.ts";
import { randomBytesPooled } from "./random.ts";

// AES-256-GCM with a random 96-bit IV per message (NIST SP 800-38D §8.2.2: random IVs are safe
// for well under 2^32 messages per key; rotate secrets long before that) and a full 128-bit tag.
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and authenticates `plaintext` (as UTF-8), binding `aad`; returns base64url(iv ‖ ciphertext ‖ tag). */
export function seal(key: Buffer, aad: Buffer, plaintext: string): string {
  const iv = randomBytesPooled(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  // Text goes straight to the cipher: no intermediate Buffer per message.
  const body = cipher.update(plaintext, "utf8");
  cipher.final(); // no bytes for GCM, a stream mode: it computes the tag
  return encodeBase64url(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Opens a value made by `seal`; `null` when it is malformed, tampered or sealed with another key. */
export function open(key: Buffer, aad: Buffer, sealed: string): Buffer | null {
  const bytes = decodeBase64urlStrict(sealed);
  if (bytes === null || bytes.length < IV_BYTES + TAG_BYTES) return null;
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(body);
    // final() checks the tag and, GCM being a stream mode, adds no bytes: no copy to join them.
    const rest = decipher.final();
    return rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest]);
  } catch {
    // GCM reports a failed tag check by throwing; to a caller it is just "does not open".
    return null;
  }
}
