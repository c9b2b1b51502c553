import { createHmac, hash } from "node:crypto";
import { equalBytes } from "../crypto/constant-time.ts";
import { isBase64url } from "../crypto/encoding.ts";
import type { KeyRing } from "../crypto/keys.ts";
import { randomBytesPooled } from "../crypto/random.ts";
import { BoundedMap } from "./bounded-map.ts";

// A server-side session token is `<id>.<secret>`, both base64url:
//   id     = 16 random bytes ‖ first 8 bytes of HMAC-SHA256(tokenKey, those 16 bytes)  → 32 chars
//   secret = 33 random bytes                                                           → 44 chars
// 16 + 33 = 49 random bytes: 392 bits from the CSPRNG (≥ 256 asked for, ASVS 5.0 7.2.3 needs 128).
// Both lengths are multiples of 3 bytes, so each encoding has no spare bits: one spelling only.
//
// The MAC on the id lets us refuse forged, flipped or invented ids before touching the store
// (no round trip for garbage, and "tampered" is told apart from "expired or revoked"). The store
// is keyed by a hash of the id and keeps only a hash of the secret: a dumped store can neither be
// replayed as cookies nor linked to the cookies in logs.
const ID_RANDOM_BYTES = 16;
const ID_MAC_BYTES = 8;
const SECRET_BYTES = 33;
const ID_CHARS = 32;
const SECRET_CHARS = 44;
export const TOKEN_LENGTH = ID_CHARS + 1 + SECRET_CHARS;

export interface IssuedToken {
  /** The cookie value. Never logged, never stored. */
  readonly token: string;
  /** Store key: a hash of the id. Safe to log and to show as a session reference. */
  readonly ref: string;
  /** SHA-256 of the secret, base64url: what the store keeps to verify the token. */
  readonly secretHash: string;
}

export type ParsedToken =
  | {
      readonly ok: true;
      readonly ref: string;
      readonly secret: string;
      /**
       * The id was minted under a configured secret other than the newest: the session should be
       * re-issued under the newest one before the old secret is removed from the configuration.
       */
      readonly underOlderSecret: boolean;
    }
  | { readonly ok: false; readonly reason: "malformed" | "bad-mac" };

function idMac(key: Buffer, random: Buffer): Buffer {
  return createHmac("sha256", key).update(random).digest().subarray(0, ID_MAC_BYTES);
}

// One-shot hashing (crypto.hash) costs a fraction of createHash() on this per-request path.

function refFor(id: string): string {
  // The first 24 bytes of the digest: exactly the first 32 base64url characters.
  return hash("sha256", id, "base64url").slice(0, 32);
}

export function hashSecret(secret: string): string {
  return hash("sha256", secret, "base64url");
}

export interface TokenCodec {
  issue(): IssuedToken;
  /**
   * Checks a token's shape and the MAC on its id, before any store lookup. Ids the server did
   * not mint (under any configured secret) never get as far as the store.
   */
  parse(token: string): ParsedToken;
}

// Verifying an id costs an HMAC and a hash (several microseconds with OpenSSL 3 on small
// machines, the largest part of a read-only request). The outcome depends only on the id and
// the key ring, so ids that verified are remembered, bounded, oldest first out. Only ids are kept:
// they are not credentials (the secret half of the token is), and forged ids never get in. Ids
// minted under an older secret are not remembered: they are presented a few times at most, until
// the session is re-issued under the newest secret.
const VERIFIED_IDS_KEPT = 10_000;

export function tokenCodec(keys: KeyRing): TokenCodec {
  const verified = new BoundedMap<string, string>(VERIFIED_IDS_KEPT);

  return {
    issue() {
      const random = randomBytesPooled(ID_RANDOM_BYTES);
      const id = Buffer.concat([random, idMac(keys.primary.tokenKey, random)]).toString(
        "base64url",
      );
      const secret = randomBytesPooled(SECRET_BYTES).toString("base64url");
      const ref = refFor(id);
      verified.set(id, ref);
      return { token: `${id}.${secret}`, ref, secretHash: hashSecret(secret) };
    },

    parse(token) {
      if (token.length !== TOKEN_LENGTH || token.charCodeAt(ID_CHARS) !== 0x2e /* . */) {
        return { ok: false, reason: "malformed" };
      }
      const id = token.slice(0, ID_CHARS);
      const secret = token.slice(ID_CHARS + 1);
      if (!isBase64url(secret)) return { ok: false, reason: "malformed" };
      const known = verified.get(id);
      if (known !== undefined) return { ok: true, ref: known, secret, underOlderSecret: false };
      if (!isBase64url(id)) return { ok: false, reason: "malformed" };
      const idBytes = Buffer.from(id, "base64url");
      const random = idBytes.subarray(0, ID_RANDOM_BYTES);
      const mac = idBytes.subarray(ID_RANDOM_BYTES);
      for (const key of keys.all) {
        if (equalBytes(mac, idMac(key.tokenKey, random))) {
          const ref = refFor(id);
          const underOlderSecret = key !== keys.primary;
          if (!underOlderSecret) verified.set(id, ref);
          return { ok: true, ref, secret, underOlderSecret };
        }
      }
      return { ok: false, reason: "bad-mac" };
    },
  };
}

/** Constant-time check of a presented secret against the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = hash("sha256", secret, "buffer");
  return equalBytes(presented, Buffer.from(storedHash, "base64url"));
}

/** A random, stable session id (not a credential): see `SessionMeta.sid`. */
export function newSessionId(): string {
  return randomBytesPooled(16).toString("base64url");
}
