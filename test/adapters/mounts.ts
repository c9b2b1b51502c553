// Each adapter (Express 5 and 4, node:http, Fastify, Hono, fetch, Koa) mounts the shared test app.
import express from "express";
import express4 from "express4";
import Fastify from "fastify";
import { Hono } from "hono";
import { sessionMiddleware as expressSessions } from "../../packages/latchkey/src/adapters/express.ts";
import { sessionMiddleware as fastifySessions } from "../../packages/latchkey/src/adapters/fastify.ts";
import { sessionMiddleware as fetchSessions } from "../../packages/latchkey/src/adapters/fetch.ts";
import {
  sessionMiddleware as honoSessions,
  type SessionEnv,
} from "../../packages/latchkey/src/adapters/hono.ts";
import { sessionMiddleware as nodeSessions } from "../../packages/latchkey/src/adapters/node.ts";
import type { Sessions } from "../../packages/latchkey/src/index.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { type AppSession, handle } from "./app.ts";
import { koaMount } from "./koa-mounts.ts";
import { fetchServer, listenFastify } from "./web-servers.ts";

export type Mount = (sessions: Sessions<AppSession>) => Promise<RunningServer>;

export const mounts: Record<string, Mount> = {
  express: async (sessions) => {
    const app = express();
    app.use(expressSessions(sessions));
    app.use(async (req, res) => {
      const reply = await handle(
        req.session as never,
        req.method,
        new URL(req.originalUrl, "http://x"),
      );
      res
        .status(reply.status)
        .set(reply.headers ?? {})
        .json(reply.body);
    });
    // Errors (e.g. cookie-too-large) reach Express's error handling with their code.
    app.use(
      (
        error: { code?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).json({ error: error.code ?? "unknown" });
      },
    );
    return listen(app as never);
  },
  // Express 4: same adapter, older framework (no promise-aware routing).
  express4: async (sessions) => {
    const app = express4();
    app.use(expressSessions(sessions) as never);
    app.use((req: express.Request, res: express.Response) => {
      handle(req.session as never, req.method, new URL(req.originalUrl, "http://x")).then(
        (reply) =>
          res
            .status(reply.status)
            .set(reply.headers ?? {})
            .json(reply.body),
        () => res.status(500).end(),
      );
    });
    app.use(
      (
        error: { code?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).json({ error: error.code ?? "unknown" });
      },
    );
    return listen(app as never);
  },
  node: async (sessions) =>
    listen(
      nodeSessions(sessions, async (req, res) => {
        const reply = await handle(
          req.session,
          req.method ?? "GET",
          new URL(req.url ?? "/", "http://x"),
        );
        if (reply.headers !== undefined) {
          // Headers passed to writeHead itself: node:http gives them precedence over setHeader.
          res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        } else {
          res.statusCode = reply.status;
          res.setHeader("content-type", "application/json");
        }
        res.end(JSON.stringify(reply.body));
      }),
    ),
  fastify: async (sessions) => {
    const app = Fastify();
    await app.register(fastifySessions(sessions));
    app.all("/*", async (request, reply) => {
      const result = await handle(
        request.session as never,
        request.method,
        new URL(request.url, "http://x"),
      );
      return reply
        .code(result.status)
        .headers(result.headers ?? {})
        .send(result.body);
    });
    app.setErrorHandler((error: { code?: string }, _request, reply) =>
      reply.code(500).send({ error: error.code ?? "unknown" }),
    );
    return listenFastify(app);
  },
  hono: async (sessions) => {
    const app = new Hono<SessionEnv<AppSession>>();
    app.use(honoSessions(sessions));
    app.all("*", async (c) => {
      const result = await handle(c.get("session"), c.req.method, new URL(c.req.url));
      return c.json(result.body, result.status as 200, result.headers);
    });
    app.onError((error, c) =>
      c.json({ error: (error as { code?: string }).code ?? "unknown" }, 500),
    );
    return fetchServer(app.fetch);
  },
  fetch: async (sessions) =>
    fetchServer(
      fetchSessions(sessions, async (request, session) => {
        const result = await handle(session, request.method, new URL(request.url));
        return Response.json(result.body, {
          status: result.status,
          ...(result.headers === undefined ? {} : { headers: result.headers }),
        });
      }),
    ),
  koa: koaMount,
};
