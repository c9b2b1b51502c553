// The few RFC 9651 structured-field shapes DBSC uses, read and written for the values latchkey
// deals in (JWTs, challenges and ids: base64url and dots). Reading is bounded and linear and
// never throws: anything else is null.

/** Longest DBSC request header read at all: an RS256 proof with a 4096-bit JWK is about 1.5 KiB. */
export const MAX_HEADER_LENGTH = 8192;

// sf-string characters (RFC 9651 §3.3.3): printable ASCII; `"` and `\` only escaped.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]$/;
// Chrome builds from before the structured-field headers sent the bare JWT.
const BARE_TOKEN = /^[A-Za-z0-9_\-.]+$/;

/**
 * The string of a header holding one sf-string (parameters after it are ignored, as the spec
 * asks), or a bare token; null for anything else, or a header over `MAX_HEADER_LENGTH`.
 */
export function readStringHeader(value: string | null | undefined): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_HEADER_LENGTH)
    return null;
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  if (value[start] !== '"') {
    const bare = value.slice(start, end);
    return BARE_TOKEN.test(bare) ? bare : null;
  }
  let out = "";
  for (let i = start + 1; i < end; i++) {
    const c = value[i] as string;
    if (c === "\\") {
      const next = value[i + 1];
      if (next !== '"' && next !== "\\") return null;
      out += next;
      i++;
    } else if (c === '"') {
      const rest = value.slice(i + 1, end);
      return rest === "" || rest[0] === ";" ? out : null;
    } else if (PLAIN.test(c)) out += c;
    else return null;
  }
  return null;
}

/** `value` as an sf-string. Only called with base64url text, ids and paths (no `"` or `\`). */
export function sfString(value: string): string {
  return `"${value}"`;
}
