import type { FormTokenScanner } from "../../csrf/form-token.ts";
import type { CsrfRequest } from "../../csrf/guard.ts";

// Shared by the Hono and fetch adapters, which see a WHATWG `Request`: the CSRF middleware reads
// a clone of its form body looking for the `_csrf` field, so the application still has the body.

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
