// How the Express and node:http adapters save the session around the response: streamed
// responses, a store that fails while loading, a handler that throws.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import express from "express";
import { sessionMiddleware as expressSessions } from "../../packages/latchkey/src/adapters/express.ts";
import { sessionMiddleware as nodeSessions } from "../../packages/latchkey/src/adapters/node.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { brokenStore } from "../helpers/counting-store.ts";
import { CookieJar, listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const servers: RunningServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

describe("streamed responses", () => {
  it("express: a response written in chunks still carries the cookie and persists the session", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secrets: [testSecret()], store });
    const app = express();
    app.use(expressSessions(sessions));
    app.get("/stream", (req, res) => {
      req.session.set("started" as never, true as never);
      res.write("one,");
      setTimeout(() => res.end("two"), 10);
    });
    app.get("/read", (req, res) => {
      res.json({ started: req.session.get("started" as never) ?? null });
    });
    const server = await listen(app as never);
    servers.push(server);
    const jar = new CookieJar("__Host-session");
    const streamed = await request(`${server.url}/stream`);
    assert.equal(streamed.body, "one,two");
    assert.equal(streamed.setCookies.length, 1);
    assert.equal(streamed.headers.get("cache-control"), "no-store");
    jar.take(streamed);
    assert.deepEqual(
      JSON.parse((await request(`${server.url}/read`, { cookie: jar.header })).body),
      { started: true },
    );
  });
});

describe("store failures while loading", () => {
  for (const adapter of ["express", "node"] as const) {
    it(`${adapter}: a session that cannot be read is a 503, not an anonymous request`, async () => {
      const secret = testSecret();
      // Mint a real token with a working store, then present it where the store is down.
      const working = createSessions({ secrets: [secret], store: memoryStore() });
      const minted = await working.load({});
      minted.set("x" as never, 1 as never);
      const headers = await working.commit(minted);
      assert.ok(headers !== null);
      const token = headers.setCookie.split(";")[0] as string;

      const events: string[] = [];
      const down = createSessions({
        secrets: [secret],
        store: brokenStore(),
        onEvent: (e) => events.push(`${e.type}:${e.reason}`),
      });
      let handlerRan = false;
      let server: RunningServer;
      if (adapter === "express") {
        const app = express();
        app.use(expressSessions(down));
        app.use((_req, res) => {
          handlerRan = true;
          res.send("ok");
        });
        server = await listen(app as never);
      } else {
        server = await listen(
          nodeSessions(down, (_req, res) => {
            handlerRan = true;
            res.end("ok");
          }),
        );
      }
      servers.push(server);
      const reply = await request(`${server.url}/`, { cookie: token });
      assert.equal(reply.status, 503);
      assert.equal(reply.headers.get("retry-after"), "5");
      assert.equal(handlerRan, false, "the application never saw the request");
      assert.deepEqual(events, ["store-unavailable:get"]);
    });
  }
});

describe("clearSiteData: false", () => {
  it("logout expires the cookie but sends no Clear-Site-Data", async () => {
    const sessions = createSessions({
      secrets: [testSecret()],
      store: memoryStore(),
      clearSiteData: false,
    });
    const server = await listen(
      nodeSessions(sessions, async (req, res) => {
        if (req.url === "/login") await req.session.login("alice");
        else await req.session.logout();
        res.end("ok");
      }),
    );
    servers.push(server);
    const jar = new CookieJar("__Host-session");
    jar.take(await request(`${server.url}/login`));
    const logout = await request(`${server.url}/logout`, { cookie: jar.header });
    assert.match(logout.setCookies[0] as string, /Max-Age=0/);
    assert.equal(logout.headers.get("clear-site-data"), null);
  });
});

describe("node:http handler errors", () => {
  it("a handler that throws gets a 500 without details", async () => {
    const sessions = createSessions({ secrets: [testSecret()], store: memoryStore() });
    const server = await listen(
      nodeSessions(sessions, async () => {
        throw new Error("database password is hunter2");
      }),
    );
    servers.push(server);
    const reply = await request(`${server.url}/`);
    assert.equal(reply.status, 500);
    assert.equal(reply.body, "Internal Server Error\n");
  });

  // A sealed cookie loads without waiting, so the handler runs in the request's own tick: a
  // synchronous throw and a rejected non-native thenable must both still become a 500.
  for (const [name, handler] of [
    [
      "throws synchronously",
      () => {
        throw new Error("secret detail");
      },
    ],
    [
      "returns a thenable that rejects",
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: the test needs a thenable that is not a Promise.
        then: (_ok: unknown, fail: (e: Error) => void) => fail(new Error("secret detail")),
      }),
    ],
  ] as const) {
    it(`a handler that ${name} on a sealed-cookie session gets a 500 without details`, async () => {
      const sessions = createSessions({ secrets: [testSecret()], store: cookieStore() });
      const server = await listen(nodeSessions(sessions, handler as never));
      servers.push(server);
      const reply = await request(`${server.url}/`);
      assert.equal(reply.status, 500);
      assert.equal(reply.body, "Internal Server Error\n");
    });
  }
});
