// Client-side sessions: cookies whose value carries the session data itself. Signed ones (Flask,
// Django signed_cookies, cookie-session, JWT) anyone holding the cookie can read: we decode them
// to show which keys. Sealed ones (encrypted: iron-session, Rails, JWE, Fernet, ASP.NET Core)
// only name their format: unreadable, yet just as impossible to revoke at logout.
import { inflateSync } from "node:zlib";
import { decodeFlaskSession } from "latchkey/flask";
import { recogniseSealed, SEALED_FORMAT_NAMES, type SealedFormat } from "./sealed-formats.ts";

export type ClientSessionFormat =
  | "flask"
  | "django-signed"
  | "cookie-session"
  | "jwt"
  | SealedFormat;

export interface ClientSession {
  format: ClientSessionFormat;
  /** Encrypted: the client holds the data but cannot read it (`keys` is empty). */
  sealed: boolean;
  /** Top-level keys the client can read (never the values). */
  keys: string[];
}

/** How a report names a client-side session format. */
export function clientSessionName(format: ClientSessionFormat): string {
  if (format in SEALED_FORMAT_NAMES) return SEALED_FORMAT_NAMES[format as SealedFormat];
  return format;
}

const MAX_INFLATED = 256 * 1024;

/**
 * Decodes a cookie value as one of the known client-side session formats. `siblings` are the
 * other cookie names seen with it (cookie-session pairs `session` with `session.sig`).
 */
export function decodeClientSession(
  name: string,
  value: string,
  siblings: ReadonlySet<string>,
): ClientSession | undefined {
  const v = safeDecodeURIComponent(value);
  const sealed = recogniseSealed(v);
  if (sealed !== undefined) return { format: sealed, sealed: true, keys: [] };
  const readable = (format: ClientSessionFormat, keys: string[]): ClientSession => ({
    format,
    sealed: false,
    keys,
  });
  const jwt = decodeJwt(v);
  if (jwt !== undefined) return readable("jwt", jwt);
  const flask = decodeFlaskSession(v);
  if (flask !== undefined) return readable("flask", Object.keys(flask.data));
  const django = decodeDjangoSigned(v);
  if (django !== undefined) return readable("django-signed", django);
  if (siblings.has(`${name}.sig`)) {
    const data = parseObject(Buffer.from(v, "base64").toString("utf8"));
    if (data !== undefined) return readable("cookie-session", Object.keys(data));
  }
  return undefined;
}

/** JWT (JWS compact): `header.payload.signature`, header naming an alg. Returns payload keys. */
export function decodeJwt(value: string): string[] | undefined {
  const parts = value.split(".");
  if (
    parts.length !== 3 ||
    !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p)) ||
    !value.startsWith("eyJ")
  )
    return undefined;
  const header = parseObject(Buffer.from(parts[0]!, "base64url").toString("utf8"));
  if (header === undefined || typeof header.alg !== "string") return undefined;
  const payload = parseObject(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  return payload === undefined ? undefined : Object.keys(payload);
}

/** Django `signing.dumps`: `payload:timestamp:signature`, payload base64url JSON, "." = zlib. */
function decodeDjangoSigned(value: string): string[] | undefined {
  const parts = value.split(":");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const payload = parts[0]!;
  const compressed = payload.startsWith(".");
  const body = compressed ? payload.slice(1) : payload;
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  try {
    let bytes = Buffer.from(body, "base64url");
    if (compressed) bytes = inflateSync(bytes, { maxOutputLength: MAX_INFLATED });
    const data = parseObject(bytes.toString("utf8"));
    return data === undefined ? undefined : Object.keys(data);
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function safeDecodeURIComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
