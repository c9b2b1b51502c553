// Which requests a cross-site page can send without a CORS preflight: GET and POST with no
// Content-Type or one of the three CORS-safelisted ones (Fetch standard, "CORS-safelisted request
// header"). Those are what an attacker's form or no-cors fetch produces, so they need a token.

export type BodyKind = "urlencoded" | "multipart" | "text" | "none" | "other";

/** The media type's kind, ignoring parameters and case. A value we cannot read counts as "text" (form-like). */
export function bodyKindOf(contentType: string | null | undefined): BodyKind {
  if (contentType == null) return "none";
  const media = mediaType(contentType);
  if (media === "") return "none";
  if (media === "application/x-www-form-urlencoded") return "urlencoded";
  if (media === "multipart/form-data") return "multipart";
  if (media === "text/plain") return "text";
  // Browsers parse the header leniently; anything without a type/subtype shape is treated as the
  // simplest (most dangerous) kind rather than as "some other API type".
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(media) ? "other" : "text";
}

/** True for what a cross-site form or no-cors fetch can send: the simple content types, or none on GET/POST. */
export function isFormLike(method: string, kind: BodyKind): boolean {
  if (kind === "none") return method === "POST" || method === "GET";
  return kind !== "other";
}

/** The `boundary` parameter of a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^";\s]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
