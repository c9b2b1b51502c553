// base64url without padding (RFC 4648 §5), decoded strictly.
//
// Node's decoder is lenient: it skips characters outside the alphabet and ignores the unused
// low bits of the last character, so two different strings can decode to the same bytes. For
// anything a client sends us that would let a tampered value pass as the original; the strict
// decoder accepts exactly one spelling of each byte string.

const ALPHABET = /^[A-Za-z0-9_-]*$/;
const VALUES: Record<string, number> = Object.create(null);
for (const [i, c] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
].entries()) {
  VALUES[c] = i;
}

/** True when `text` uses only the base64url alphabet (no padding). */
export function isBase64url(text: string): boolean {
  return ALPHABET.test(text);
}

/** Decodes canonical, unpadded base64url; `null` for anything else. Never throws. */
export function decodeBase64urlStrict(text: string): Buffer | null {
  const rest = text.length % 4;
  if (rest === 1 || !ALPHABET.test(text)) return null;
  if (rest !== 0) {
    // The last character carries 2 (rest 2) or 4 (rest 3) bits of data; the rest must be zero.
    const last = VALUES[text[text.length - 1] as string] as number;
    const unusedMask = rest === 2 ? 0b1111 : 0b11;
    if ((last & unusedMask) !== 0) return null;
  }
  return Buffer.from(text, "base64url");
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
