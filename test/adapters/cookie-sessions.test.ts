// Sealed cookie sessions (cookieStore) over real HTTP, on every adapter.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, HOUR, MINUTE, SECOND } from "../helpers/clock.ts";
import { CookieJar, parseSetCookie, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { mounts } from "./mounts.ts";

const SEALED = /^1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/;
const keyIdOf = (value: string) => value.split(".")[1];

for (const [adapter, mount] of Object.entries(mounts)) {
  describe(`${adapter}: sealed cookie sessions`, () => {
    const clock = fakeClock();
    const events: SessionEvent[] = [];
    const oldSecret = testSecret();
    const newSecret = testSecret();
    const servers: RunningServer[] = [];
    let server: RunningServer;
    let jar: CookieJar;
    const start = async (
      secrets: string[],
      extra: Partial<Parameters<typeof createSessions>[0]> = {},
    ) => {
      const sessions: Sessions<AppSession> = createSessions<AppSession>({
        secrets,
        store: cookieStore(),
        idleTimeout: "30m",
        absoluteTimeout: "8h",
        touchInterval: "1m",
        now: clock.now,
        onEvent: (e) => events.push(e),
        ...extra,
      });
      const running = await mount(sessions);
      servers.push(running);
      return running;
    };
    const call = async (method: string, path: string, cookie = jar.header, on = server) => {
      const reply = await request(on.url + path, { method, cookie });
      const isJson = reply.headers.get("content-type")?.includes("json") ?? false;
      return { ...reply, json: isJson ? JSON.parse(reply.body) : null };
    };

    before(async () => {
      server = await start([oldSecret]);
    });
    after(async () => {
      for (const s of servers) await s.close();
    });
    beforeEach(() => {
      jar = new CookieJar("__Host-session");
      events.length = 0;
    });

    it("seals the session into a secure cookie with the default attributes", async () => {
      assert.deepEqual(
        (await call("GET", "/read")).setCookies,
        [],
        "nothing written, nothing sent",
      );
      const reply = await call("POST", "/count");
      const cookie = parseSetCookie(reply.setCookies[0] as string);
      assert.equal(cookie.name, "__Host-session");
      assert.match(cookie.value, SEALED);
      assert.deepEqual([...cookie.attributes.keys()].sort(), [
        "httponly",
        "path",
        "samesite",
        "secure",
      ]);
      assert.equal(reply.headers.get("cache-control"), "no-store");
      assert.ok(!cookie.value.includes("count"), "the payload is encrypted, not readable");
      jar.take(reply);
      assert.equal((await call("POST", "/count")).json.count, 2);
    });

    it("a read-only request inside the touch interval sends no Set-Cookie; after it, re-seals", async () => {
      jar.take(await call("POST", "/count"));
      clock.advance(30 * SECOND);
      assert.deepEqual((await call("GET", "/read")).setCookies, []);
      clock.advance(MINUTE);
      const touched = await call("GET", "/read");
      assert.equal(touched.setCookies.length, 1);
    });

    it("saves in-place changes and enforces idle and absolute timeouts from the sealed times", async () => {
      jar.take(await call("POST", "/push?item=a"));
      jar.take(await call("POST", "/push?item=b"));
      assert.deepEqual((await call("GET", "/read")).json.items, ["a", "b"]);
      clock.advance(31 * MINUTE);
      const idle = await call("GET", "/read");
      assert.equal(idle.json.isNew, true);
      assert.ok(events.some((e) => e.type === "expired" && e.reason === "idle"));

      jar = new CookieJar("__Host-session");
      jar.take(await call("POST", "/login?user=alice"));
      for (let t = 0; t < 8 * HOUR - 20 * MINUTE; t += 20 * MINUTE) {
        clock.advance(20 * MINUTE);
        jar.take(await call("GET", "/read"));
      }
      clock.advance(20 * MINUTE);
      assert.equal((await call("GET", "/read")).json.userId, null);
      assert.ok(events.some((e) => e.type === "expired" && e.reason === "absolute"));
    });

    it("secret rotation: a cookie sealed under the old secret is accepted and re-sealed under the new one", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const sealedOld = jar.value as string;
      const rotated = await start([newSecret, oldSecret]);
      const reply = await call("GET", "/read", jar.header, rotated);
      assert.equal(reply.json.userId, "alice");
      assert.equal(
        reply.setCookies.length,
        1,
        "re-sealed on this very response, though it only read",
      );
      jar.take(reply);
      assert.notEqual(keyIdOf(jar.value as string), keyIdOf(sealedOld));

      // Once the old secret is retired, the re-sealed cookie works and the old one is no session.
      const retired = await start([newSecret]);
      assert.equal((await call("GET", "/read", jar.header, retired)).json.userId, "alice");
      events.length = 0;
      const stale = await call("GET", "/read", `__Host-session=${sealedOld}`, retired);
      assert.equal(stale.json.userId, null);
      assert.deepEqual(
        events.map((e) => [e.type, e.reason]),
        [["tampered", "unknown-key"]],
      );
    });

    it("a session that would not fit in 4096 bytes fails with a clear error", async () => {
      const reply = await call("POST", "/big?bytes=5000");
      assert.equal(reply.status, 500);
      assert.deepEqual(reply.setCookies, []);
      if (adapter === "express") assert.equal(reply.json.error, "cookie-too-large");
    });

    it("logout expires the cookie; without revocation marks a copied cookie lives until its timeouts", async () => {
      jar.take(await call("POST", "/login?user=alice"));
      const copy = jar.header;
      const reply = await call("POST", "/logout");
      assert.equal(parseSetCookie(reply.setCookies[0] as string).attributes.get("max-age"), "0");
      assert.equal(reply.headers.get("clear-site-data"), '"cookies"');
      // Documented limit of stateless sessions: nothing on the server to delete.
      assert.equal((await call("GET", "/read", copy)).json.userId, "alice");
    });

    it("with revocation marks: logout, login and revokeUser end copied cookies at once", async () => {
      const marks = memoryStore();
      const sessions = createSessions<AppSession>({
        secrets: [newSecret],
        store: cookieStore({ revocation: marks }),
        now: clock.now,
      });
      const revocable = await mount(sessions);
      servers.push(revocable);

      jar.take(await call("POST", "/count", undefined, revocable));
      const preLogin = jar.header;
      jar.take(await call("POST", "/login?user=alice", jar.header, revocable));
      assert.equal(
        (await call("GET", "/read", preLogin, revocable)).json.count,
        null,
        "pre-login seal retired",
      );
      const loggedIn = jar.header;
      await call("POST", "/logout", jar.header, revocable);
      assert.equal(
        (await call("GET", "/read", loggedIn, revocable)).json.userId,
        null,
        "logout replay: no session",
      );

      jar = new CookieJar("__Host-session");
      jar.take(await call("POST", "/login?user=bob", undefined, revocable));
      assert.equal((await call("GET", "/read", jar.header, revocable)).json.userId, "bob");
      clock.advance(1);
      await sessions.revokeUser("bob");
      assert.equal((await call("GET", "/read", jar.header, revocable)).json.userId, null);
    });
  });
}
