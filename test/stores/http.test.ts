// No lost updates, over real HTTP through the engine and the Express adapter, on every store:
// concurrent requests on one session, a periodic rotation under load, and what a request costs.
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { fakeClock, MINUTE, SECOND } from "../helpers/clock.ts";
import { countingStore } from "../helpers/counting-store.ts";
import { CookieJar, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startApp, type Values } from "./support/app.ts";
import { commandCounter } from "./support/redis-commands.ts";
import { type MadeStore, targets } from "./support/targets.ts";

const COOKIE = "__Host-session";

for (const target of targets) {
  describe(`${target.name}: concurrent requests over HTTP`, () => {
    const clock = fakeClock();
    const events: SessionEvent[] = [];
    let unavailable: string | null = null;
    let made: MadeStore;
    let counted: ReturnType<typeof countingStore>;
    let sessions: Sessions<Values>;
    let server: RunningServer;

    before(async () => {
      unavailable = await target.unavailable();
      if (unavailable !== null) return;
      made = await target.make();
      counted = countingStore(made.store);
      sessions = createSessions<Values>({
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
      server = await startApp(sessions);
    });
    after(async () => {
      if (unavailable !== null) return;
      await server.close();
      await made.cleanup();
    });

    const ready = (t: TestContext) => {
      if (unavailable !== null) skipOrFail(t, unavailable);
      return unavailable === null;
    };
    const send = async (method: string, path: string, cookie: string | undefined) => {
      const reply = await request(server.url + path, { method, cookie });
      return { ...reply, json: reply.status === 200 ? JSON.parse(reply.body) : null };
    };
    const login = async (user: string) => {
      const jar = new CookieJar(COOKIE);
      jar.take(await send("POST", `/login?user=${user}`, undefined));
      assert.ok(jar.header, "logged in");
      return jar;
    };

    it("100 concurrent requests on one session, each setting a different key, leave all 100 keys", async (t) => {
      if (!ready(t)) return;
      const jar = await login("alice");
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          send("POST", `/set?key=k${i}&value=v${i}`, jar.header),
        ),
      );
      assert.deepEqual(
        replies.map((r) => r.status),
        replies.map(() => 200),
      );
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const read = await send("GET", `/read?${keys.map((k) => `k=${k}`).join("&")}`, jar.header);
      assert.equal(read.json.userId, "alice");
      for (let i = 0; i < 100; i++) assert.equal(read.json.values[`k${i}`], `v${i}`, `k${i} kept`);
    });

    it("the same key written concurrently: one of the writes wins; written in turn: the last wins", async (t) => {
      if (!ready(t)) return;
      const jar = await login("bob");
      const values = Array.from({ length: 20 }, (_, i) => `w${i}`);
      await Promise.all(values.map((v) => send("POST", `/set?key=same&value=${v}`, jar.header)));
      const read = await send("GET", "/read?k=same", jar.header);
      assert.ok(values.includes(read.json.values.same), `got ${read.json.values.same}`);
      await send("POST", "/set?key=same&value=first", jar.header);
      await send("POST", "/set?key=same&value=second", jar.header);
      assert.equal((await send("GET", "/read?k=same", jar.header)).json.values.same, "second");
    });

    it("50 parallel requests across a periodic rotation: none is logged out", async (t) => {
      if (!ready(t)) return;
      const jar = await login("carol");
      await send("POST", "/set?key=before&value=1", jar.header);
      clock.advance(16 * MINUTE); // past rotateEvery: the next requests rotate the token
      events.length = 0;
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? send("GET", "/read?k=before", jar.header)
            : send("POST", `/set?key=p${i}&value=1`, jar.header),
        ),
      );
      for (const reply of replies) {
        assert.equal(reply.status, 200);
        assert.equal(reply.json.userId, "carol", "still logged in");
        assert.equal(reply.json.isNew, false);
      }
      assert.ok(
        events.some((e) => e.type === "rotated"),
        "the token was rotated",
      );
      assert.ok(!events.some((e) => e.type === "unknown-id" || e.type === "expired"));
      // Every cookie handed out during the race works, and so does the old one inside the grace window.
      const handedOut = replies.map((r) => {
        const next = new CookieJar(COOKIE);
        next.value = jar.value;
        next.take(r);
        return next.header;
      });
      clock.advance(5 * SECOND);
      const followUps = await Promise.all(handedOut.map((c) => send("GET", "/read", c)));
      for (const reply of followUps) assert.equal(reply.json?.userId, "carol");
    });

    it("a read-only request inside the touch interval reads once and writes nothing", async (t) => {
      if (!ready(t)) return;
      const jar = await login("dave");
      counted.reset();
      const redis = made.redis === undefined ? null : commandCounter(made.redis);
      const reply = await send("GET", "/read?k=x", jar.header);
      assert.equal(reply.status, 200);
      assert.deepEqual(counted.calls, { get: 1, create: 0, update: 0, delete: 0 });
      if (redis !== null) {
        assert.deepEqual(redis.stop(), ["hgetall"], "exactly one Redis command");
      }
    });
  });
}
