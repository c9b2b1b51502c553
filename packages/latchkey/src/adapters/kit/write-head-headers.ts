import type { ServerResponse } from "node:http";

// `res.writeHead(status, headers)` merges `headers` over those set with `setHeader()`, the
// argument winning (node:http documents this). The session's Set-Cookie and Cache-Control are
// added just before writeHead runs, so an application's `{ "cache-control": "public, max-age=60" }`
// there would silently replace them. Moving the argument's headers onto the response first (as
// Node itself does once any header was set) lets the session see them, and have the last word.

/**
 * Sets the headers passed to `writeHead(status[, message][, headers])` on `res` with the same
 * merge rules Node applies, and returns the arguments without them. Arguments without headers
 * are returned as they are.
 */
export function liftWriteHeadHeaders(
  res: ServerResponse,
  args: readonly unknown[],
): readonly unknown[] {
  // writeHead(status, message, headers), also with an undefined message; else writeHead(status, headers).
  const at = typeof args[1] === "string" || (args[1] == null && args.length > 2) ? 2 : 1;
  const headers = args[at];
  if (headers === undefined || headers === null) return args;
  if (Array.isArray(headers)) {
    // The flat form: name, value, name, value. An odd length is left for Node to refuse.
    if (headers.length % 2 !== 0) return args;
    for (let n = 0; n < headers.length; n += 2) {
      const name = headers[n] as string;
      if (name) res.setHeader(name, headers[n + 1] as string);
    }
  } else if (typeof headers === "object") {
    const record = headers as Record<string, string | number | readonly string[]>;
    for (const name of Object.keys(record)) {
      if (name) res.setHeader(name, record[name] as string);
    }
  } else {
    return args;
  }
  return args.slice(0, at);
}
