// Server-side sessions (memory store) over real HTTP, on every adapter.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, HOUR, MINUTE, SECOND } from "../helpers/clock.ts";
import { brokenStore, countingStore } from "../helpers/counting-store.ts";
import { CookieJar, parseSetCookie, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { mounts } from "./mounts.ts";

const TOKEN = /^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{44}$/;

for (const [adapter, mount] of Object.entries(mounts)) {
  describe(`${adapter}: server-side sessions`, () => {
    const clock = fakeClock();
    const counted = countingStore(memoryStore());
    const events: SessionEvent[] = [];
    let sessions: Sessions<AppSession>;
    let server: RunningServer;
    let jar: CookieJar;
    const call = async (method: string, path: string, cookie = jar.header) => {
      const reply = await request(server.url + path, { method, cookie });
      return { ...reply, json: reply.status === 200 ? JSON.parse(reply.body) : null };
    };

    before(async () => {
      sessions = createSessions<AppSession>({
        secrets: [testSecret()],
        store: counted.store,
        idleTimeout: "30m",
        absoluteTimeout: "8h",
        touchInterval: "1m",
        rotateEvery: "15m",
        rotationGrace: "10s",
        now: clock.now,
        onEvent: (e) => events.push(e),
      });
      server = await mount(sessions);
    });
    after(() => server.close());
    beforeEach(() => {
      jar = new CookieJar("__Host-session");
      events.length = 0;
      counted.reset();
    });

    it("a request that writes nothing creates no session, no cookie, no store write", async () => {
      const reply = await call("GET", "/read");
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.setCookies, []);
      assert.equal(reply.json.isNew, true);
      assert.equal(counted.writes(), 0);
      assert.equal(counted.calls.get, 0, "no cookie, no lookup");
    });

    it("the first write sets exactly the secure default cookie, with Cache-Control: no-store", async () => {
      const reply = await call("POST", "/count");
      assert.equal(reply.setCookies.length, 1);
      const cookie = parseSetCookie(reply.setCookies[0] as string);
      assert.equal(cookie.name, "__Host-session");
      assert.match(cookie.value, TOKEN);
      assert.deepEqual([...cookie.attributes.keys()].sort(), [
        "httponly",
        "path",
        "samesite",
        "secure",
      ]);
      assert.equal(cookie.attributes.get("path"), "/");
      assert.equal(cookie.attributes.get("samesite"), "Lax");
      assert.equal(reply.headers.get("cache-control"), "no-store");
      assert.equal(counted.calls.create, 1);
      assert.deepEqual(
        events.map((e) => e.type),
        ["created"],
      );
    });

    it("a read-only request inside the touch interval: one store read, no write, no Set-Cookie", async () => {
      jar.take(await call("POST", "/count"));
      counted.reset();
      clock.advance(30 * SECOND);
      const reply = await call("GET", "/read");
      assert.equal(reply.json.count, 1);
      assert.deepEqual(reply.setCookies, []);
      assert.equal(reply.headers.get("cache-control"), null);
      assert.equal(counted.calls.get, 1);
      assert.equal(counted.writes(), 0);
    });

    it("a read-only request after the touch interval writes the activity time once, without Set-Cookie", async () => {
      jar.take(await call("POST", "/count"));
      counted.reset();
      clock.advance(2 * MINUTE);
      const reply = await call("GET", "/read");
      assert.deepEqual(reply.setCookies, []);
      assert.deepEqual(counted.calls, { get: 1, create: 0, update: 1, delete: 0 });
    });

    it("saves values changed in place (pushing into a stored array)", async () => {
      jar.take(await call("POST", "/push?item=a"));
      await call("POST", "/push?item=b");
      await call("POST", "/push?item=c");
      assert.deepEqual((await call("GET", "/read")).json.items, ["a", "b", "c"]);
    });

    it("a deleted key is gone within the request and after it", async () => {
      jar.take(await call("POST", "/push?item=a"));
      const forgot = await call("POST", "/forget");
      assert.equal(forgot.json.itemsAfterDelete, null);
      assert.equal((await call("GET", "/read")).json.items, null);
    });

    it("login issues a new token and kills the pre-login one at once (fixation)", async () => {
      jar.take(await call("POST", "/count"));
      const before = jar.value as string;
      const login = await call("POST", "/login?user=alice");
      jar.take(login);
      assert.notEqual(jar.value, before);
      assert.match(jar.value as string, TOKEN);
      assert.equal(login.json.userId, "alice");
      assert.equal(login.json.authTime, clock.now());
      // Nothing written before login carries over by default (keepOnLogin): it may be planted.
      assert.equal(login.json.count, null, "pre-login values stay behind");
      // The attacker's planted (pre-login) cookie is now worthless.
      const replay = await call("GET", "/read", `__Host-session=${before}`);
      assert.equal(replay.json.isNew, true);
      assert.equal(replay.json.userId, null);
      assert.equal((await call("GET", "/read")).json.userId, "alice");
      const login_ = events.find((e) => e.type === "login");
      assert.ok(login_?.ref && login_.previousRef && login_.ref !== login_.previousRef);
    });

    it("logout deletes the session, expires the cookie with the same attributes, sends Clear-Site-Data", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const token = jar.value as string;
      const reply = await call("POST", "/logout");
      assert.equal(reply.setCookies.length, 1);
      const cookie = parseSetCookie(reply.setCookies[0] as string);
      assert.equal(cookie.name, "__Host-session");
      assert.equal(cookie.value, "");
      assert.equal(cookie.attributes.get("max-age"), "0");
      assert.equal(cookie.attributes.get("expires"), "Thu, 01 Jan 1970 00:00:00 GMT");
      assert.equal(cookie.attributes.get("path"), "/");
      assert.equal(cookie.attributes.get("samesite"), "Lax");
      assert.ok(cookie.attributes.has("secure") && cookie.attributes.has("httponly"));
      assert.equal(reply.headers.get("clear-site-data"), '"cookies"');
      assert.equal(reply.headers.get("cache-control"), "no-store");
      // Replaying the captured cookie after logout gives no session.
      const replay = await call("GET", "/read", `__Host-session=${token}`);
      assert.equal(replay.json.isNew, true);
      assert.equal(replay.json.userId, null);
      assert.ok(events.some((e) => e.type === "destroyed" && e.userId === "alice"));
    });

    it("ends an idle session after the idle timeout; activity before it keeps the session", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      clock.advance(29 * MINUTE);
      const first = await call("GET", "/read");
      jar.take(first); // periodic rotation (every 15 min) may hand out a new token
      assert.equal(first.json.userId, "alice", "29 min idle: still valid");
      clock.advance(29 * MINUTE);
      const second = await call("GET", "/read");
      jar.take(second);
      assert.equal(second.json.userId, "alice", "the last request restarted the idle clock");
      clock.advance(30 * MINUTE);
      const reply = await call("GET", "/read");
      assert.equal(reply.json.userId, null);
      assert.ok(
        events.some((e) => e.type === "expired" && e.reason === "idle" && e.userId === "alice"),
      );
      assert.equal(
        parseSetCookie(reply.setCookies[0] as string).attributes.get("max-age"),
        "0",
        "the dead cookie is cleared",
      );
    });

    it("ends a session at the absolute timeout however active it is", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      for (let elapsed = 0; elapsed < 8 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
        clock.advance(20 * MINUTE);
        const reply = await call("GET", "/read");
        jar.take(reply); // periodic rotation hands out new tokens along the way
        assert.equal(reply.json.userId, "alice");
      }
      clock.advance(20 * MINUTE);
      assert.equal((await call("GET", "/read")).json.userId, null);
      assert.ok(events.some((e) => e.type === "expired" && e.reason === "absolute"));
    });

    it("periodic rotation: new token; the old one works only inside the grace window; absolute clock kept", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const createdAt = (await call("GET", "/read")).json.createdAt;
      const old = jar.value as string;
      clock.advance(16 * MINUTE);
      const rotated = await call("GET", "/read");
      jar.take(rotated);
      assert.notEqual(jar.value, old, "rotation sent a new token");
      assert.equal(rotated.json.createdAt, createdAt, "rotation never resets the absolute clock");
      assert.ok(events.some((e) => e.type === "rotated" && e.reason === "periodic"));

      clock.advance(5 * SECOND);
      const inFlight = await call("POST", "/count", `__Host-session=${old}`);
      assert.equal(
        inFlight.json.userId,
        "alice",
        "inside the grace window the old token still works",
      );
      assert.deepEqual(inFlight.setCookies, [], "and is not re-issued");
      assert.equal(
        (await call("GET", "/read")).json.count,
        1,
        "its write landed on the new session",
      );

      clock.advance(10 * SECOND);
      assert.equal(
        (await call("GET", "/read", `__Host-session=${old}`)).json.userId,
        null,
        "after grace: dead",
      );
      assert.equal((await call("GET", "/read")).json.userId, "alice");
    });

    it("rotate() issues a new token and kills the old one at once", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const old = jar.value as string;
      jar.take(await call("POST", "/rotate"));
      assert.notEqual(jar.value, old);
      assert.equal((await call("GET", "/read", `__Host-session=${old}`)).json.userId, null);
      assert.equal((await call("GET", "/read")).json.userId, "alice");
    });

    it("remember me: Max-Age is what is left of the absolute timeout, never more", async () => {
      const reply = await call("POST", "/login?user=alice&remember");
      jar.take(reply);
      assert.equal(
        parseSetCookie(reply.setCookies[0] as string).attributes.get("max-age"),
        String(8 * 3600),
      );
      clock.advance(2 * MINUTE);
      const touched = await call("GET", "/read");
      assert.equal(
        parseSetCookie(touched.setCookies[0] as string).attributes.get("max-age"),
        String(8 * 3600 - 120),
      );
      const plain = await call("POST", "/login?user=bob");
      assert.equal(parseSetCookie(plain.setCookies[0] as string).attributes.has("max-age"), false);
    });

    it("switching remember-me on an existing session re-sends the same token with Max-Age, and off without", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const token = jar.value;
      clock.advance(10 * SECOND);
      const on = await call("POST", "/remember");
      const cookie = parseSetCookie(on.setCookies[0] as string);
      assert.equal(cookie.value, token, "the same token, not a new one");
      assert.equal(cookie.attributes.get("max-age"), String(8 * 3600 - 10));
      assert.equal((await call("GET", "/read")).json.persistent, true);
      const off = await call("POST", "/remember?off");
      const plain = parseSetCookie(off.setCookies[0] as string);
      assert.equal(plain.value, token);
      assert.equal(plain.attributes.has("max-age"), false, "a browser-session cookie again");
    });

    it("hostile cookie values are no session, never an error", async () => {
      const hostile = [
        "",
        "x",
        ".",
        "a.b",
        "%",
        "%zz",
        '"quoted"',
        "a".repeat(5000),
        `${"A".repeat(32)}.${"B".repeat(44)}`,
      ];
      for (const value of hostile) {
        const reply = await call("GET", "/read", `__Host-session=${encodeURIComponent(value)}`);
        assert.equal(reply.status, 200, `cookie ${JSON.stringify(value.slice(0, 20))}`);
        assert.equal(reply.json.isNew, true);
      }
      assert.equal(counted.calls.get, 0, "malformed and forged tokens never reach the store");
    });

    it("events never contain the token", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const token = jar.value as string;
      await call("POST", "/rotate");
      await call("POST", "/logout");
      const text = JSON.stringify(events);
      assert.ok(events.length >= 3);
      for (const part of token.split("."))
        assert.ok(!text.includes(part), "no part of the token in events");
    });
  });

  describe(`${adapter}: a store that is down fails closed`, () => {
    const events: SessionEvent[] = [];
    let server: RunningServer;
    before(async () => {
      const sessions = createSessions<AppSession>({
        secrets: [testSecret()],
        store: brokenStore(),
        onEvent: (e) => events.push(e),
      });
      server = await mount(sessions);
    });
    after(() => server.close());

    it("answers 503 when the session cannot be loaded, and emits store-unavailable", async () => {
      const cookie = `__Host-session=${"A".repeat(32)}.${"B".repeat(44)}`;
      // A forged id is refused before the store: use a request that must write instead.
      const forged = await request(`${server.url}/read`, { cookie });
      assert.equal(forged.status, 200);
      const write = await request(`${server.url}/count`, { method: "POST" });
      assert.equal(write.status, 503);
      assert.deepEqual(write.setCookies, [], "no cookie for a session that was not saved");
      assert.ok(events.some((e) => e.type === "store-unavailable" && e.reason === "create"));
    });
  });
}
