// What each kind of request costs in Redis commands and round trips (the numbers docs/stores.md
// quotes), counted on the client, so other users of the server do not disturb the count. The same
// through an ioredis client and a node-redis one: the store sends the same scripts through both.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { CookieJar, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startApp, type Values } from "./support/app.ts";
import { nodeRedisCounter } from "./support/node-redis-commands.ts";
import { type CommandCount, commandCounter } from "./support/redis-commands.ts";
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "./support/services.ts";

interface Client {
  store: Parameters<typeof redisStore>[0]["client"];
  count(): CommandCount;
  close(): Promise<void> | void;
}

const CLIENTS: Record<string, () => Promise<Client>> = {
  ioredis: async () => {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    return { store: client, count: () => commandCounter(client), close: () => client.disconnect() };
  },
  "node-redis": async () => {
    const client = await createClient({ url: REDIS_URL }).connect();
    return { store: client, count: () => nodeRedisCounter(client), close: () => client.destroy() };
  },
};

/** What one request cost: the commands in order, and how many times the server waited for Redis. */
interface Cost {
  commands: string[];
  roundTrips: number;
}

/** A request that reads the session (one HGETALL), then writes it with one script. */
const READ_THEN_ONE_SCRIPT: Cost = { commands: ["hgetall", "evalsha"], roundTrips: 2 };

for (const [label, connect] of Object.entries(CLIENTS)) {
  describe(`redis (${label}): commands and round trips per request`, () => {
    const clock = fakeClock();
    const prefix = `${runId("cost")}:`;
    let unavailable: string | null = null;
    let client: Client;
    let sessions: Sessions<Values>;
    let server: RunningServer;

    before(async () => {
      unavailable = await redisUnreachable();
      if (unavailable !== null) return;
      client = await connect();
      sessions = createSessions<Values>({
        secrets: [testSecret()],
        store: redisStore({ client: client.store, prefix }),
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
      await client.close();
      await dropRedisPrefix(REDIS_URL, prefix);
    });

    it("one command for a read-only request; every write is one script after the read", async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const jar = new CookieJar("__Host-session");
      const cost = async (method: string, path: string): Promise<Cost> => {
        const counter = client.count();
        const reply = await request(server.url + path, { method, cookie: jar.header });
        assert.equal(reply.status, 200, reply.body);
        jar.take(reply);
        return { commands: counter.stop(), roundTrips: counter.roundTrips() };
      };
      // Once through everything, so every script is cached on the server (no NOSCRIPT retries below).
      await cost("POST", "/set?key=a&value=1");
      await cost("POST", "/login?user=warmup");
      clock.advance(16 * MINUTE);
      await cost("GET", "/read");
      await cost("POST", "/logout");

      assert.deepEqual(await cost("GET", "/read"), { commands: [], roundTrips: 0 }, "no cookie");
      assert.deepEqual(
        await cost("POST", "/set?key=a&value=1"),
        { commands: ["evalsha"], roundTrips: 1 },
        "the first write creates the session: one script",
      );
      const readOnly = { commands: ["hgetall"], roundTrips: 1 };
      assert.deepEqual(await cost("GET", "/read?k=a"), readOnly, "read-only: exactly one");
      assert.deepEqual(await cost("POST", "/set?key=b&value=2"), READ_THEN_ONE_SCRIPT, "a set");
      assert.deepEqual(
        await cost("POST", "/login?user=alice"),
        READ_THEN_ONE_SCRIPT,
        "login: the new entry and its index entry, the old token deleted, in one script",
      );
      assert.deepEqual(await cost("GET", "/read?k=a"), readOnly, "read-only when logged in");
      clock.advance(2 * MINUTE);
      assert.deepEqual(
        await cost("GET", "/read"),
        READ_THEN_ONE_SCRIPT,
        "a touch: the session's expiry and its user's index in one script",
      );
      assert.deepEqual(await cost("GET", "/read"), readOnly, "then read-only again");
      clock.advance(16 * MINUTE);
      assert.deepEqual(
        await cost("GET", "/read"),
        READ_THEN_ONE_SCRIPT,
        "periodic rotation: the new entry and the old token's pointer, both indexed, in one script",
      );
      assert.deepEqual(
        await cost("POST", "/logout"),
        READ_THEN_ONE_SCRIPT,
        "logout: the token, its successor chain and their index entries in one script",
      );
    });

    it("sealed cookie sessions with marks in Redis: one MGET per request that carries a session", async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const sealed = createSessions<Values>({
        secrets: [testSecret()],
        store: cookieStore({ revocation: redisStore({ client: client.store, prefix }) }),
      });
      const app = await startApp(sealed);
      try {
        const jar = new CookieJar("__Host-session");
        const cost = async (method: string, path: string) => {
          const counter = client.count();
          const reply = await request(app.url + path, { method, cookie: jar.header });
          assert.equal(reply.status, 200, reply.body);
          jar.take(reply);
          return counter.stop();
        };
        assert.deepEqual(await cost("POST", "/set?key=a&value=1"), [], "a new sealed session");
        assert.deepEqual(await cost("GET", "/read?k=a"), ["mget"], "read-only: exactly one");
        assert.deepEqual(await cost("POST", "/set?key=a&value=2"), ["mget"], "a write: still one");
      } finally {
        await app.close();
      }
    });
  });
}
