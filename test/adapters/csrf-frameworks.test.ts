// Framework-specific corners of the adapters that the shared tables do not reach.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import * as expressAdapter from "../../packages/latchkey/src/adapters/express.ts";
import * as fastifyAdapter from "../../packages/latchkey/src/adapters/fastify.ts";
import * as fetchAdapter from "../../packages/latchkey/src/adapters/fetch.ts";
import * as honoAdapter from "../../packages/latchkey/src/adapters/hono.ts";
import { createSessions, type SessionData } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

type Data = SessionData & { n: number };
const newSessions = () => createSessions<Data>({ secrets: [testSecret()], store: memoryStore() });
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

describe("fetch adapter", () => {
  it("adds the cookie to a response with immutable headers (Response.redirect)", async () => {
    const sessions = newSessions();
    const handler = fetchAdapter.sessionMiddleware(sessions, async (_request, session) => {
      session.set("n", 1);
      return Response.redirect("https://example.com/next", 303);
    });
    const response = await handler(new Request("https://example.com/go", { method: "POST" }));
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "https://example.com/next");
    assert.match(response.headers.getSetCookie()[0] ?? "", /^__Host-session=/);
  });

  it("passes the runtime's extra arguments through (Next.js { params })", async () => {
    const sessions = newSessions();
    const handler = fetchAdapter.sessionMiddleware(
      sessions,
      fetchAdapter.csrfMiddleware(
        sessions,
        async (_request, session, context: { params: { id: string } }) =>
          Response.json({ id: context.params.id, isNew: session.isNew }),
      ),
    );
    const response = await handler(new Request("https://example.com/items/7"), {
      params: { id: "7" },
    });
    assert.deepEqual(await response.json(), { id: "7", isNew: true });
  });

  it("a pre-session token issued by a handler arrives as a Set-Cookie even on an immutable response", async () => {
    const sessions = newSessions();
    const handler = fetchAdapter.sessionMiddleware(
      sessions,
      fetchAdapter.csrfMiddleware(sessions, async (_request, session) => {
        session.csrfToken();
        return Response.redirect("https://example.com/", 303);
      }),
    );
    const response = await handler(new Request("https://example.com/"));
    assert.match(
      response.headers.getSetCookie()[0] ?? "",
      /^__Host-csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });
});

describe("hono adapter", () => {
  it("adds the cookie to a handler's immutable response", async () => {
    const sessions = newSessions();
    const app = new Hono<honoAdapter.SessionEnv<Data>>();
    app.use(honoAdapter.sessionMiddleware(sessions));
    app.post("/go", (c) => {
      c.get("session").set("n", 1);
      return Response.redirect("https://example.com/next", 303);
    });
    const response = await app.request("https://example.com/go", { method: "POST" });
    assert.equal(response.status, 303);
    assert.match(response.headers.getSetCookie()[0] ?? "", /^__Host-session=/);
  });

  it("finds the _csrf field when an earlier middleware already read the body through c.req", async () => {
    const sessions = newSessions();
    const app = new Hono<honoAdapter.SessionEnv<Data>>();
    app.use(honoAdapter.sessionMiddleware(sessions));
    app.use(async (c, next) => {
      if (c.req.method === "POST") await c.req.parseBody();
      await next();
    });
    app.use(honoAdapter.csrfMiddleware(sessions));
    app.get("/token", (c) => c.text(c.get("session").csrfToken()));
    app.post("/form", async (c) => c.json(await c.req.parseBody()));
    const page = await app.request("https://example.com/token");
    const cookie = (page.headers.getSetCookie()[0] ?? "").split(";")[0] as string;
    const token = await page.text();
    const post = (body: string) =>
      app.request("https://example.com/form", {
        method: "POST",
        headers: {
          cookie,
          origin: "https://example.com",
          "content-type": "application/x-www-form-urlencoded",
        },
        body,
      });
    const ok = await post(`a=1&_csrf=${token}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { a: "1", _csrf: token });
    assert.equal((await post("a=1")).status, 403);
  });

  it("csrfMiddleware without sessionMiddleware is a programming error, not a silent pass", async () => {
    const app = new Hono<honoAdapter.SessionEnv<Data>>();
    app.use(honoAdapter.csrfMiddleware(newSessions()));
    app.post("/", (c) => c.text("ran"));
    app.onError((_error, c) => c.text("error", 500));
    const response = await app.request("https://example.com/", { method: "POST" });
    assert.equal(response.status, 500);
  });
});

describe("express adapter", () => {
  it("leaves a urlencoded body intact for a body parser mounted after it", async () => {
    const sessions = newSessions();
    const app = express();
    app.use(expressAdapter.sessionMiddleware(sessions));
    app.use(expressAdapter.csrfMiddleware(sessions));
    app.use(express.urlencoded({ extended: false }));
    app.get("/token", (req, res) => {
      res.json({ token: req.session.csrfToken() });
    });
    app.post("/form", (req, res) => {
      res.json(req.body);
    });
    const server = await listen(app as never);
    servers.push(server);
    const page = await request(`${server.url}/token`);
    const cookie = (page.setCookies[0] as string).split(";")[0];
    const token = JSON.parse(page.body).token as string;
    const reply = await request(`${server.url}/form`, {
      method: "POST",
      cookie,
      headers: { origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      body: `title=a+b&_csrf=${token}&n=2`,
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { title: "a b", _csrf: token, n: "2" });
  });

  it("csrfMiddleware without sessionMiddleware is an error passed to next()", async () => {
    const app = express();
    app.use(expressAdapter.csrfMiddleware(newSessions()));
    app.post("/", (_req, res) => {
      res.send("ran");
    });
    const server = await listen(app as never);
    servers.push(server);
    assert.equal((await request(`${server.url}/`, { method: "POST" })).status, 500);
  });
});

describe("fastify adapter", () => {
  it("refuses to register csrfMiddleware before sessionMiddleware", async () => {
    const app = Fastify();
    app.register(fastifyAdapter.csrfMiddleware(newSessions()));
    await assert.rejects(async () => {
      await app.ready();
    }, /latchkey-sessions/);
    await app.close();
  });

  it("a cross-site request is refused before its body is parsed", async () => {
    const sessions = newSessions();
    const app = Fastify();
    let parsed = 0;
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
      parsed++;
      done(null, JSON.parse(body as string));
    });
    await app.register(fastifyAdapter.sessionMiddleware(sessions));
    await app.register(fastifyAdapter.csrfMiddleware(sessions));
    app.post("/", async () => "ran");
    const reply = await app.inject({
      method: "POST",
      url: "/",
      headers: { "sec-fetch-site": "cross-site", "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(reply.statusCode, 403);
    assert.deepEqual(reply.json(), { error: "csrf-refused", reason: "cross-site" });
    assert.equal(parsed, 0);
    await app.close();
  });
});
