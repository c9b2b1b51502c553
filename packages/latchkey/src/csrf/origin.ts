import type { CsrfRefusal } from "./reasons.ts";

// Who sent a state-changing request: Fetch Metadata first, then Origin, then Referer
// (OWASP CSRF cheat sheet, "Fetch Metadata headers" and "Verifying Origin With Standard Headers";
// ASVS 5.0 3.5.3). Every comparison is an exact match of a serialized origin
// (`scheme://host[:port]`, RFC 6454 §6.1): "example.com.evil.test", "http://" for "https://" and
// another port are all different origins, never prefixes or suffixes of an allowed one.

/** The request headers the origin check reads (lower-case names), and the origin the request was sent to. */
export interface OriginFacts {
  secFetchSite: string | null | undefined;
  origin: string | null | undefined;
  referer: string | null | undefined;
}

export interface OriginPolicy {
  /** Configured origins; `same-site` requests pass only when their Origin is one of these. */
  readonly configured: ReadonlySet<string>;
  /** When nothing is configured, the request's own origin is the one allowed origin. */
  readonly deriveFromRequest: boolean;
  readonly allowMissing: boolean;
}

/** null: the request may proceed to the token check. */
export function checkOrigin(
  policy: OriginPolicy,
  facts: OriginFacts,
  requestOrigin: string | null,
): CsrfRefusal | null {
  const site = facts.secFetchSite?.trim().toLowerCase();
  if (site === "same-origin") return null;
  if (site === "cross-site") return "cross-site";
  if (site === "same-site") {
    // Sibling subdomains are trusted only when listed: the Origin must be a configured one.
    return facts.origin != null && policy.configured.has(facts.origin)
      ? null
      : "same-site-untrusted";
  }
  // "none" (the user typed, bookmarked or reloaded) and older browsers without Fetch Metadata
  // fall through to the Origin/Referer check; a value the spec does not define is refused.
  if (site !== undefined && site !== "" && site !== "none") return "fetch-metadata-invalid";

  const allowed = (origin: string) =>
    policy.configured.has(origin) ||
    (policy.deriveFromRequest && requestOrigin !== null && origin === requestOrigin);

  const origin = facts.origin?.trim();
  if (origin !== undefined && origin !== "") {
    // Privacy-sensitive contexts (sandboxed iframes, data: URLs, some redirects) send "null".
    if (origin === "null") return "origin-null";
    return allowed(origin) ? null : "origin-mismatch";
  }
  const referer = facts.referer?.trim();
  if (referer !== undefined && referer !== "") {
    const refererOrigin = originOf(referer);
    if (refererOrigin === null) return "referer-invalid";
    return allowed(refererOrigin) ? null : "referer-mismatch";
  }
  return policy.allowMissing ? null : "origin-missing";
}

/** `scheme://host[:port]` of an absolute http(s) URL, or null. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
    return parsed.origin;
  } catch {
    return null;
  }
}

/**
 * The origin a request was sent to. `forwarded` values (X-Forwarded-Proto / -Host) are used only
 * when the application said it runs behind a proxy that sets them; otherwise anybody could send
 * them to make a cross-site Origin look like ours.
 */
export function requestOriginOf(
  connection: { protocol: "http" | "https"; host: string | null | undefined },
  forwarded: { proto: string | null | undefined; host: string | null | undefined } | null,
): string | null {
  let protocol: string = connection.protocol;
  let host = connection.host;
  if (forwarded !== null) {
    const proto = firstValue(forwarded.proto)?.toLowerCase();
    if (proto === "http" || proto === "https") protocol = proto;
    host = firstValue(forwarded.host) ?? host;
  }
  if (host == null || host === "") return null;
  return originOf(`${protocol}://${host}`);
}

function firstValue(header: string | null | undefined): string | undefined {
  if (header == null) return undefined;
  const first = header.split(",", 1)[0]?.trim();
  return first === "" ? undefined : first;
}
