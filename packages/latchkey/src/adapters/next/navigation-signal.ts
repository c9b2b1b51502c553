// redirect(), permanentRedirect(), notFound(), forbidden() and unauthorized() end a Server Action
// or a Route Handler by throwing. Next.js recognises what they throw by its `digest`, the string
// it also sends to the browser in the RSC payload (the client router follows a redirect by
// reading it), which is why its shape is the same in 15.5 and 16:
//   NEXT_REDIRECT;<replace|push>;<url>;<303|307|308>;
//   NEXT_HTTP_ERROR_FALLBACK;<401|403|404>
// Reading the digest here keeps latchkey/next off Next's internal modules (`next/dist/…`), and
// off `next/navigation`, which a Route Handler's bundle cannot always resolve. Only an error
// with exactly these shapes counts; anything else is an error, and nothing is saved. What counts
// here Next counts too (its check is looser: `Number(status)`, text after a fallback's status),
// and the Location is the URL as Next would send it, unchanged: an app that passes an untrusted
// URL to redirect() has an open redirect with or without latchkey, and latchkey adds none.

/** What a Next navigation function asked for, read from the error it threw. */
export type NavigationSignal =
  | { readonly kind: "redirect"; readonly location: string; readonly status: number }
  | { readonly kind: "http-fallback"; readonly status: number };

const REDIRECT_STATUSES = new Set(["303", "307", "308"]);
const FALLBACK_STATUSES = new Set(["401", "403", "404"]);

/** The navigation `error` stands for, or null when it is any other error. */
export function navigationSignal(error: unknown): NavigationSignal | null {
  if (typeof error !== "object" || error === null) return null;
  const digest: unknown = (error as { digest?: unknown }).digest;
  if (typeof digest !== "string") return null;
  if (digest.startsWith("NEXT_REDIRECT;")) {
    const parts = digest.split(";");
    const type = parts[1];
    const status = parts.at(-2) ?? "";
    // The URL may itself hold semicolons: everything between the type and the status.
    const location = parts.slice(2, -2).join(";");
    const wellFormed =
      parts.length >= 5 &&
      parts.at(-1) === "" &&
      (type === "replace" || type === "push") &&
      REDIRECT_STATUSES.has(status) &&
      location !== "" &&
      // Next itself could answer no such redirect (a header value cannot hold these): it stays
      // an error, and nothing is saved for a response that will never be sent.
      !/[\r\n\0]/.test(location);
    return wellFormed ? { kind: "redirect", location, status: Number(status) } : null;
  }
  if (digest.startsWith("NEXT_HTTP_ERROR_FALLBACK;")) {
    const status = digest.slice("NEXT_HTTP_ERROR_FALLBACK;".length);
    return FALLBACK_STATUSES.has(status) ? { kind: "http-fallback", status: Number(status) } : null;
  }
  return null;
}

/**
 * The Response Next.js itself gives a Route Handler that threw `signal` (a redirect with its
 * Location, or an empty 401/403/404), so latchkey can add the session's headers to it.
 */
export function navigationResponse(signal: NavigationSignal): Response {
  return signal.kind === "redirect"
    ? new Response(null, { status: signal.status, headers: { location: signal.location } })
    : new Response(null, { status: signal.status });
}
