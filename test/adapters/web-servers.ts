// Serving the Fastify and fetch-style (Hono, latchkey/fetch) test apps on a free loopback port.
import { getRequestListener } from "@hono/node-server";
import type { FastifyInstance } from "fastify";
import { listen, type RunningServer } from "../helpers/http.ts";

/** A fetch handler behind node:http, as @hono/node-server runs it in production. */
export function fetchServer(
  handler: (request: Request) => Response | Promise<Response>,
): Promise<RunningServer> {
  // Errors the handler throws become a 500 with the LatchkeyError code, like the other mounts.
  const listener = getRequestListener(handler, {
    overrideGlobalObjects: false,
    errorHandler: (error) =>
      Response.json({ error: (error as { code?: string }).code ?? "unknown" }, { status: 500 }),
  });
  return listen(listener as never);
}

export async function listenFastify(app: FastifyInstance): Promise<RunningServer> {
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}
