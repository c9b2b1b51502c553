// A lenient reader for one Set-Cookie header value that keeps everything the checks judge:
// attribute names in their original case, repeated attributes, values browsers would ignore.
// (Libraries such as set-cookie-parser normalise these away, which is right for a client and
// wrong for an auditor.) Never throws: hostile headers are data.

export interface RawAttribute {
  /** As sent, e.g. "samesite" or "SameSite". */
  name: string;
  /** Undefined for a flag such as `Secure`. */
  value: string | undefined;
}

export interface SetCookie {
  name: string;
  value: string;
  attributes: RawAttribute[];
  /** The header as received, for evidence (redact before printing). */
  raw: string;
}

/** Parses one Set-Cookie header; undefined when it has no `name=value` pair (browsers ignore those). */
export function parseSetCookie(header: string): SetCookie | undefined {
  if (typeof header !== "string") return undefined;
  const parts = header.split(";");
  const pair = parts[0] ?? "";
  const eq = pair.indexOf("=");
  // RFC 6265bis 5.7: a pair without "=" is a cookie with an empty name; we skip it.
  if (eq < 0) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = stripQuotes(pair.slice(eq + 1).trim());
  if (name === "" && value === "") return undefined;
  const attributes: RawAttribute[] = [];
  for (const part of parts.slice(1)) {
    const at = part.indexOf("=");
    const attrName = (at < 0 ? part : part.slice(0, at)).trim();
    if (attrName === "") continue;
    attributes.push({ name: attrName, value: at < 0 ? undefined : part.slice(at + 1).trim() });
  }
  return { name, value, attributes, raw: header };
}

function stripQuotes(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Every occurrence of an attribute, matched case-insensitively (RFC 6265bis 5.7). */
export function attributeValues(cookie: SetCookie, name: string): (string | undefined)[] {
  const lower = name.toLowerCase();
  return cookie.attributes.filter((a) => a.name.toLowerCase() === lower).map((a) => a.value);
}

export function hasAttribute(cookie: SetCookie, name: string): boolean {
  return attributeValues(cookie, name).length > 0;
}

/** The attribute's effective value: browsers use the last occurrence. */
export function lastAttribute(cookie: SetCookie, name: string): string | undefined {
  const values = attributeValues(cookie, name);
  return values.length === 0 ? undefined : (values[values.length - 1] ?? "");
}

/**
 * Lifetime in seconds from now: Max-Age wins over Expires (RFC 6265bis 5.7.2); undefined for a
 * non-persistent cookie; ≤ 0 for a cookie being deleted.
 */
export function lifetimeSeconds(cookie: SetCookie, now: number): number | undefined {
  const maxAge = lastAttribute(cookie, "max-age");
  if (maxAge !== undefined && /^-?\d+$/.test(maxAge)) return Number(maxAge);
  const expires = lastAttribute(cookie, "expires");
  if (expires !== undefined) {
    const at = Date.parse(expires);
    if (!Number.isNaN(at)) return Math.round((at - now) / 1000);
  }
  return undefined;
}

/** Shows a Set-Cookie header with its value cut to 4 characters and a length. */
export function redactSetCookie(cookie: SetCookie): string {
  const attrs = cookie.attributes.map((a) =>
    a.value === undefined ? a.name : `${a.name}=${clip(a.value, 80)}`,
  );
  return [`${clip(cookie.name, 60)}=${redact(cookie.value)}`, ...attrs].join("; ");
}

/** First 4 characters and the length: enough to recognise a value, never enough to use it. */
export function redact(value: string): string {
  if (value.length <= 4)
    return value.length === 0 ? "(empty)" : `${"*".repeat(value.length)} (${value.length} chars)`;
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
