import type { SessionHeaders } from "../core/cookies.ts";
import type { FormTokenScanner } from "../csrf/form-token.ts";
import type { CsrfRequest } from "../csrf/guard.ts";

// Shared by the Hono and fetch adapters, which see a WHATWG `Request` and return a `Response`.

/** A `CsrfRequest` over a `Request`. The body is read from a clone, so the application still has it. */
export function webCsrfRequest(request: Request): CsrfRequest {
  const url = new URL(request.url);
  return {
    method: request.method,
    // The URL is what the server runtime saw (its scheme comes from the connection); the Host
    // header may be absent from a Request object.
    header: (name) => (name === "host" ? url.host : request.headers.get(name)),
    protocol: url.protocol === "https:" ? "https" : "http",
    scanBody: (scanner, limit) => scanWebBody(request, scanner, limit),
  };
}

export async function scanWebBody(
  request: Request,
  scanner: FormTokenScanner,
  limit: number,
): Promise<string | null> {
  if (request.body === null || request.bodyUsed) return null;
  const reader = (request.clone().body as ReadableStream<Uint8Array>).getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return scanner.finish();
      const found = scanner.push(value.subarray(0, limit - size));
      size += value.byteLength;
      if (found !== undefined) return found;
      if (size >= limit) return scanner.finish(true);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * Adds headers to a response. Responses from `fetch()` or `Response.redirect()` have immutable
 * headers; those are copied into a new Response first.
 */
export function withHeaders(response: Response, add: (headers: Headers) => void): Response {
  try {
    add(response.headers);
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(response.body, response);
    add(copy.headers);
    return copy;
  }
}

export function addSessionHeaders(headers: Headers, session: SessionHeaders): void {
  headers.append("set-cookie", session.setCookie);
  headers.set("cache-control", session.cacheControl);
  if (session.clearSiteData !== null) headers.set("clear-site-data", session.clearSiteData);
}

export function storeUnavailableResponse(): Response {
  return new Response("Service Unavailable: the session store is not reachable.\n", {
    status: 503,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      "retry-after": "5",
    },
  });
}

export function jsonRefusalResponse(refusal: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): Response {
  return new Response(refusal.body, { status: refusal.status, headers: refusal.headers });
}
