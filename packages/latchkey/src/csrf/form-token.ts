import { type BodyKind, multipartBoundary } from "./content-type.ts";

// Finds the `_csrf` field in a form body as the bytes arrive, so an adapter can stop reading as
// soon as it has the token (multipart: the field should come first, before any file) and hand
// the untouched body on to the application. Only the token is extracted; nothing else is parsed.

export const FORM_FIELD = "_csrf";

/** Longer values are not tokens; no need to keep reading them. */
const MAX_FIELD_CHARS = 1024;

export interface FormTokenScanner {
  /** Adds bytes; returns the token once found, `undefined` while more bytes could still contain it. */
  push(chunk: Uint8Array): string | null | undefined;
  /**
   * No more bytes: the body ended, or the read limit was reached (`truncated`; a field cut off
   * by the limit does not count). The token, or null.
   */
  finish(truncated?: boolean): string | null;
}

/** A scanner for `kind`, or null when that kind of body cannot carry a `_csrf` field. */
export function formTokenScanner(kind: BodyKind, contentType: string): FormTokenScanner | null {
  if (kind === "urlencoded") return urlencodedScanner();
  if (kind === "multipart") {
    const boundary = multipartBoundary(contentType);
    return boundary === null ? null : multipartScanner(boundary);
  }
  return null;
}

// Both scanners do work proportional to the bytes pushed (each byte is searched a bounded number
// of times) and keep only what could still belong to the token: a hostile body of many tiny
// fields or one huge one costs a single pass, never a rescan per chunk.

function urlencodedScanner(): FormTokenScanner {
  // The field still being received (after the last "&"); everything before it was checked.
  let pending = "";
  let done = false;
  const check = (fields: string): string | undefined => {
    for (const pair of fields.split("&")) {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      // Only percent-escapes can spell "_csrf" differently, in at most 15 characters.
      const named =
        name === FORM_FIELD ||
        (name.length <= 15 && name.includes("%") && decodeFormComponent(name) === FORM_FIELD);
      if (!named) continue;
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      return value.length > MAX_FIELD_CHARS * 3 ? "" : decodeFormComponent(value);
    }
    return undefined;
  };
  return {
    push(chunk) {
      if (done) return null;
      const text = Buffer.from(chunk).toString("latin1");
      const lastAmp = text.lastIndexOf("&");
      if (lastAmp === -1) {
        pending += text;
        return undefined;
      }
      const found = check(pending + text.slice(0, lastAmp));
      pending = text.slice(lastAmp + 1);
      if (found !== undefined) done = true;
      return found;
    },
    finish(truncated = false) {
      if (done || truncated) return null;
      done = true;
      return check(pending) ?? null;
    },
  };
}

const MAX_PART_HEADERS = 8 * 1024;

function multipartScanner(boundary: string): FormTokenScanner {
  const delimiter = `--${boundary}`;
  const afterBreak = `\r\n${delimiter}`;
  // Unread input. Once a first delimiter is seen it always starts with the current part's
  // delimiter line; the bodies of parts that are not the token are dropped as they stream by.
  let text = "";
  let inParts = false;
  let result: string | null | undefined;

  const scan = (): string | null | undefined => {
    if (!inParts) {
      const at = text.startsWith(delimiter) ? -2 : text.indexOf(afterBreak);
      if (at === -1) {
        text = text.slice(-afterBreak.length); // the preamble cannot hold the token
        return undefined;
      }
      text = text.slice(at + 2);
      inParts = true;
    }
    for (;;) {
      const headersStart = text.indexOf("\r\n", delimiter.length);
      const headersEnd = headersStart === -1 ? -1 : text.indexOf("\r\n\r\n", headersStart);
      if (headersEnd === -1) return text.length > MAX_PART_HEADERS ? null : undefined;
      const valueStart = headersEnd + 4;
      const next = text.indexOf(afterBreak, valueStart);
      const isToken = isTokenPart(text.slice(headersStart + 2, headersEnd));
      if (isToken) {
        if (next !== -1) return text.slice(valueStart, next);
        return text.length - valueStart > MAX_FIELD_CHARS ? "" : undefined;
      }
      if (next === -1) {
        // Keep the part's headers and only a tail that could be the start of the next delimiter.
        const keepFrom = Math.max(valueStart, text.length - afterBreak.length);
        text = text.slice(0, valueStart) + text.slice(keepFrom);
        return undefined;
      }
      text = text.slice(next + 2);
    }
  };
  return {
    push(chunk) {
      if (result !== undefined) return result;
      text += Buffer.from(chunk).toString("latin1");
      result = scan();
      return result;
    },
    finish: () => result ?? null,
  };
}

function isTokenPart(headers: string): boolean {
  for (const line of headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== "content-disposition") {
      continue;
    }
    const match = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(line.slice(colon + 1));
    return (match?.[1] ?? match?.[2]) === FORM_FIELD;
  }
  return false;
}

/** application/x-www-form-urlencoded decoding ("+" is a space); malformed escapes give "". */
function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return "";
  }
}
