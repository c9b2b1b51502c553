// A device-bound session refused for its missing bound cookie goes through the adapter's
// `onRefused` (so a page navigation can get a page), and DBSC reports what happened through
// `onEvent`: registration, refresh, refusals, with the key's thumbprint and never a token, a
// challenge or a proof.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, describe, it } from "node:test";
import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import * as expressAdapter from "../../packages/latchkey/src/adapters/express.ts";
import * as fastifyAdapter from "../../packages/latchkey/src/adapters/fastify.ts";
import * as fetchAdapter from "../../packages/latchkey/src/adapters/fetch.ts";
import * as honoAdapter from "../../packages/latchkey/src/adapters/hono.ts";
import type { Refusal } from "../../packages/latchkey/src/adapters/kit/refusals.ts";
import * as koaAdapter from "../../packages/latchkey/src/adapters/koa.ts";
import * as nodeAdapter from "../../packages/latchkey/src/adapters/node.ts";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, type DeviceKey, deviceKey, proof } from "./client.ts";
import { DEVICE_BOUND, SESSION_COOKIE } from "./flow.ts";

const page = (r: Refusal) => `<!doctype html><h1>Sign in again</h1><p>${r.code} ${r.reason}</p>`;
const wantsPage = (r: Refusal) => r.kind === "device-bound";

interface Setup {
  server: RunningServer;
  sessions: Sessions;
  clock: ReturnType<typeof fakeClock>;
  events: SessionEvent[];
}

const open: Setup[] = [];
afterEach(async () => {
  for (const setup of open.splice(0)) {
    await setup.server.close();
    await setup.sessions.close();
  }
});

function sessionsWithEvents() {
  const clock = fakeClock();
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    secrets: [testSecret()],
    store: memoryStore(),
    now: clock.now,
    deviceBound: DEVICE_BOUND,
    onEvent: (event) => events.push(event),
  });
  return { clock, events, sessions };
}

async function routes(
  method: string,
  path: string,
  session: { login(u: string): Promise<unknown>; userId: string | null },
) {
  if (method === "POST" && path === "/login") await session.login("alice");
  return { userId: session.userId };
}

const servers: Record<string, (render: boolean) => Promise<Setup>> = {
  async express(render) {
    const { clock, events, sessions } = sessionsWithEvents();
    const app = express();
    app.use(
      expressAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _req, res, next) =>
          render && wantsPage(r) ? void res.status(r.status).type("html").send(page(r)) : next(),
      }),
    );
    app.use(async (req, res) => {
      res.json(await routes(req.method, req.path, req.session as never));
    });
    const setup = { server: await listen(app as never), sessions, clock, events };
    open.push(setup);
    return setup;
  },
  async fetch(render) {
    const { clock, events, sessions } = sessionsWithEvents();
    const handler = fetchAdapter.sessionMiddleware(
      sessions,
      async (req, session) =>
        Response.json(await routes(req.method, new URL(req.url).pathname, session)),
      {
        onRefused: (r) =>
          render && wantsPage(r)
            ? new Response(page(r), { status: r.status, headers: { "content-type": "text/html" } })
            : undefined,
      },
    );
    const app = new Hono().all("*", (c) => handler(c.req.raw));
    const server = await listenHono(app);
    const setup = { server, sessions, clock, events };
    open.push(setup);
    return setup;
  },
};

async function listenHono(app: { fetch: (r: Request) => Response | Promise<Response> }) {
  const running = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => running.once("listening", resolve));
  const { port } = running.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => running.close(() => resolve())),
  } as RunningServer;
}

function kept(setup: Omit<Setup, "server">, server: RunningServer): Setup {
  const all = { ...setup, server };
  open.push(all);
  return all;
}

const html = (r: Refusal) =>
  new Response(page(r), { status: r.status, headers: { "content-type": "text/html" } });

Object.assign(servers, {
  async node(render: boolean) {
    const base = sessionsWithEvents();
    const handler = nodeAdapter.sessionMiddleware(
      base.sessions,
      async (req, res) => {
        const body = await routes(
          req.method ?? "GET",
          (req.url ?? "/").split("?")[0] as string,
          req.session as never,
        );
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      },
      {
        onRefused: (r, _req, res) => {
          if (render && wantsPage(r))
            res.writeHead(r.status, { "content-type": "text/html" }).end(page(r));
        },
      },
    );
    return kept(base, await listen(handler));
  },
  async hono(render: boolean) {
    const base = sessionsWithEvents();
    const app = new Hono<honoAdapter.SessionEnv>();
    app.use(
      honoAdapter.sessionMiddleware(base.sessions, {
        onRefused: (r) => (render && wantsPage(r) ? html(r) : undefined),
      }),
    );
    app.all("*", async (c) =>
      c.json(await routes(c.req.method, c.req.path, c.get("session") as never)),
    );
    return kept(base, await listenHono(app));
  },
  async koa(render: boolean) {
    const base = sessionsWithEvents();
    const app = new Koa();
    app.use(
      koaAdapter.sessionMiddleware(base.sessions, {
        onRefused: (r, ctx) => {
          if (!(render && wantsPage(r))) return;
          ctx.status = r.status;
          ctx.type = "text/html";
          ctx.body = page(r);
        },
      }),
    );
    app.use(async (ctx) => {
      ctx.body = await routes(ctx.method, ctx.path, ctx.session as never);
    });
    return kept(base, await listen(app.callback()));
  },
  async fastify(render: boolean) {
    const base = sessionsWithEvents();
    const app = Fastify();
    await app.register(
      fastifyAdapter.sessionMiddleware(base.sessions, {
        onRefused: (r, _request, reply) =>
          render && wantsPage(r) ? reply.code(r.status).type("text/html").send(page(r)) : undefined,
      }),
    );
    app.all("*", async (request) =>
      routes(request.method, request.url.split("?")[0] as string, request.session as never),
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    return kept(base, {
      url: `http://127.0.0.1:${port}`,
      close: () => app.close(),
    } as RunningServer);
  },
});

/** Logs in with a DBSC browser and returns it and the session cookie alone (a thief's copy). */
async function boundBrowser(setup: Setup, key?: DeviceKey) {
  const browser = new DbscBrowser(
    setup.server.url,
    key ?? (await deviceKey("ES256")),
    setup.clock.now,
  );
  assert.equal((await browser.fetch("/login", { method: "POST" })).status, 200);
  assert.ok(browser.session, "registered");
  const stolen = browser.jar.header([SESSION_COOKIE]);
  assert.ok(stolen);
  return { browser, stolen };
}

for (const [name, start] of Object.entries(servers)) {
  describe(`DBSC refusals through onRefused on ${name}`, () => {
    it("a stolen session cookie gets the application's page, and still loses its session", async () => {
      const setup = await start(true);
      const { browser, stolen } = await boundBrowser(setup);
      const thief = await request(`${setup.server.url}/read`, { cookie: stolen });
      assert.equal(thief.status, 403);
      assert.match(thief.headers.get("content-type") ?? "", /text\/html/);
      assert.match(thief.body, /device-unbound bound-cookie-missing/);
      assert.ok(
        thief.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=;`)),
        "session cookie expired with the application's page too",
      );
      // The victim goes on; the DBSC endpoints are never offered to onRefused.
      assert.equal(JSON.parse((await browser.fetch("/read")).body).userId, "alice");
      setup.clock.advance(6 * MINUTE);
      assert.equal(JSON.parse((await browser.fetch("/read")).body).userId, "alice");
      assert.equal(browser.refreshes, 1);
    });

    it("left to latchkey (onRefused declines), the answer is the JSON 403 as before", async () => {
      const setup = await start(false);
      const { stolen } = await boundBrowser(setup);
      const thief = await request(`${setup.server.url}/read`, { cookie: stolen });
      assert.equal(thief.status, 403);
      assert.deepEqual(JSON.parse(thief.body), {
        error: "device-bound-refused",
        reason: "bound-cookie-missing",
      });
    });
  });
}

describe('Koa with onRefused: "throw"', () => {
  // The refusal is thrown, so the middleware's usual end of request never runs, and Koa's error
  // response drops every header set before it: the session cookie must be expired all the same.
  async function koaThrowing(catchIt: boolean): Promise<Setup> {
    const base = sessionsWithEvents();
    const app = new Koa();
    app.silent = true;
    if (catchIt) {
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          const refusal = (error as { refusal?: Refusal }).refusal;
          if (refusal === undefined) throw error;
          ctx.status = refusal.status;
          ctx.type = "text/html";
          ctx.body = page(refusal);
        }
      });
    }
    app.use(koaAdapter.sessionMiddleware(base.sessions, { onRefused: "throw" }));
    app.use(async (ctx) => {
      ctx.body = await routes(ctx.method, ctx.path, ctx.session as never);
    });
    return kept(base, await listen(app.callback()));
  }

  for (const [label, catchIt] of [
    ["Koa's own error response", false],
    ["the application's error middleware", true],
  ] as const) {
    it(`a bound session without its bound cookie: ${label} expires the session cookie`, async () => {
      const setup = await koaThrowing(catchIt);
      const { browser, stolen } = await boundBrowser(setup);
      const thief = await request(`${setup.server.url}/read`, { cookie: stolen });
      assert.equal(thief.status, 403);
      if (catchIt) assert.match(thief.body, /device-unbound bound-cookie-missing/);
      assert.ok(
        thief.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=;`)),
        `session cookie expired: ${thief.setCookies.map((l) => l.split("=")[0]).join(", ")}`,
      );
      assert.ok(
        setup.events.some((e) => e.type === "device-bound-refused"),
        "the refusal was reported",
      );
      // The device with both cookies is unaffected.
      assert.equal(JSON.parse((await browser.fetch("/read")).body).userId, "alice");
    });
  }
});

describe("DBSC session events", () => {
  it("registered, refreshed, refused: with ref, user and key thumbprint, never a secret", async () => {
    const setup = await servers.express?.(false);
    assert.ok(setup);
    const key = await deviceKey("ES256");
    const { browser, stolen } = await boundBrowser(setup, key);
    // RFC 7638: the required members in lexicographic order, no whitespace, SHA-256.
    const thumbprint = createHash("sha256")
      .update(JSON.stringify({ crv: key.jwk.crv, kty: "EC", x: key.jwk.x, y: key.jwk.y }))
      .digest("base64url");
    const dbsc = () => setup.events.filter((e) => e.type.startsWith("device-bound-"));

    const registered = dbsc();
    assert.equal(registered.length, 1);
    assert.equal(registered[0]?.type, "device-bound-registered");
    assert.equal(registered[0]?.userId, "alice");
    assert.equal(registered[0]?.reason, "ES256");
    assert.equal(registered[0]?.thumbprint, thumbprint);
    assert.match(registered[0]?.ref ?? "", /^[A-Za-z0-9_-]+$/);

    setup.clock.advance(6 * MINUTE);
    await browser.fetch("/read");
    // The 403 that hands out the challenge is the ordinary first step: no event for it.
    assert.deepEqual(
      dbsc()
        .slice(1)
        .map((e) => e.type),
      ["device-bound-refreshed"],
    );
    assert.equal(dbsc()[1]?.thumbprint, thumbprint);

    await request(`${setup.server.url}/read`, { cookie: stolen });
    const refused = dbsc()[2];
    assert.equal(refused?.type, "device-bound-refused");
    assert.equal(refused?.reason, "bound-cookie-missing");
    assert.equal(refused?.userId, "alice");
    assert.equal(refused?.thumbprint, thumbprint);

    // Another device's signature at refresh: refused, reported with the reason.
    const other = await deviceKey("ES256");
    const session = browser.session as { id: string };
    const asked = await request(`${setup.server.url}/dbsc/refresh`, {
      method: "POST",
      cookie: stolen,
      headers: { "sec-secure-session-id": `"${session.id}"` },
    });
    const challenge = /^"([^"]+)"/.exec(asked.headers.get("secure-session-challenge") ?? "")?.[1];
    assert.ok(challenge);
    const forged = await proof(other, challenge, false);
    const reply = await request(`${setup.server.url}/dbsc/refresh`, {
      method: "POST",
      cookie: stolen,
      headers: {
        "sec-secure-session-id": `"${session.id}"`,
        "secure-session-response": `"${forged}"`,
      },
    });
    assert.equal(reply.status, 400);
    assert.equal(dbsc().at(-1)?.type, "device-bound-refused");
    assert.equal(dbsc().at(-1)?.reason, "signature-invalid");

    // Nothing secret in any event: no cookie value, no challenge, no proof.
    const text = JSON.stringify(setup.events);
    for (const line of browser.jar.header()?.split("; ") ?? []) {
      assert.ok(!text.includes(line.slice(line.indexOf("=") + 1)), "a cookie value in an event");
    }
    assert.ok(!text.includes(challenge));
    assert.ok(!text.includes(forged.split(".")[2] as string));
  });
});
