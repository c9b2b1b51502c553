// What becomes of a binding through the session's life: rotation carries it, a new login
// replaces it, revocation ends it; a browser without DBSC keeps the ordinary behaviour; refresh
// challenges are rationed; a bad configuration is refused at startup.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createSessions,
  isLatchkeyError,
  type SessionsOptions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, deviceKey, proof } from "./client.ts";
import { DEVICE_BOUND, SESSION_COOKIE } from "./flow.ts";

async function withApp(
  options: Partial<SessionsOptions>,
  run: (app: {
    url: string;
    clock: ReturnType<typeof fakeClock>;
    sessions: ReturnType<typeof createSessions<AppSession>>;
  }) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const sessions = createSessions<AppSession>({
    secrets: [testSecret()],
    store: memoryStore(),
    now: clock.now,
    deviceBound: DEVICE_BOUND,
    ...options,
  });
  const server = await (mounts.express as NonNullable<typeof mounts.express>)(sessions);
  try {
    await run({ url: server.url, clock, sessions });
  } finally {
    await server.close();
    await sessions.close();
  }
}

const userOf = async (browser: DbscBrowser) =>
  JSON.parse((await browser.fetch("/read")).body).userId;

describe("DBSC binding through the session's life", () => {
  for (const sealed of [false, true]) {
    it(`${sealed ? "sealed cookie" : "server store"}: periodic and manual rotation carry the binding and its session id`, async () => {
      const options: Partial<SessionsOptions> = { rotateEvery: "10m" };
      if (sealed) options.store = cookieStore({ revocation: memoryStore() });
      await withApp(options, async ({ url, clock }) => {
        const browser = new DbscBrowser(url, await deviceKey("ES256"), clock.now);
        await browser.fetch("/login?user=alice", { method: "POST" });
        const id = browser.session?.id;
        assert.ok(id);
        const before = browser.jar.header([SESSION_COOKIE]);
        clock.advance(11 * MINUTE); // past rotateEvery and the bound cookie's lifetime
        assert.equal(await userOf(browser), "alice");
        assert.notEqual(browser.jar.header([SESSION_COOKIE]), before, "rotated");
        assert.equal(browser.session?.id, id, "same DBSC session");
        assert.equal((await browser.fetch("/rotate", { method: "POST" })).status, 200);
        clock.advance(6 * MINUTE);
        assert.equal(await userOf(browser), "alice");
        assert.equal(browser.session?.id, id);
        // The rotated session cookie alone is still refused.
        const alone = await request(`${url}/read`, {
          cookie: browser.jar.header([SESSION_COOKIE]),
        });
        assert.equal(alone.status, 403);
      });
    });
  }

  it("a refresh that fails (no proof, a wrong key) neither touches nor rotates the session", async () => {
    await withApp({ rotateEvery: "10m" }, async ({ url, clock }) => {
      const browser = new DbscBrowser(url, await deviceKey("ES256"), clock.now);
      await browser.fetch("/login?user=alice", { method: "POST" });
      clock.advance(11 * MINUTE); // rotation due, bound cookie expired
      const stolen = browser.jar.header(["__Host-session"]);
      const headers = { "sec-secure-session-id": `"${browser.session?.id}"` };
      const asked = await request(`${url}/dbsc/refresh`, {
        method: "POST",
        cookie: stolen,
        headers,
      });
      assert.equal(asked.status, 403);
      assert.deepEqual(asked.setCookies, [], "no rotated token for the holder of a stolen cookie");
      const challenge = /^"([^"]+)"/.exec(asked.headers.get("secure-session-challenge") ?? "")?.[1];
      const forged = await proof(await deviceKey("ES256"), challenge as string, false);
      const refused = await request(`${url}/dbsc/refresh`, {
        method: "POST",
        cookie: stolen,
        headers: { ...headers, "secure-session-response": `"${forged}"` },
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.setCookies, []);
      // The real browser refreshes (and rotates) as usual.
      assert.equal(await userOf(browser), "alice");
      assert.notEqual(browser.jar.header(["__Host-session"]), stolen);
    });
  });

  it("a new login on a bound session (keepOnLogin: all) drops the old binding and offers a new one", async () => {
    await withApp({ keepOnLogin: "all" }, async ({ url, clock }) => {
      const browser = new DbscBrowser(url, await deviceKey("ES256"), clock.now);
      await browser.fetch("/login?user=alice", { method: "POST" });
      const first = browser.session?.id;
      const login = await browser.fetch("/login?user=bob", { method: "POST" });
      assert.ok(login.headers.get("secure-session-registration"), "offered again");
      const second = browser.session?.id;
      assert.ok(first && second && first !== second);
      assert.equal(await userOf(browser), "bob");
      // The old DBSC session is unknown to the new session: 401 ends it in the browser.
      const stale = await request(`${url}/dbsc/refresh`, {
        method: "POST",
        cookie: browser.jar.header(),
        headers: { "sec-secure-session-id": `"${first}"` },
      });
      assert.equal(stale.status, 401);
    });
  });

  it("revokeUser ends the binding: refresh answers 401, the cookies are no session", async () => {
    await withApp({}, async ({ url, clock, sessions }) => {
      const browser = new DbscBrowser(url, await deviceKey("RS256"), clock.now);
      await browser.fetch("/login?user=alice", { method: "POST" });
      await sessions.revokeUser("alice");
      assert.equal((await browser.refresh()).status, 401);
      assert.equal(browser.session, null);
      assert.equal(await userOf(browser), null);
    });
  });

  it("a store failure while issuing the offer leaves the login working, only without the offer", async () => {
    const store = memoryStore();
    const failing = {
      ...store,
      create: async (ref: string, session: Parameters<typeof store.create>[1]) => {
        if (ref.startsWith("dbsc.")) throw new Error("ECONNRESET");
        return store.create(ref, session);
      },
    };
    await withApp({ store: failing, log: false }, async ({ url }) => {
      const login = await request(`${url}/login?user=alice`, { method: "POST" });
      assert.equal(login.status, 200);
      assert.equal(login.headers.get("secure-session-registration"), null);
      const cookie = (login.setCookies[0] as string).split(";")[0];
      assert.equal(JSON.parse((await request(`${url}/read`, { cookie })).body).userId, "alice");
    });
  });

  it("a browser without DBSC is never refused: its session is not bound", async () => {
    await withApp({}, async ({ url, clock }) => {
      const login = await request(`${url}/login?user=alice`, { method: "POST" });
      assert.ok(login.headers.get("secure-session-registration"));
      const cookie = (login.setCookies[0] as string).split(";")[0];
      clock.advance(30 * MINUTE);
      const read = await request(`${url}/read`, { cookie });
      assert.equal(read.status, 200);
      assert.equal(JSON.parse(read.body).userId, "alice");
    });
  });

  it("refresh challenges are rationed per binding (429 past ten a window)", async () => {
    await withApp({}, async ({ url, clock }) => {
      const browser = new DbscBrowser(url, await deviceKey("ES256"), clock.now);
      await browser.fetch("/login?user=alice", { method: "POST" });
      const ask = () =>
        request(`${url}/dbsc/refresh`, {
          method: "POST",
          cookie: browser.jar.header(),
          headers: { "sec-secure-session-id": `"${browser.session?.id}"` },
        });
      for (let i = 0; i < 10; i++) assert.equal((await ask()).status, 403);
      assert.equal((await ask()).status, 429);
      clock.advance(6 * MINUTE);
      assert.equal((await browser.refresh()).status, 200);
    });
  });
});

describe("deviceBound configuration", () => {
  const refused: [string, Partial<SessionsOptions>][] = [
    ["sealed cookies without a store for challenges", { store: cookieStore() }],
    ["alg none", { deviceBound: { algorithms: ["none" as "ES256"] } }],
    ["HS256", { deviceBound: { algorithms: ["HS256" as "ES256"] } }],
    ["no algorithm", { deviceBound: { algorithms: [] } }],
    ["a relative path", { deviceBound: { refreshPath: "dbsc/refresh" } }],
    ["a path with a quote", { deviceBound: { refreshPath: '/a"b' } }],
    ["the same path twice", { deviceBound: { refreshPath: "/x", registrationPath: "/x" } }],
    ["a lifetime of 1s", { deviceBound: { boundCookieLifetime: "1s" } }],
    ["a lifetime of 2h", { deviceBound: { boundCookieLifetime: "2h" } }],
    ["a bad cookie name", { deviceBound: { cookieName: "a b" } }],
    ["the session cookie's name", { deviceBound: { cookieName: "__Host-session" } }],
  ];
  for (const [name, options] of refused) {
    it(`refuses ${name} at startup`, () => {
      assert.throws(
        () =>
          createSessions({
            secrets: [testSecret()],
            store: memoryStore(),
            deviceBound: {},
            ...options,
          }),
        (error) => isLatchkeyError(error, "config-invalid"),
      );
    });
  }
});
