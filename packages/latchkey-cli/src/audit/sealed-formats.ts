// Sealed client-side sessions: the session data lives in the cookie, encrypted and
// authenticated. The client cannot read it, but it is still a client-side session: logout can
// only replace the browser's copy, and the value is ciphertext, not a random id, so measuring
// its entropy says nothing (a fresh IV makes every seal look random, whatever the data).
// Each recogniser checks the structure its library writes, not just a prefix, so an ordinary
// random id that happens to start with "gAAAAA" is not mistaken for one.

export type SealedFormat =
  | "iron-session"
  | "rails-encrypted"
  | "jwe"
  | "fernet"
  | "aspnet-data-protection";

/** How a report names each format. */
export const SEALED_FORMAT_NAMES: Record<SealedFormat, string> = {
  "iron-session": "iron-session (Fe26.2 iron seal)",
  "rails-encrypted": "Rails encrypted cookie (ActiveSupport::MessageEncryptor)",
  jwe: "JWE (encrypted JWT)",
  fernet: "Fernet token",
  "aspnet-data-protection": "ASP.NET Core Data Protection payload",
};

const B64URL = /^[A-Za-z0-9_-]+$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The sealed format of a (percent-decoded) cookie value, or undefined. */
export function recogniseSealed(decoded: string): SealedFormat | undefined {
  const value = decoded.replace(/^"|"$/g, "");
  if (isIronSeal(value)) return "iron-session";
  if (isJwe(value)) return "jwe";
  if (isFernet(value)) return "fernet";
  if (isDataProtection(value)) return "aspnet-data-protection";
  if (isRailsEncrypted(value)) return "rails-encrypted";
  return undefined;
}

// @hapi/iron and iron-webcrypto: "Fe26.2*<password id>*<salt>*<iv>*<ciphertext>*<expiry>*
// <hmac salt>*<hmac>"; iron-session appends "~<persistence version>".
function isIronSeal(value: string): boolean {
  if (!value.startsWith("Fe26.2*")) return false;
  const parts = value.replace(/~\d+$/, "").split("*");
  return (
    parts.length === 8 &&
    B64URL.test(parts[3]!) &&
    B64URL.test(parts[4]!) &&
    /^\d*$/.test(parts[5]!) &&
    B64URL.test(parts[7]!)
  );
}

// RFC 7516 7.1 compact serialisation: five base64url parts, a JOSE header naming `enc`.
// The encrypted key is empty for "dir".
function isJwe(value: string): boolean {
  const parts = value.split(".");
  if (parts.length !== 5 || !value.startsWith("eyJ")) return false;
  if (!parts.every((p, i) => (i === 1 ? /^[A-Za-z0-9_-]*$/ : B64URL).test(p))) return false;
  const header = jsonObject(Buffer.from(parts[0]!, "base64url").toString("utf8"));
  return typeof header?.enc === "string" && typeof header.alg === "string";
}

// Fernet spec: base64url(0x80 ‖ timestamp(8) ‖ IV(16) ‖ AES-128-CBC ciphertext ‖ HMAC-SHA256(32)).
function isFernet(value: string): boolean {
  if (!value.startsWith("gAAAAA") || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) return false;
  const bytes = Buffer.from(value, "base64url");
  const ciphertext = bytes.length - 1 - 8 - 16 - 32;
  return bytes[0] === 0x80 && ciphertext >= 16 && ciphertext % 16 === 0;
}

// ASP.NET Core IDataProtector.Protect: base64url(magic 09 F0 C9 F0 ‖ key id(16) ‖ key
// modifier(16) ‖ IV(16) ‖ AES-CBC ciphertext ‖ HMAC-SHA256(32)); the magic encodes as "CfDJ8".
function isDataProtection(value: string): boolean {
  if (!value.startsWith("CfDJ8") || !B64URL.test(value)) return false;
  const bytes = Buffer.from(value, "base64url");
  return bytes.readUInt32BE(0) === 0x09f0c9f0 && bytes.length >= 4 + 16 + 16 + 16 + 16 + 32;
}

// ActiveSupport::MessageEncryptor. AES-256-GCM (Rails ≥ 5.2): "<data>--<iv>--<auth tag>", each
// strict base64, IV 12 bytes, tag 16. AES-256-CBC (older): MessageVerifier-signed
// "<base64("<data>--<iv>")>--<hex HMAC>" with a 16-byte IV.
function isRailsEncrypted(value: string): boolean {
  const parts = value.split("--");
  if (parts.length === 3 && parts.every((p) => B64.test(p))) {
    return decodedLength(parts[1]!) === 12 && decodedLength(parts[2]!) === 16;
  }
  if (
    parts.length === 2 &&
    B64.test(parts[0]!) &&
    /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(parts[1]!)
  ) {
    const inner = Buffer.from(parts[0]!, "base64").toString("latin1").split("--");
    return (
      inner.length === 2 &&
      inner.every((p) => B64.test(p)) &&
      decodedLength(inner[1]!) === 16 &&
      decodedLength(inner[0]!) % 16 === 0
    );
  }
  return false;
}

function decodedLength(b64: string): number {
  return Buffer.from(b64, "base64").length;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
