// What each kind of request costs in Redis commands (the numbers docs/stores.md quotes), counted
// on the client, so other users of the server do not disturb the count.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { CookieJar, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startApp, type Values } from "./support/app.ts";
import { commandCounter } from "./support/redis-commands.ts";
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "./support/services.ts";

describe("redis: commands per request", () => {
  const clock = fakeClock();
  const prefix = `${runId("cost")}:`;
  let unavailable: string | null = null;
  let client: Redis;
  let sessions: Sessions<Values>;
  let server: RunningServer;

  before(async () => {
    unavailable = await redisUnreachable();
    if (unavailable !== null) return;
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    sessions = createSessions<Values>({
      secrets: [testSecret()],
      store: redisStore({ client, prefix }),
      idleTimeout: "30m",
      absoluteTimeout: "8h",
      touchInterval: "1m",
      rotateEvery: "15m",
      now: clock.now,
    });
    server = await startApp(sessions);
  });
  after(async () => {
    if (unavailable !== null) return;
    await server.close();
    client.disconnect();
    await dropRedisPrefix(REDIS_URL, prefix);
  });

  it("one HGETALL for a read-only request; the writes cost what the docs say", async (t) => {
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const jar = new CookieJar("__Host-session");
    const cost = async (method: string, path: string) => {
      const counter = commandCounter(client);
      const reply = await request(server.url + path, { method, cookie: jar.header });
      assert.equal(reply.status, 200, reply.body);
      jar.take(reply);
      return counter.stop();
    };
    // Once through everything, so every script is cached on the server (no NOSCRIPT retries below).
    await cost("POST", "/set?key=a&value=1");
    await cost("POST", "/login?user=warmup");
    clock.advance(16 * MINUTE);
    await cost("GET", "/read");
    await cost("POST", "/logout");

    assert.deepEqual(await cost("GET", "/read"), [], "no cookie: no command");
    assert.deepEqual(await cost("POST", "/set?key=a&value=1"), ["evalsha"], "first write creates");
    assert.deepEqual(await cost("GET", "/read?k=a"), ["hgetall"], "read-only: exactly one");
    assert.deepEqual(await cost("POST", "/set?key=b&value=2"), ["hgetall", "evalsha"], "a write");
    assert.deepEqual(
      await cost("POST", "/login?user=alice"),
      ["hgetall", "evalsha", "evalsha", "evalsha"],
      "login: create, index, delete the old token (and read where it points)",
    );
    assert.deepEqual(
      await cost("GET", "/read?k=a"),
      ["hgetall"],
      "read-only when logged in: exactly one",
    );
    clock.advance(2 * MINUTE);
    assert.deepEqual(
      await cost("GET", "/read"),
      ["hgetall", "evalsha", "evalsha"],
      "a touch: update, extend the user's index",
    );
    assert.deepEqual(await cost("GET", "/read"), ["hgetall"], "then read-only again");
    clock.advance(16 * MINUTE);
    assert.deepEqual(
      await cost("GET", "/read"),
      ["hgetall", "evalsha", "evalsha", "evalsha", "evalsha"],
      "periodic rotation: create + index, point the old token at the new one + index",
    );
    assert.deepEqual(
      await cost("POST", "/logout"),
      ["hgetall", "evalsha", "hdel"],
      "logout: delete the token with its successor chain, leave the user's index",
    );
  });

  it("sealed cookie sessions with marks in Redis: one MGET per request that carries a session", async (t) => {
    if (unavailable !== null) return skipOrFail(t, unavailable);
    const sealed = createSessions<Values>({
      secrets: [testSecret()],
      store: cookieStore({ revocation: redisStore({ client, prefix }) }),
    });
    const app = await startApp(sealed);
    try {
      const jar = new CookieJar("__Host-session");
      const cost = async (method: string, path: string) => {
        const counter = commandCounter(client);
        const reply = await request(app.url + path, { method, cookie: jar.header });
        assert.equal(reply.status, 200, reply.body);
        jar.take(reply);
        return counter.stop();
      };
      assert.deepEqual(await cost("POST", "/set?key=a&value=1"), [], "a new sealed session: none");
      assert.deepEqual(await cost("GET", "/read?k=a"), ["mget"], "read-only: exactly one");
      assert.deepEqual(await cost("POST", "/set?key=a&value=2"), ["mget"], "a write: still one");
    } finally {
      await app.close();
    }
  });
});
