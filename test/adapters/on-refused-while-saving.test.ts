// The store goes down while the session is saved, after the route has answered 200 and set a
// cookie of its own: on every adapter the refusal goes through `onRefused` (the application's
// page), or latchkey's 503 when the handler leaves it, or when it throws. Either way the route's
// success never reaches the client, and neither does any cookie: the session was not stored.
// A node:http / Express response that streams has sent its headers before the save: there the
// connection is cut, and what the client holds does not open a session.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { fetchServer, listenFastify } from "./web-servers.ts";

const COOKIE = "__Host-session";
const PAGE = "<!doctype html><h1>Back in a moment</h1>";
const LATCHKEY_503 = "Service Unavailable: the session store is not reachable.\n";

/** A memory store whose writes can be made to reject, as a driver does when Redis went away. */
function flakyStore(): { store: Store; down: { value: boolean } } {
  const inner = memoryStore();
  const down = { value: false };
  const writes = new Set(["create", "createWithinLimit", "update", "claim"]);
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const member = Reflect.get(target, name, receiver);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) =>
        down.value && writes.has(String(name))
          ? Promise.reject(new Error("connection refused"))
          : member.apply(target, args);
    },
  });
  return { store, down };
}

/** What the application does with a refusal: render its page, leave it, or fail. */
type Behaviour = "page" | "leave" | "throw";

interface Seen {
  refusals: Refusal[];
}

type AppFactory = (sessions: Sessions, behaviour: Behaviour, seen: Seen) => Promise<RunningServer>;

const decide = (behaviour: Behaviour, seen: Seen, refusal: Refusal): boolean => {
  seen.refusals.push(refusal);
  if (behaviour === "throw") throw new Error("the error page's template is broken");
  return behaviour === "page";
};

// Every route writes to the session, sets a cookie of its own and answers 200 "saved".
const apps: Record<string, AppFactory> = {
  async express(sessions, behaviour, seen) {
    const app = express();
    app.use(
      expressAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _req, res, next) =>
          decide(behaviour, seen, r) ? void res.status(r.status).type("html").send(PAGE) : next(),
      }),
    );
    app.post("/write", (req, res) => {
      req.session.set("notes", ["saved"]);
      res.cookie("app", "1").send("saved");
    });
    return listen(app as never);
  },
  async node(sessions, behaviour, seen) {
    return listen(
      nodeAdapter.sessionMiddleware(
        sessions,
        (req, res) => {
          req.session.set("notes", ["saved"]);
          res.setHeader("set-cookie", "app=1");
          res.end("saved");
        },
        {
          onRefused: (r, _req, res) => {
            if (decide(behaviour, seen, r))
              res.writeHead(r.status, { "content-type": "text/html" }).end(PAGE);
          },
        },
      ),
    );
  },
  async koa(sessions, behaviour, seen) {
    const app = new Koa();
    app.use(
      koaAdapter.sessionMiddleware(sessions, {
        onRefused: (r, ctx) => {
          if (!decide(behaviour, seen, r)) return;
          ctx.type = "html";
          ctx.body = PAGE;
        },
      }),
    );
    app.use((ctx) => {
      ctx.session.set("notes", ["saved"]);
      ctx.cookies.set("app", "1", { signed: false });
      ctx.body = "saved";
    });
    app.silent = true;
    return listen(app.callback());
  },
  async fastify(sessions, behaviour, seen) {
    const app = Fastify();
    await app.register(
      fastifyAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _request, reply) =>
          decide(behaviour, seen, r)
            ? reply.code(r.status).type("text/html").send(PAGE)
            : undefined,
      }),
    );
    app.post("/write", async (request, reply) => {
      request.session.set("notes", ["saved"]);
      reply.header("set-cookie", "app=1");
      return "saved";
    });
    return listenFastify(app);
  },
  async hono(sessions, behaviour, seen) {
    const app = new Hono<honoAdapter.SessionEnv>();
    app.use(
      honoAdapter.sessionMiddleware(sessions, {
        onRefused: (r, c) => (decide(behaviour, seen, r) ? c.html(PAGE, 503) : undefined),
      }),
    );
    app.post("/write", (c) => {
      c.get("session").set("notes", ["saved"]);
      c.header("set-cookie", "app=1");
      return c.text("saved");
    });
    return fetchServer(app.fetch);
  },
  async fetch(sessions, behaviour, seen) {
    const handler = fetchAdapter.sessionMiddleware(
      sessions,
      (_request, session) => {
        session.set("notes", ["saved"]);
        return new Response("saved", { headers: { "set-cookie": "app=1" } });
      },
      {
        onRefused: (r) =>
          decide(behaviour, seen, r)
            ? new Response(PAGE, { status: r.status, headers: { "content-type": "text/html" } })
            : undefined,
      },
    );
    return fetchServer(handler);
  },
};

async function post(url: string): Promise<{ status: number; body: string; cookies: string[] }> {
  const res = await fetch(`${url}/write`, {
    method: "POST",
    headers: { "sec-fetch-site": "same-origin" },
    // Far above a failing write: running into it means the request hung.
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.text(), cookies: res.headers.getSetCookie() };
}

// Express and Koa hand an onRefused that throws to their error handling (a 500 here); the other
// adapters send latchkey's 503 in its place.
const handsFailuresOn = new Set(["express", "koa"]);

for (const [name, start] of Object.entries(apps)) {
  for (const behaviour of ["page", "leave", "throw"] as const) {
    describe(`${name}: the store fails while saving, onRefused ${behaviour}s`, () => {
      const { store, down } = flakyStore();
      const seen: Seen = { refusals: [] };
      let server: RunningServer;
      before(async () => {
        server = await start(createSessions({ secrets: [testSecret()], store }), behaviour, seen);
      });
      after(() => server.close());

      it("the refusal reaches onRefused and replaces the route's 200, with no cookie", async () => {
        down.value = true;
        const reply = await post(server.url);
        if (behaviour === "throw" && handsFailuresOn.has(name)) {
          // The handler's error goes to the framework's error handling, as any error does there.
          assert.equal(reply.status, 500);
          assert.notEqual(reply.body, "saved");
        } else {
          assert.equal(reply.status, 503);
          assert.equal(reply.body, behaviour === "page" ? PAGE : LATCHKEY_503);
        }
        assert.deepEqual(reply.cookies, [], "neither the session's cookie nor the route's");
        assert.deepEqual(
          seen.refusals.map((r) => [r.kind, r.status, r.code, r.reason]),
          [["store-unavailable", 503, "store-unavailable", "store-unavailable"]],
        );
      });

      it("once the store is back the same route saves and answers 200", async () => {
        down.value = false;
        const reply = await post(server.url);
        assert.equal(reply.status, 200);
        assert.equal(reply.body, "saved");
        assert.ok(reply.cookies.some((line) => line.startsWith(`${COOKIE}=`)));
      });
    });
  }
}

describe('express: onRefused "next" hands a failed save to the error handler', () => {
  const { store, down } = flakyStore();
  let server: RunningServer;
  const errors: Array<{ code: unknown; status: unknown }> = [];
  before(async () => {
    const sessions = createSessions({ secrets: [testSecret()], store });
    const app = express();
    app.use(expressAdapter.sessionMiddleware(sessions, { onRefused: "next" }));
    app.post("/write", (req, res) => {
      req.session.set("notes", ["saved"]);
      res.send("saved");
    });
    app.use(
      (
        err: expressAdapter.RefusalError,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        errors.push({ code: err.code, status: err.status });
        res.status(err.status).type("html").send(PAGE);
      },
    );
    server = await listen(app as never);
  });
  after(() => server.close());

  it("the error handler renders the page for a store-unavailable RefusalError", async () => {
    down.value = true;
    const reply = await post(server.url);
    assert.equal(reply.status, 503);
    assert.equal(reply.body, PAGE);
    assert.deepEqual(reply.cookies, []);
    assert.deepEqual(errors, [{ code: "store-unavailable", status: 503 }]);
  });
});

describe('koa: onRefused "throw" hands a failed save to the error middleware', () => {
  const { store, down } = flakyStore();
  let server: RunningServer;
  before(async () => {
    const sessions = createSessions({ secrets: [testSecret()], store });
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        const refusal = error as koaAdapter.RefusalError;
        ctx.status = refusal.status;
        ctx.type = "html";
        ctx.body = `${PAGE}<p>${refusal.code}</p>`;
      }
    });
    app.use(koaAdapter.sessionMiddleware(sessions, { onRefused: "throw" }));
    app.use((ctx) => {
      ctx.session.set("notes", ["saved"]);
      ctx.cookies.set("app", "1", { signed: false });
      ctx.body = "saved";
    });
    server = await listen(app.callback());
  });
  after(() => server.close());

  it("the error middleware answers, without the route's cookie", async () => {
    down.value = true;
    const reply = await post(server.url);
    assert.equal(reply.status, 503);
    assert.equal(reply.body, `${PAGE}<p>store-unavailable</p>`);
    assert.deepEqual(reply.cookies, []);
  });
});

// node:http and Express flush a streaming response's headers at the first write, before the save
// can finish; a failed save cuts the connection instead (documented in docs/adapters.md).
const streaming: Record<string, (sessions: Sessions, seen: Seen) => Promise<RunningServer>> = {
  async node(sessions, seen) {
    return listen(
      nodeAdapter.sessionMiddleware(
        sessions,
        (req, res) => {
          if (req.url === "/whoami") return void res.end(String(req.session.get("notes")));
          req.session.set("notes", ["saved"]);
          res.write("part one, ");
          setTimeout(() => res.end("part two"), 20);
        },
        { onRefused: (r) => void seen.refusals.push(r) },
      ),
    );
  },
  async express(sessions, seen) {
    const app = express();
    app.use(
      expressAdapter.sessionMiddleware(sessions, {
        onRefused: (r, _req, _res, next) => {
          seen.refusals.push(r);
          next();
        },
      }),
    );
    app.get("/whoami", (req, res) => void res.send(String(req.session.get("notes"))));
    app.post("/write", (req, res) => {
      req.session.set("notes", ["saved"]);
      res.write("part one, ");
      setTimeout(() => res.end("part two"), 20);
    });
    return listen(app as never);
  },
};

for (const [name, start] of Object.entries(streaming)) {
  describe(`${name}: a streaming response whose save fails`, () => {
    const { store, down } = flakyStore();
    const seen: Seen = { refusals: [] };
    let server: RunningServer;
    before(async () => {
      server = await start(createSessions({ secrets: [testSecret()], store }), seen);
    });
    after(() => server.close());

    it("is cut off: the client never reads a complete 200, and its cookie opens no session", async () => {
      down.value = true;
      const res = await fetch(`${server.url}/write`, {
        method: "POST",
        headers: { "sec-fetch-site": "same-origin" },
        signal: AbortSignal.timeout(5_000),
      });
      // The headers went out with the first write; the body never completes.
      await assert.rejects(res.text());
      // The new session's cookie went out with them, before its save failed …
      const line = res.headers.getSetCookie().find((l) => l.startsWith(`${COOKIE}=`));
      assert.ok(line !== undefined);
      down.value = false;
      // … and names a session that was never stored: it opens nothing.
      const cookie = line.slice(0, line.indexOf(";"));
      const who = await fetch(`${server.url}/whoami`, { headers: { cookie } });
      assert.equal(await who.text(), "undefined");
      // The headers had gone out: onRefused could no longer answer, so it was not asked.
      assert.deepEqual(seen.refusals, []);
    });
  });
}

describe("express-session compatibility: a login whose save fails at the end of the response", () => {
  const { store, down } = flakyStore();
  const seen: Seen = { refusals: [] };
  let server: RunningServer;
  before(async () => {
    const sessions = createSessions({ secrets: [testSecret()], store });
    const app = express();
    app.use(
      expressAdapter.expressSessionCompat(sessions, {
        onRefused: (r, _req, res) => {
          seen.refusals.push(r);
          res.status(r.status).type("html").send(PAGE);
        },
      }),
    );
    app.post("/write", (req, res) => {
      // What Passport's login does: regenerate, name the user, answer.
      type Compat = expressAdapter.ExpressSessionCompat<{ passport: { user: string } }>;
      const session = req.session as unknown as Compat;
      session.regenerate(() => {
        session.passport = { user: "alice" };
        res.cookie("app", "1").send("saved");
      });
    });
    server = await listen(app as never);
  });
  after(() => server.close());

  it("is offered to onRefused once, and its page goes out without any cookie", async () => {
    down.value = true;
    const reply = await post(server.url);
    assert.equal(reply.status, 503);
    assert.equal(reply.body, PAGE);
    assert.deepEqual(reply.cookies, []);
    assert.deepEqual(
      seen.refusals.map((r) => r.kind),
      ["store-unavailable"],
    );
    down.value = false;
    const back = await post(server.url);
    assert.equal(back.status, 200);
    assert.ok(back.cookies.some((line) => line.startsWith(`${COOKIE}=`)));
  });
});
