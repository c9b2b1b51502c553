import { hkdfSync } from "node:crypto";
import { LatchkeyError } from "../core/errors.ts";
import { encodeBase64url } from "./encoding.ts";

/**
 * Keys derived from one configured secret. Every purpose gets its own HKDF `info` label, so a
 * key used to seal cookies is never also used to MAC token ids or CSRF tokens.
 */
export interface SessionKey {
  /** Short public id carried in sealed cookies so the right key is tried first. */
  readonly id: string;
  /** AES-256-GCM key for sealed cookie sessions. */
  readonly sealKey: Buffer;
  /** HMAC-SHA256 key that authenticates server-side token ids before any store lookup. */
  readonly tokenKey: Buffer;
  /** HMAC-SHA256 key for CSRF tokens. */
  readonly csrfKey: Buffer;
}

/** The configured secrets as keys: the first seals and signs, the rest only open and verify. */
export interface KeyRing {
  readonly primary: SessionKey;
  readonly all: readonly SessionKey[];
  readonly byId: ReadonlyMap<string, SessionKey>;
}

// The secrets are high-entropy (≥ 32 bytes, checked at startup), so HKDF's extract step needs no
// salt (RFC 5869 §3.1); the labels below separate the purposes.
const NO_SALT = Buffer.alloc(0);

function derive(secret: string, label: string, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, NO_SALT, `latchkey/v1/${label}`, length));
}

export function deriveKey(secret: string): SessionKey {
  return {
    id: encodeBase64url(derive(secret, "key-id", 6)),
    sealKey: derive(secret, "seal", 32),
    tokenKey: derive(secret, "token-id", 32),
    csrfKey: derive(secret, "csrf", 32),
  };
}

export function deriveKeyRing(secrets: readonly string[]): KeyRing {
  const all = secrets.map(deriveKey);
  const primary = all[0];
  if (primary === undefined)
    throw new LatchkeyError("secret-missing", "latchkey: deriveKeyRing needs at least one secret");
  return { primary, all, byId: new Map(all.map((key) => [key.id, key])) };
}
