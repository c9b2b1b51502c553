import { createPublicKey, hash, type JsonWebKey, type KeyObject } from "node:crypto";

// The public key a browser sends at registration (RFC 7517 JWK), turned into a KeyObject that can
// only verify the algorithm it was registered for. Hostile input: every failure is null.

/** What DBSC proofs may be signed with (the spec also names "none", which proves nothing). */
export const PROOF_ALGORITHMS = ["ES256", "RS256"] as const;
export type ProofAlgorithm = (typeof PROOF_ALGORITHMS)[number];

/** The public members kept for a registered key: nothing else is stored. */
export type PublicJwk =
  | { readonly kty: "EC"; readonly crv: "P-256"; readonly x: string; readonly y: string }
  | { readonly kty: "RSA"; readonly n: string; readonly e: string };

// RSA keys below 2048 bits are refused (NIST SP 800-131A); above 8192 they only cost CPU.
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** The public part of `jwk` when it is a key `alg` can use, else null. Private members are refused. */
export function publicJwkFor(jwk: unknown, alg: ProofAlgorithm): PublicJwk | null {
  if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) return null;
  const members = jwk as Record<string, unknown>;
  // A key carrying its private part was not made by a browser's key store; never keep it.
  if ("d" in members || "p" in members || "q" in members) return null;
  if (alg === "ES256") {
    const { kty, crv, x, y } = members;
    if (kty !== "EC" || crv !== "P-256" || !isB64(x, 43) || !isB64(y, 43)) return null;
    return { kty, crv, x, y };
  }
  const { kty, n, e } = members;
  if (kty !== "RSA" || !isB64(n, 1366) || !isB64(e, 8)) return null;
  return { kty, n, e };
}

/** A verifying key for a stored public JWK, or null when it does not import or is out of bounds. */
export function keyObjectFor(jwk: PublicJwk): KeyObject | null {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
  } catch {
    return null;
  }
  if (jwk.kty === "EC") return key.asymmetricKeyType === "ec" ? key : null;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return key.asymmetricKeyType === "rsa" && bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS
    ? key
    : null;
}

function isB64(value: unknown, maxLength: number): value is string {
  return (
    typeof value === "string" && value.length > 0 && value.length <= maxLength && B64URL.test(value)
  );
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the required members, sorted, no whitespace. */
export function thumbprintOf(jwk: PublicJwk): string {
  const canonical =
    jwk.kty === "EC"
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return hash("sha256", canonical, "base64url");
}
