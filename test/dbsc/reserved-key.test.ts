// The binding's public key lives in the session under the reserved key `latchkey.dbsc`. The
// application can neither write nor see it: otherwise a naive "copy the form into the session"
// loop would let a request body unbind a bound session or bind an unbound one to another key.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express from "express";
import {
  expressSessionCompat,
  latchkeySession,
  sessionMiddleware,
} from "../../packages/latchkey/src/adapters/express.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock } from "../helpers/clock.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, deviceKey } from "./client.ts";
import { DEVICE_BOUND, SESSION_COOKIE } from "./flow.ts";

const KEY = "latchkey.dbsc";
const clock = fakeClock();
const sessions = createSessions({
  secrets: [testSecret()],
  store: memoryStore(),
  now: clock.now,
  deviceBound: DEVICE_BOUND,
});
let plain: RunningServer;
let compat: RunningServer;

type Values = Record<string, unknown>;
const outcome = (action: () => void): string => {
  try {
    action();
    return "allowed";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

function app(mount: express.RequestHandler, compatMode: boolean): express.Express {
  const server = express();
  server.use(express.json());
  server.use(mount);
  const session = (req: express.Request) => latchkeySession<Values>(req.session);
  server.post("/login", async (req, res) => {
    // Under the facade the data names the user (Passport's way); latchkey logs in from it.
    if (compatMode) (req.session as unknown as Values).passport = { user: String(req.query.user) };
    else await session(req).login(String(req.query.user));
    res.json({ ok: true });
  });
  // What the application can see of the session.
  server.get("/peek", (req, res) => {
    const s = session(req);
    const facade = req.session as unknown as Values;
    res.json({
      userId: s.userId,
      get: s.get(KEY) ?? null,
      has: s.has(KEY),
      keys: s.keys(),
      ...(compatMode
        ? { prop: facade[KEY] ?? null, in: KEY in facade, own: Object.keys(facade) }
        : {}),
    });
  });
  // Every way of writing the key, each answered separately.
  server.post("/write", (req, res) => {
    const s = session(req);
    const facade = req.session as unknown as Values;
    res.json({
      set: outcome(() => s.set(KEY, "{}")),
      delete: outcome(() => s.delete(KEY)),
      ...(compatMode
        ? {
            assign: outcome(() => {
              facade[KEY] = "{}";
            }),
            remove: outcome(() => {
              delete facade[KEY];
            }),
          }
        : {}),
    });
  });
  // The naive application: copies every field of a JSON body into the session.
  server.post("/profile", (req, res) => {
    const body = req.body as Values;
    for (const k in body) session(req).set(k, body[k]);
    res.json({ ok: true });
  });
  server.use(
    (error: { code?: string }, _req: express.Request, res: express.Response, _next: unknown) => {
      res.status(500).json({ error: error.code ?? "unknown" });
    },
  );
  return server;
}

before(async () => {
  plain = await listen(app(sessionMiddleware(sessions), false) as never);
  compat = await listen(app(expressSessionCompat(sessions), true) as never);
});
after(async () => {
  await plain.close();
  await compat.close();
  await sessions.close();
});

const postJson = (base: string, path: string, cookie: string | undefined, body: unknown) =>
  request(`${base}${path}`, {
    method: "POST",
    cookie,
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
    body: JSON.stringify(body),
  });

async function bound(base: string): Promise<DbscBrowser> {
  const browser = new DbscBrowser(base, await deviceKey("ES256"), clock.now);
  await browser.fetch("/login?user=alice", { method: "POST" });
  assert.ok(browser.session, "registered");
  return browser;
}

describe("the reserved session key latchkey.dbsc", () => {
  for (const [name, base, compatMode] of [
    ["Session", () => plain.url, false],
    ["expressSessionCompat facade", () => compat.url, true],
  ] as const) {
    it(`${name}: writes refused with argument-invalid, reads hide it, binding intact`, async () => {
      const browser = await bound(base());
      const wrote = await browser.fetch("/write", { method: "POST" });
      assert.equal(wrote.status, 200);
      const refused = JSON.parse(wrote.body) as Record<string, string>;
      assert.deepEqual(
        refused,
        compatMode
          ? {
              set: "argument-invalid",
              delete: "argument-invalid",
              assign: "argument-invalid",
              remove: "argument-invalid",
            }
          : { set: "argument-invalid", delete: "argument-invalid" },
      );
      const peek = JSON.parse((await browser.fetch("/peek")).body) as Values;
      assert.equal(peek.userId, "alice");
      assert.equal(peek.get, null);
      assert.equal(peek.has, false);
      assert.ok(!(peek.keys as string[]).includes(KEY));
      if (compatMode) {
        assert.equal(peek.prop, null);
        assert.equal(peek.in, false);
        assert.ok(!(peek.own as string[]).includes(KEY));
      }
      // Still bound: the session cookie alone is refused.
      const alone = await request(`${base()}/peek`, {
        cookie: browser.jar.header([SESSION_COOKIE]),
      });
      assert.equal(alone.status, 403);
      assert.equal(JSON.parse(alone.body).reason, "bound-cookie-missing");
    });
  }

  it("a naive body-to-session loop cannot unbind a bound session", async () => {
    const browser = await bound(plain.url);
    const reply = await postJson(plain.url, "/profile", browser.jar.header(), {
      theme: "dark",
      [KEY]: null,
    });
    assert.equal(reply.status, 500);
    assert.equal(JSON.parse(reply.body).error, "argument-invalid");
    browser.jar.take(reply);
    // The device keeps working, the session cookie alone is still refused.
    const peek = await browser.fetch("/peek");
    assert.equal(peek.status, 200);
    assert.equal(JSON.parse(peek.body).userId, "alice");
    const alone = await request(`${plain.url}/peek`, {
      cookie: browser.jar.header([SESSION_COOKIE]),
    });
    assert.equal(alone.status, 403);
  });

  it("a naive loop cannot bind an unbound session to a key of the sender's choosing", async () => {
    // A client without DBSC: it ignores the registration offer, the session stays unbound.
    const login = await postJson(plain.url, "/login?user=bob", undefined, {});
    assert.equal(login.status, 200);
    const cookie = login.setCookies
      .map((line) => line.split(";")[0] as string)
      .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(cookie);
    const attacker = await deviceKey("ES256");
    const planted = JSON.stringify({
      id: "AAAAAAAAAAAAAAAAAAAAAA",
      sid: "guessed",
      alg: "ES256",
      jwk: attacker.jwk,
    });
    const reply = await postJson(plain.url, "/profile", cookie, { [KEY]: planted });
    assert.equal(reply.status, 500);
    assert.equal(JSON.parse(reply.body).error, "argument-invalid");
    // Unaffected: the session cookie alone still works, nothing bound, nothing visible.
    const peek = await request(`${plain.url}/peek`, { cookie });
    assert.equal(peek.status, 200);
    const seen = JSON.parse(peek.body) as Values;
    assert.equal(seen.userId, "bob");
    assert.equal(seen.has, false);
    assert.ok(!(seen.keys as string[]).includes(KEY));
  });
});
