// Each adapter mounts the shared test app. Issue #4 adds Fastify, Hono and fetch here.
import express from "express";
import express4 from "express4";
import { sessionMiddleware as expressSessions } from "../../src/adapters/express.ts";
import { sessionMiddleware as nodeSessions } from "../../src/adapters/node.ts";
import type { Sessions } from "../../src/index.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { type AppSession, handle } from "./app.ts";

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
      res.status(reply.status).json(reply.body);
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
        (reply) => res.status(reply.status).json(reply.body),
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
        res.statusCode = reply.status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(reply.body));
      }),
    ),
};
