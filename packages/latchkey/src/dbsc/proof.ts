import { constants, type KeyObject, verify } from "node:crypto";
import { decodeBase64urlStrict } from "../crypto/encoding.ts";
import type { ProofAlgorithm } from "./jwk.ts";
import { MAX_HEADER_LENGTH } from "./structured.ts";

// A DBSC proof (spec §"DBSC Proof JWT Syntax"): a compact JWS with `typ: "dbsc+jwt"`, signed by
// the browser's session key; the payload's `jti` is the server's challenge. The header carries the
// public key as `jwk` at registration (Chrome's first builds put it in a `key` claim instead).
// Every failure is a reason, never an exception: this runs on whatever a client sends.

export type ProofFailure = "malformed" | "algorithm-refused";

/** A proof whose shape is right; its signature is checked separately, against the right key. */
export interface ParsedProof {
  readonly alg: ProofAlgorithm;
  /** The key the proof says it was signed with (registration only); undefined when absent. */
  readonly jwk: unknown;
  readonly jti: string;
  readonly signingInput: string;
  readonly signature: Buffer;
}

const MAX_JTI_LENGTH = 256;

/** Parses a proof and checks its algorithm against `allowed`; nothing is verified yet. */
export function parseProof(
  text: string,
  allowed: readonly ProofAlgorithm[],
): ParsedProof | ProofFailure {
  if (text.length > MAX_HEADER_LENGTH) return "malformed";
  const first = text.indexOf(".");
  const second = first === -1 ? -1 : text.indexOf(".", first + 1);
  if (second === -1 || text.indexOf(".", second + 1) !== -1) return "malformed";
  const header = decodeJson(text.slice(0, first));
  const payload = decodeJson(text.slice(first + 1, second));
  const signature = decodeBase64urlStrict(text.slice(second + 1));
  if (header === null || payload === null || signature === null) return "malformed";
  if (header.typ !== "dbsc+jwt") return "malformed";
  const alg = header.alg;
  // "none", HS256 (a key the browser would have to share with us) and anything unlisted.
  if (typeof alg !== "string" || !(allowed as readonly string[]).includes(alg))
    return "algorithm-refused";
  const jti = payload.jti;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    return "malformed";
  return {
    alg: alg as ProofAlgorithm,
    jwk: header.jwk ?? payload.key,
    jti,
    signingInput: text.slice(0, second),
    signature,
  };
}

/** True when `proof` is signed by `key` with the proof's algorithm. */
export function signatureValid(proof: ParsedProof, key: KeyObject): boolean {
  try {
    if (proof.alg === "ES256") {
      // JWS ES256 signatures are r‖s, 32 bytes each (RFC 7518 §3.4), not DER.
      if (proof.signature.length !== 64 || key.asymmetricKeyType !== "ec") return false;
      return verify(
        "sha256",
        Buffer.from(proof.signingInput),
        { key, dsaEncoding: "ieee-p1363" },
        proof.signature,
      );
    }
    if (key.asymmetricKeyType !== "rsa") return false;
    return verify(
      "sha256",
      Buffer.from(proof.signingInput),
      { key, padding: constants.RSA_PKCS1_PADDING },
      proof.signature,
    );
  } catch {
    return false;
  }
}

function decodeJson(part: string): Record<string, unknown> | null {
  const bytes = decodeBase64urlStrict(part);
  if (bytes === null || bytes.length === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return null;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
