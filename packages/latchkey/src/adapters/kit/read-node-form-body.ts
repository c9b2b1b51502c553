import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { FormTokenScanner } from "../../csrf/form-token.ts";
import {
  BODY_TIMEOUT,
  BODY_TOO_LARGE,
  type BodyLimits,
  type BodyScan,
  type CsrfRequest,
} from "../../csrf/guard.ts";
import { declaredLength } from "./declared-length.ts";

// The CSRF middleware of the Express, node:http and Fastify adapters reads a form body looking
// for the `_csrf` field, then gives every byte back to the stream (`unshift`) so the
// application's body parser later reads the body as if nobody had touched it.
//
// What is held is bounded by the limit and by the declared Content-Length: bytes are read with
// `read(n)`, never more than still fit. A body that goes on past the limit without the token
// is refused (413) rather than read further, and one that stops arriving is given up after the
// idle timeout (408): a client that sends headers and then a trickle must not hold the check open.

/**
 * A `CsrfRequest` over a node:http request. `parsedFormField` reads a body a framework already
 * parsed; `bodyLimit` is the framework's own limit, if it has one.
 */
export function nodeCsrfRequest(
  req: IncomingMessage,
  parsedFormField?: () => unknown,
  bodyLimit?: number,
): CsrfRequest {
  return {
    method: req.method ?? "GET",
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    protocol: (req.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http",
    ...(parsedFormField === undefined ? {} : { parsedFormField }),
    bodyLimit,
    scanBody: (scanner, limits) => scanNodeBody(req, scanner, limits),
  };
}

export function scanNodeBody(
  req: IncomingMessage,
  scanner: FormTokenScanner,
  limits: BodyLimits,
): Promise<BodyScan> {
  // Already read (a body parser ran first) or being read elsewhere: nothing left to look at.
  if (req.readableEnded || req.readableFlowing === true || req.destroyed) {
    return Promise.resolve(null);
  }
  const declared = declaredLength(req.headers["content-length"]);
  const cap = declared === null ? limits.bytes : Math.min(declared, limits.bytes);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;

    const finish = (result: BodyScan, handBack: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      req.off("readable", onReadable);
      req.off("error", onFailure);
      req.off("close", onFailure);
      // Hand the bytes back before 'end' can be emitted: the application reads the whole body.
      if (handBack && chunks.length > 0 && !req.destroyed) req.unshift(Buffer.concat(chunks));
      resolve(result);
    };
    const onFailure = () => finish(null, false);
    const onReadable = () => {
      idle.refresh();
      while (size < cap) {
        // Asking for more than is buffered returns null and arms the next 'readable'.
        const chunk = req.read(Math.min(Math.max(req.readableLength, 1), cap - size)) as
          | Buffer
          | string
          | null;
        if (chunk === null) break;
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        chunks.push(bytes);
        size += bytes.length;
        const found = scanner.push(bytes);
        if (found !== undefined) return finish(found, true);
      }
      if (req.complete && req.readableLength === 0) return finish(scanner.finish(), true);
      if (size < cap) return undefined;
      if (declared !== null && size >= declared) return finish(scanner.finish(), true);
      // The limit is reached: one more byte means the body is longer than the limit allows.
      if (req.read(1) !== null) return finish(BODY_TOO_LARGE, false);
      if (req.complete) return finish(scanner.finish(), true);
      return undefined;
    };
    const idle = setTimeout(() => finish(BODY_TIMEOUT, false), limits.idleMs);
    req.on("readable", onReadable);
    req.on("error", onFailure);
    req.on("close", onFailure);
  });
}
