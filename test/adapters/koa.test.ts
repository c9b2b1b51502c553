// Corners of the Koa adapter that the shared tables (mounts.ts, csrf-mounts.ts) do not reach:
// Koa sends the response only after every middleware returned, so the adapter's guarantees are
// about what it leaves on the context by then.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import Koa from "koa";
import * as koaAdapter from "../../packages/latchkey/src/adapters/koa.ts";
import {
  createSessions,
  type Session,
  type SessionData,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { countingStore } from "../helpers/counting-store.ts";
import { CookieJar, listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

type Data = SessionData & { n: number };
// `ctx.session` is typed by SessionData; these apps' sessions also carry `n`.
const withN = (session: Session): Session<Data> => session as Session<Data>;
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function serve(app: Koa): Promise<RunningServer> {
  const server = await listen(app.callback());
  servers.push(server);
  return server;
}

/** A memory store whose writes can be held (`hold`) or made to fail (`down`). */
function switchableStore() {
  const inner = countingStore(memoryStore());
  const state = { down: false, held: null as Promise<void> | null, writeBegan: () => {} };
  const write =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      state.writeBegan();
      if (state.down) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      if (state.held !== null) await state.held;
      return run(...args);
    };
  const store: Store = {
    ...inner.store,
    create: write(inner.store.create),
    update: write(inner.store.update),
  };
  return { store, state, calls: inner.calls };
}

describe("koa adapter", () => {
  it("sends the session's headers only once the store write has finished", async () => {
    const { store, state } = switchableStore();
    const sessions = createSessions<Data>({ secrets: [testSecret()], store });
    const app = new Koa();
    app.use(koaAdapter.sessionMiddleware(sessions));
    app.use((ctx) => {
      withN(ctx.session).set("n", 1);
      ctx.body = "saved";
    });
    const server = await serve(app);

    let release = () => {};
    state.held = new Promise((resolve) => {
      release = resolve;
    });
    const writeBegan = new Promise<void>((resolve) => {
      state.writeBegan = resolve;
    });
    let answered = false;
    const reply = request(`${server.url}/`, { method: "POST" }).then((r) => {
      answered = true;
      return r;
    });
    await writeBegan;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(answered, false, "nothing was sent while the store write was pending");
    release();
    const done = await reply;
    assert.equal(done.status, 200);
    assert.equal(done.body, "saved");
    assert.match(done.setCookies[0] ?? "", /^__Host-session=/);
  });

  it("a failed store write replaces the application's response (stream body and headers) with 503", async () => {
    const { store, state } = switchableStore();
    const sessions = createSessions<Data>({ secrets: [testSecret()], store });
    let streamDestroyed = false;
    const app = new Koa();
    app.use(koaAdapter.sessionMiddleware(sessions));
    app.use((ctx) => {
      withN(ctx.session).set("n", 1);
      ctx.status = 201;
      ctx.set("x-app", "yes");
      const body = Readable.from(["not ", "saved"]);
      body.on("close", () => {
        streamDestroyed = true;
      });
      ctx.body = body;
    });
    const server = await serve(app);
    state.down = true;
    const reply = await request(`${server.url}/`, { method: "POST" });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers.get("retry-after"), "5");
    assert.equal(reply.headers.get("x-app"), null, "the application's headers were dropped");
    assert.deepEqual(reply.setCookies, []);
    assert.match(reply.body, /session store is not reachable/);
    assert.equal(streamDestroyed, true, "the application's stream was not left open");
  });

  it("a middleware that throws skips the save: its error reaches the error middleware, no cookie", async () => {
    const { store, calls } = switchableStore();
    const sessions = createSessions<Data>({ secrets: [testSecret()], store });
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = 500;
        ctx.body = { caught: (error as Error).message };
      }
    });
    app.use(koaAdapter.sessionMiddleware(sessions));
    app.use((ctx) => {
      withN(ctx.session).set("n", 1);
      throw new Error("the handler failed");
    });
    const server = await serve(app);
    const reply = await request(`${server.url}/`, { method: "POST" });
    assert.equal(reply.status, 500);
    assert.deepEqual(JSON.parse(reply.body), { caught: "the handler failed" });
    assert.deepEqual(reply.setCookies, []);
    assert.equal(calls.create + calls.update, 0, "nothing was written for the failed request");
  });

  it("reads the _csrf field from ctx.request.body when a body parser ran first", async () => {
    const sessions = createSessions<Data>({ secrets: [testSecret()], store: memoryStore() });
    const app = new Koa();
    app.use(koaAdapter.sessionMiddleware(sessions));
    // What @koa/bodyparser does: consume the stream, leave the fields on ctx.request.body.
    app.use(async (ctx, next) => {
      if (ctx.method === "POST") {
        let text = "";
        for await (const chunk of ctx.req) text += chunk;
        (ctx.request as { body?: unknown }).body = Object.fromEntries(new URLSearchParams(text));
      }
      await next();
    });
    app.use(koaAdapter.csrfMiddleware(sessions));
    app.use((ctx) => {
      ctx.body = ctx.method === "GET" ? ctx.session.csrfToken() : "accepted";
    });
    const server = await serve(app);
    const jar = new CookieJar("__Host-csrf");
    const page = await request(`${server.url}/`);
    jar.take(page);
    const post = (body: string) =>
      request(`${server.url}/`, {
        method: "POST",
        cookie: jar.header,
        headers: {
          "sec-fetch-site": "same-origin",
          "content-type": "application/x-www-form-urlencoded",
        },
        body,
      });
    const accepted = await post(`a=1&_csrf=${page.body}`);
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body, "accepted");
    const refused = await post("a=1");
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body).reason, "token-missing");
  });

  it("onRefused: the application's page for a CSRF refusal, latchkey's answer when it sets no body", async () => {
    const sessions = createSessions<Data>({ secrets: [testSecret()], store: memoryStore() });
    const seen: string[] = [];
    const app = new Koa();
    app.use(
      koaAdapter.sessionMiddleware(sessions, {
        onRefused: (refusal, ctx) => {
          seen.push(`${refusal.kind}:${refusal.reason}`);
          if (refusal.kind !== "csrf") return;
          ctx.status = refusal.status;
          ctx.type = "html";
          ctx.body = `<!doctype html><h1>Form expired</h1><p>${refusal.code}</p>`;
        },
      }),
    );
    app.use(koaAdapter.csrfMiddleware(sessions));
    const fresh = koaAdapter.requireFreshAuth("5m");
    app.use((ctx, next) => (ctx.path === "/email" ? fresh(ctx, next) : next()));
    app.use((ctx) => {
      ctx.body = "reached";
    });
    const server = await serve(app);
    const form = { "content-type": "application/x-www-form-urlencoded" };

    const crossSite = await request(`${server.url}/form`, {
      method: "POST",
      headers: { ...form, "sec-fetch-site": "cross-site" },
      body: "a=1",
    });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(crossSite.body, "<!doctype html><h1>Form expired</h1><p>EBADCSRFTOKEN</p>");

    const stepUp = await request(`${server.url}/email`, {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(stepUp.status, 403);
    assert.deepEqual(JSON.parse(stepUp.body), {
      error: "fresh-auth-required",
      reason: "not-authenticated",
      maxAge: 300,
    });
    assert.deepEqual(seen, ["csrf:cross-site", "fresh-auth:not-authenticated"]);
  });

  it('onRefused "throw": the refusal reaches the error middleware as a RefusalError', async () => {
    const sessions = createSessions<Data>({ secrets: [testSecret()], store: memoryStore() });
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        assert.ok(error instanceof koaAdapter.RefusalError);
        ctx.status = error.status;
        ctx.body = { code: error.code, reason: error.reason };
      }
    });
    app.use(koaAdapter.sessionMiddleware(sessions, { onRefused: "throw" }));
    app.use(koaAdapter.csrfMiddleware(sessions));
    app.use((ctx) => {
      ctx.body = "reached";
    });
    const server = await serve(app);
    const reply = await request(`${server.url}/form`, {
      method: "POST",
      headers: {
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "a=1",
    });
    assert.equal(reply.status, 403);
    assert.deepEqual(JSON.parse(reply.body), { code: "EBADCSRFTOKEN", reason: "token-missing" });
  });

  it("ctx.session is typed, not Koa's catch-all any", () => {
    const typed = (ctx: Koa.Context): string | null => {
      // @ts-expect-error a session has no such method: the augmentation gives ctx.session a type
      ctx.session.noSuchMethod();
      return ctx.session.userId;
    };
    assert.equal(typeof typed, "function");
  });
});
