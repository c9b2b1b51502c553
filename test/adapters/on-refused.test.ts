// onRefused on every adapter: a cross-site form post gets the application's HTML page; returning
// nothing keeps latchkey's JSON answer; Express can hand the refusal to its error handlers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import * as expressAdapter from "../../packages/latchkey/src/adapters/express.ts";
import * as fastifyAdapter from "../../packages/latchkey/src/adapters/fastify.ts";
import * as fetchAdapter from "../../packages/latchkey/src/adapters/fetch.ts";
import * as honoAdapter from "../../packages/latchkey/src/adapters/hono.ts";
import type { Refusal } from "../../packages/latchkey/src/adapters/kit/refusals.ts";
import * as nodeAdapter from "../../packages/latchkey/src/adapters/node.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const page = (r: Refusal) => `<!doctype html><h1>Form expired</h1><p>${r.code} ${r.reason}</p>`;
// The app renders a page for CSRF refusals and leaves step-up refusals to latchkey.
const wantsPage = (r: Refusal) => r.kind === "csrf";

const apps: Record<string, () => Promise<RunningServer>> = {
  async express() {
    const sessions = createSessions({ secrets: [testSecret()] });
    const app = express();
    app.use(
      expressAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _req, res, next) =>
          wantsPage(r) ? void res.status(r.status).type("html").send(page(r)) : next(),
      }),
    );
    app.use(expressAdapter.csrfMiddleware(sessions));
    app.post("/form", (_req, res) => res.send("saved"));
    app.post("/email", expressAdapter.requireFreshAuth("5m"), (_req, res) => res.send("ok"));
    return listen(app as never);
  },
  async node() {
    const sessions = createSessions({ secrets: [testSecret()] });
    const routes = nodeAdapter.csrfMiddleware(sessions, (req, res) =>
      req.url === "/email"
        ? nodeAdapter.requireFreshAuth("5m", (_q, s) => void s.end("ok"))(req, res)
        : void res.end("saved"),
    );
    return listen(
      nodeAdapter.sessionMiddleware(sessions, routes, {
        onRefused: (r, _req, res) => {
          if (!wantsPage(r)) return;
          res.writeHead(r.status, { "content-type": "text/html" }).end(page(r));
        },
      }),
    );
  },
  async fetch() {
    const sessions = createSessions({ secrets: [testSecret()] });
    const handler = fetchAdapter.sessionMiddleware(
      sessions,
      fetchAdapter.csrfMiddleware(sessions, (req, session) =>
        new URL(req.url).pathname === "/email"
          ? fetchAdapter.requireFreshAuth("5m", async () => new Response("ok"))(req, session)
          : new Response("saved"),
      ),
      {
        onRefused: (r) =>
          wantsPage(r)
            ? new Response(page(r), { status: r.status, headers: { "content-type": "text/html" } })
            : undefined,
      },
    );
    const app = new Hono().all("*", (c) => handler(c.req.raw));
    return listenHono(app);
  },
  async hono() {
    const sessions = createSessions({ secrets: [testSecret()] });
    const app = new Hono<honoAdapter.SessionEnv>();
    app.use(
      honoAdapter.sessionMiddleware(sessions, {
        onRefused: (r, c) => (wantsPage(r) ? c.html(page(r), r.status as 403) : undefined),
      }),
    );
    app.use(honoAdapter.csrfMiddleware(sessions));
    app.post("/form", (c) => c.text("saved"));
    app.post("/email", honoAdapter.requireFreshAuth("5m"), (c) => c.text("ok"));
    return listenHono(app);
  },
  async fastify() {
    const sessions = createSessions({ secrets: [testSecret()] });
    const app = Fastify();
    await app.register(
      fastifyAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _request, reply) =>
          wantsPage(r) ? reply.code(r.status).type("text/html").send(page(r)) : undefined,
      }),
    );
    await app.register(fastifyAdapter.csrfMiddleware(sessions));
    app.addContentTypeParser("application/x-www-form-urlencoded", (_r, _p, done) => done(null, {}));
    app.post("/form", async () => "saved");
    app.post("/email", { preHandler: fastifyAdapter.requireFreshAuth("5m") }, async () => "ok");
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
  },
};

async function listenHono(app: {
  fetch: (request: Request) => Response | Promise<Response>;
}): Promise<RunningServer> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const crossSite = (url: string, path: string) =>
  request(url + path, {
    method: "POST",
    headers: {
      "sec-fetch-site": "cross-site",
      origin: "https://evil.example",
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "email=x",
  });

for (const [name, start] of Object.entries(apps)) {
  describe(`${name}: onRefused`, () => {
    let server: RunningServer;
    before(async () => {
      server = await start();
    });
    after(() => server.close());

    it("a cross-site form post gets the application's HTML page", async () => {
      const reply = await crossSite(server.url, "/form");
      assert.equal(reply.status, 403);
      assert.match(reply.headers.get("content-type") ?? "", /text\/html/);
      assert.equal(reply.body, page({ code: "EBADCSRFTOKEN", reason: "cross-site" } as Refusal));
    });

    it("a refusal the application leaves alone gets latchkey's answer", async () => {
      const reply = await request(`${server.url}/email`, {
        method: "POST",
        headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(reply.status, 403);
      assert.deepEqual(JSON.parse(reply.body), {
        error: "fresh-auth-required",
        reason: "not-authenticated",
        maxAge: 300,
      });
    });
  });
}

describe('express: onRefused "next" hands the refusal to the error handler', () => {
  let server: RunningServer;
  before(async () => {
    const sessions = createSessions({ secrets: [testSecret()] });
    const app = express();
    app.use(expressAdapter.sessionMiddleware(sessions, { onRefused: "next" }));
    app.use(expressAdapter.csrfMiddleware(sessions));
    app.post("/form", (_req, res) => res.send("saved"));
    app.use(
      (
        err: expressAdapter.RefusalError,
        _req: express.Request,
        res: express.Response,
        next: express.NextFunction,
      ) => {
        if (err.code !== "EBADCSRFTOKEN") return next(err);
        res.status(err.status).send(`csurf-style page: ${err.reason}`);
      },
    );
    server = await listen(app as never);
  });
  after(() => server.close());

  it("EBADCSRFTOKEN with status and reason, as csurf's users expect", async () => {
    const reply = await crossSite(server.url, "/form");
    assert.equal(reply.status, 403);
    assert.equal(reply.body, "csurf-style page: cross-site");
  });
});
