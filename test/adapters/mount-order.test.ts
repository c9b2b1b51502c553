// A middleware mounted before sessionMiddleware (or without it) is a programming mistake: it
// reaches the framework's error handling as a LatchkeyError with code "mount-order", and a
// sessions object that createSessions() did not return is refused at startup.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import * as expressAdapter from "../../packages/latchkey/src/adapters/express.ts";
import * as fastifyAdapter from "../../packages/latchkey/src/adapters/fastify.ts";
import * as honoAdapter from "../../packages/latchkey/src/adapters/hono.ts";
import * as koaAdapter from "../../packages/latchkey/src/adapters/koa.ts";
import * as nodeAdapter from "../../packages/latchkey/src/adapters/node.ts";
import {
  createSessions,
  isLatchkeyError,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { fetchServer, listenFastify } from "./web-servers.ts";

const sessions = createSessions({ secrets: [testSecret()], store: memoryStore() });
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

/** What each framework's error handler answers: the error's code and message. */
type Caught = { code: string; message: string };
const caught = (error: unknown): Caught =>
  isLatchkeyError(error)
    ? { code: error.code, message: error.message }
    : { code: "not-a-latchkey-error", message: String(error) };

type Mount = (use: "csrf" | "fresh") => Promise<RunningServer>;

const mounts: Record<string, Mount> = {
  express: async (use) => {
    const app = express();
    if (use === "csrf") app.use(expressAdapter.csrfMiddleware(sessions));
    else app.use(expressAdapter.requireFreshAuth("5m"));
    app.use((_req: express.Request, res: express.Response) => res.json({ reached: true }));
    app.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).json(caught(error));
      },
    );
    return listen(app as never);
  },
  // Only requireFreshAuth: fastify-plugin already refuses csrfMiddleware without the sessions plugin.
  fastify: async () => {
    const app = Fastify();
    app.post("/", { preHandler: fastifyAdapter.requireFreshAuth("5m") }, async () => ({
      reached: true,
    }));
    app.setErrorHandler((error, _request, reply) => reply.code(500).send(caught(error)));
    return listenFastify(app);
  },
  hono: async (use) => {
    const app = new Hono<honoAdapter.SessionEnv>();
    app.use(
      use === "csrf" ? honoAdapter.csrfMiddleware(sessions) : honoAdapter.requireFreshAuth("5m"),
    );
    app.all("*", (c) => c.json({ reached: true }));
    app.onError((error, c) => c.json(caught(error), 500));
    return fetchServer(app.fetch);
  },
  koa: async (use) => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = 500;
        ctx.body = caught(error);
      }
    });
    app.use(
      use === "csrf" ? koaAdapter.csrfMiddleware(sessions) : koaAdapter.requireFreshAuth("5m"),
    );
    app.use((ctx) => {
      ctx.body = { reached: true };
    });
    return listen(app.callback());
  },
};

const cases: [string, "csrf" | "fresh", string][] = [
  ["express", "csrf", "csrfMiddleware"],
  ["express", "fresh", "requireFreshAuth"],
  ["fastify", "fresh", "requireFreshAuth"],
  ["hono", "csrf", "csrfMiddleware"],
  ["hono", "fresh", "requireFreshAuth"],
  ["koa", "csrf", "csrfMiddleware"],
  ["koa", "fresh", "requireFreshAuth"],
];

describe("a middleware mounted without sessionMiddleware", () => {
  for (const [framework, use, name] of cases) {
    it(`${framework}: ${name} fails with mount-order, naming the fix`, async () => {
      const server = await (mounts[framework] as Mount)(use);
      servers.push(server);
      const reply = await request(`${server.url}/`, {
        method: "POST",
        headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(reply.status, 500);
      const body = JSON.parse(reply.body) as Caught;
      assert.equal(body.code, "mount-order");
      assert.match(body.message, new RegExp(`^${name} found no session`));
      assert.match(body.message, /sessionMiddleware\(sessions\)/);
    });
  }
});

describe("csrfMiddleware given something createSessions() did not return", () => {
  const notSessions = { cookieName: "__Host-session" } as unknown as Sessions;
  const adapters = {
    express: () => expressAdapter.csrfMiddleware(notSessions),
    fastify: () => fastifyAdapter.csrfMiddleware(notSessions),
    hono: () => honoAdapter.csrfMiddleware(notSessions),
    koa: () => koaAdapter.csrfMiddleware(notSessions),
    node: () => nodeAdapter.csrfMiddleware(notSessions, () => {}),
  };
  for (const [framework, create] of Object.entries(adapters)) {
    it(`${framework}: refused at startup with argument-invalid`, () => {
      assert.throws(create, (error: unknown) => isLatchkeyError(error, "argument-invalid"));
    });
  }
});
