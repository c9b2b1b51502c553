import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { FormTokenScanner } from "../../csrf/form-token.ts";
import type { CsrfRequest } from "../../csrf/guard.ts";

// The CSRF middleware of the Express and node:http adapters reads a form body looking for the
// `_csrf` field, then gives every byte back to the stream (`unshift`) so the application's body
// parser later reads the body as if nobody had touched it. Only up to `limit` bytes are held.

/** A `CsrfRequest` over a node:http request. `parsedFormField` reads a body a framework already parsed. */
export function nodeCsrfRequest(
  req: IncomingMessage,
  parsedFormField?: () => unknown,
): CsrfRequest {
  return {
    method: req.method ?? "GET",
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    protocol: (req.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http",
    ...(parsedFormField === undefined ? {} : { parsedFormField }),
    scanBody: (scanner, limit) => scanNodeBody(req, scanner, limit),
  };
}

export function scanNodeBody(
  req: IncomingMessage,
  scanner: FormTokenScanner,
  limit: number,
): Promise<string | null> {
  // Already read (a body parser ran first) or being read elsewhere: nothing left to look at.
  if (req.readableEnded || req.readableFlowing === true || req.destroyed) {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;

    const finish = (token: string | null) => {
      if (settled) return;
      settled = true;
      req.off("readable", onReadable);
      req.off("error", onFailure);
      req.off("close", onFailure);
      // Hand the bytes back before 'end' can be emitted: the application reads the whole body.
      if (chunks.length > 0 && !req.destroyed) req.unshift(Buffer.concat(chunks));
      resolve(token);
    };
    const onFailure = () => finish(null);
    const onReadable = () => {
      let chunk: Buffer | string | null = req.read();
      while (chunk !== null) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        chunks.push(bytes);
        // Bytes past the limit are kept for the application but never scanned.
        const found = scanner.push(bytes.subarray(0, limit - size));
        size += bytes.length;
        if (found !== undefined) return finish(found);
        if (size >= limit) return finish(scanner.finish(true));
        chunk = req.read();
      }
      if (req.complete) finish(scanner.finish());
    };
    req.on("readable", onReadable);
    req.on("error", onFailure);
    req.on("close", onFailure);
  });
}
