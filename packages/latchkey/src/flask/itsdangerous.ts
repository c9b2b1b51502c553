// itsdangerous' TimestampSigner as Flask configures it: key = HMAC-SHA1(secret, salt) (the
// "hmac" key derivation), signature = HMAC-SHA1(key, "<payload>.<timestamp>"), all parts
// unpadded base64url, timestamp a big-endian integer of minimal length.
import { createHmac, timingSafeEqual } from "node:crypto";

export type SecretKey = string | Uint8Array;

export function deriveKey(secret: SecretKey, salt: string): Buffer {
  return createHmac("sha1", toBytes(secret)).update(salt, "utf8").digest();
}

export function signature(key: Buffer, value: string): string {
  return createHmac("sha1", key).update(value, "latin1").digest("base64url");
}

export function encodeTimestamp(seconds: number): string {
  let n = BigInt(Math.floor(seconds));
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return Buffer.from(bytes).toString("base64url");
}

export function decodeTimestamp(text: string): number | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  if (bytes.length > 8) return undefined;
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

/** Constant-time check of a base64url signature against the expected MAC. */
export function signatureMatches(key: Buffer, value: string, sig: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(sig)) return false;
  const given = Buffer.from(sig, "base64url");
  const expected = createHmac("sha1", key).update(value, "latin1").digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function toBytes(secret: SecretKey): Buffer {
  return typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
}
