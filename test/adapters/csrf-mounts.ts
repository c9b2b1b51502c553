// Every adapter with sessionMiddleware + csrfMiddleware (options from the test), the CSRF test
// app, and requireFreshAuth("5m") on POST /sensitive.
import type { IncomingMessage } from "node:http";
import express from "express";
import express4 from "express4";
import Fastify from "fastify";
import { Hono } from "hono";
import * as expressAdapter from "../../packages/latchkey/src/adapters/express.ts";
import * as fastifyAdapter from "../../packages/latchkey/src/adapters/fastify.ts";
import * as fetchAdapter from "../../packages/latchkey/src/adapters/fetch.ts";
import * as honoAdapter from "../../packages/latchkey/src/adapters/hono.ts";
import * as nodeAdapter from "../../packages/latchkey/src/adapters/node.ts";
import type { CsrfOptions } from "../../packages/latchkey/src/csrf/options.ts";
import type { Session, Sessions } from "../../packages/latchkey/src/index.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import type { AppSession } from "./app.ts";
import { handleCsrfApp } from "./csrf-app.ts";
import { koaCsrfMount } from "./koa-mounts.ts";
import { fetchServer, listenFastify } from "./web-servers.ts";

export type CsrfMount = (
  sessions: Sessions<AppSession>,
  options?: CsrfOptions,
) => Promise<RunningServer>;

const FRESH = "5m";

function expressMount(create: typeof express): CsrfMount {
  return async (sessions, options) => {
    const app = create();
    app.use(expressAdapter.sessionMiddleware(sessions));
    app.use(expressAdapter.csrfMiddleware(sessions, options));
    app.use(express.text({ type: () => true, limit: "10mb" }));
    app.post("/sensitive", expressAdapter.requireFreshAuth(FRESH));
    app.use((req: express.Request, res: express.Response) => {
      handleCsrfApp(
        req.session as unknown as Session<AppSession>,
        req.method,
        new URL(req.originalUrl, "http://x"),
        typeof req.body === "string" ? req.body : "",
      ).then(
        (reply) => res.status(reply.status).json(reply.body),
        () => res.status(500).end(),
      );
    });
    return listen(app as never);
  };
}

export const csrfMounts: Record<string, CsrfMount> = {
  express: expressMount(express),
  express4: expressMount(express4 as unknown as typeof express),
  node: async (sessions, options) => {
    const app: nodeAdapter.SessionHandler<AppSession> = async (req, res) => {
      const reply = await handleCsrfApp(
        req.session,
        req.method ?? "GET",
        new URL(req.url ?? "/", "http://x"),
        await readText(req),
      );
      res.statusCode = reply.status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply.body));
    };
    const fresh = nodeAdapter.requireFreshAuth<AppSession>(FRESH, app);
    const router: nodeAdapter.SessionHandler<AppSession> = (req, res) =>
      req.url === "/sensitive" && req.method === "POST" ? fresh(req, res) : app(req, res);
    return listen(
      nodeAdapter.sessionMiddleware(
        sessions,
        nodeAdapter.csrfMiddleware(sessions, router, options),
      ),
    );
  },
  fastify: async (sessions, options) => {
    const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) =>
      done(null, body),
    );
    await app.register(fastifyAdapter.sessionMiddleware(sessions));
    await app.register(fastifyAdapter.csrfMiddleware(sessions, options));
    const route = async (request: import("fastify").FastifyRequest) =>
      handleCsrfApp(
        request.session as unknown as Session<AppSession>,
        request.method,
        new URL(request.url, "http://x"),
        typeof request.body === "string" ? request.body : "",
      );
    app.post("/sensitive", { preHandler: fastifyAdapter.requireFreshAuth(FRESH) }, (req, reply) =>
      route(req).then((r) => reply.code(r.status).send(r.body)),
    );
    app.all("/*", (req, reply) => route(req).then((r) => reply.code(r.status).send(r.body)));
    return listenFastify(app);
  },
  hono: async (sessions, options) => {
    const app = new Hono<honoAdapter.SessionEnv<AppSession>>();
    app.use(honoAdapter.sessionMiddleware(sessions));
    app.use(honoAdapter.csrfMiddleware(sessions, options));
    app.post("/sensitive", honoAdapter.requireFreshAuth(FRESH));
    app.all("*", async (c) => {
      const reply = await handleCsrfApp(
        c.get("session"),
        c.req.method,
        new URL(c.req.url),
        await c.req.text(),
      );
      return c.json(reply.body, reply.status as 200);
    });
    return fetchServer(app.fetch);
  },
  fetch: async (sessions, options) => {
    const app: fetchAdapter.SessionFetchHandler<AppSession> = async (request, session) => {
      const reply = await handleCsrfApp(
        session,
        request.method,
        new URL(request.url),
        await request.text(),
      );
      return Response.json(reply.body, { status: reply.status });
    };
    const fresh = fetchAdapter.requireFreshAuth(FRESH, app);
    const router: fetchAdapter.SessionFetchHandler<AppSession> = (request, session) =>
      new URL(request.url).pathname === "/sensitive" && request.method === "POST"
        ? fresh(request, session)
        : app(request, session);
    return fetchServer(
      fetchAdapter.sessionMiddleware(
        sessions,
        fetchAdapter.csrfMiddleware(sessions, router, options),
      ),
    );
  },
  koa: koaCsrfMount,
};

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
