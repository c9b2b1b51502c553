// What a session cookie carries decides what a weakness costs. A random id points into state the
// server keeps: the server can revoke it, and its secret (if it is signed at all) protects only
// the id. Signed client-side data IS the session: whoever has the signing secret writes any
// session, for any user, and the server has nothing to revoke. Sealed client-side data is the
// same, except that nobody without the key can read it.
import { type ClientSession, clientSessionName } from "./client-session.ts";
import type { SignedFormat } from "./weak-secret.ts";

export type SessionArchitecture = "server-side-id" | "signed-client-data" | "sealed-client-data";

export interface ArchitectureVerdict {
  architecture: SessionArchitecture;
  /** How the report names it: "signed client-side data (flask)". */
  label: string;
  /** What it was recognised from. */
  basis: string;
}

export const ARCHITECTURE_NAMES: Record<SessionArchitecture, string> = {
  "server-side-id": "an id into server-side state",
  "signed-client-data": "signed client-side data",
  "sealed-client-data": "sealed client-side data",
};

/**
 * @param decoded the value read as a client-side session format, when it is one
 * @param signed the signed-cookie format its signature was recognised as, when it is signed
 */
export function classifySession(
  decoded: ClientSession | undefined,
  signed: SignedFormat | undefined,
): ArchitectureVerdict {
  if (decoded?.sealed)
    return verdict(
      "sealed-client-data",
      clientSessionName(decoded.format),
      "an encrypted session format",
    );
  if (decoded !== undefined)
    return verdict("signed-client-data", decoded.format, "the value decodes as session data");
  // Flask-Login's remember cookie is the user id and an HMAC of it: no server-side state at all.
  if (signed === "flask-login-remember")
    return verdict(
      "signed-client-data",
      "Flask-Login remember cookie",
      "the value is a user id signed with SECRET_KEY",
    );
  if (signed === "cookie-signature" || signed === "keygrip")
    return verdict(
      "server-side-id",
      signed === "cookie-signature" ? "express-session, signed id" : "signed id",
      "the value is a signed opaque id",
    );
  return verdict("server-side-id", "opaque id", "the value is not a known client-side format");
}

function verdict(
  architecture: SessionArchitecture,
  format: string,
  basis: string,
): ArchitectureVerdict {
  return { architecture, label: `${ARCHITECTURE_NAMES[architecture]} (${format})`, basis };
}

/** Client-side data carries no id: entropy and adoption of planted ids do not apply to it. */
export function isClientSide(a: SessionArchitecture): boolean {
  return a !== "server-side-id";
}
