import type { FormTokenScanner } from "../../csrf/form-token.ts";
import {
  BODY_TIMEOUT,
  BODY_TOO_LARGE,
  type BodyLimits,
  type BodyScan,
  type CsrfRequest,
} from "../../csrf/guard.ts";
import { declaredLength } from "./declared-length.ts";

// Shared by the Hono and fetch adapters, which see a WHATWG `Request`: the CSRF middleware reads
// a clone of its form body looking for the `_csrf` field, so the application still has the body.
// Same bounds as the node reader (read-node-form-body.ts): the limit, the declared length, and an
// idle timeout for a body that stops arriving.

/** A `CsrfRequest` over a `Request`. The body is read from a clone, so the application still has it. */
export function webCsrfRequest(request: Request): CsrfRequest {
  const url = new URL(request.url);
  return {
    method: request.method,
    // The URL is what the server runtime saw (its scheme comes from the connection); the Host
    // header may be absent from a Request object.
    header: (name) => (name === "host" ? url.host : request.headers.get(name)),
    protocol: url.protocol === "https:" ? "https" : "http",
    scanBody: (scanner, limits) => scanWebBody(request, scanner, limits),
  };
}

export async function scanWebBody(
  request: Request,
  scanner: FormTokenScanner,
  limits: BodyLimits,
): Promise<BodyScan> {
  if (request.body === null || request.bodyUsed) return null;
  const declared = declaredLength(request.headers.get("content-length"));
  const reader = (request.clone().body as ReadableStream<Uint8Array>).getReader();
  let size = 0;
  try {
    for (;;) {
      const next = await readWithin(reader, limits.idleMs);
      if (next === null) return BODY_TIMEOUT;
      if (next.done) return scanner.finish();
      const room = limits.bytes - size;
      size += next.value.byteLength;
      const found = scanner.push(next.value.subarray(0, room));
      if (found !== undefined) return found;
      if (size > limits.bytes) return BODY_TOO_LARGE;
      if (declared !== null && size >= declared) return scanner.finish();
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** The next chunk, or null when none arrived within `idleMs`. */
function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
): Promise<Awaited<ReturnType<typeof reader.read>> | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), idleMs);
  });
  return Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
}
