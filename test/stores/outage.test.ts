// A store that goes down (or hangs) fails closed: 503 and a `store-unavailable` event, no session treated
// as anonymous, nothing overwritten; when it comes back, the same sessions work.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { CookieJar, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startApp, type Values } from "./support/app.ts";
import { type RedisProcess, redisServerMissing, startRedisServer } from "./support/redis-server.ts";
import { DATABASE_URL, dropSchema, postgresUnreachable, runId } from "./support/services.ts";
import { type TcpProxy, tcpProxy } from "./support/tcp-proxy.ts";

interface Outage {
  unavailable(): Promise<string | null>;
  /** The store, and how to take its service away and bring it back. */
  setUp(): Promise<{
    store: Store;
    down(): Promise<void>;
    up(): Promise<void>;
    tearDown(): Promise<void>;
  }>;
}

const outages: Record<string, Outage> = {
  "redis-server stopped and restarted": {
    unavailable: async () => redisServerMissing(),
    async setUp() {
      const server: RedisProcess = await startRedisServer();
      const store = redisStore({ url: server.url, prefix: "outage:" });
      return {
        store,
        down: () => server.stop(),
        up: () => server.start(),
        tearDown: async () => {
          await store.close?.();
          await server.destroy();
        },
      };
    },
  },
  "redis-server hanging (SIGSTOP) until commands time out": {
    unavailable: async () => redisServerMissing(),
    async setUp() {
      const server: RedisProcess = await startRedisServer();
      const store = redisStore({
        url: server.url,
        prefix: "hang:",
        // Short enough that a stalled server shows quickly, long enough for a loaded CI machine.
        redisOptions: { commandTimeout: 1_000 },
      });
      return {
        store,
        down: async () => server.pause(),
        up: async () => server.resume(),
        tearDown: async () => {
          await store.close?.();
          await server.destroy();
        },
      };
    },
  },
  "postgres connection stalled until queries time out": {
    unavailable: () => postgresUnreachable(),
    async setUp() {
      const target = new URL(DATABASE_URL);
      const proxy = await tcpProxy(target.hostname, Number(target.port || 5432));
      const through = new URL(DATABASE_URL);
      through.hostname = "127.0.0.1";
      through.port = String(proxy.port);
      const schema = runId("stall");
      const store = postgresStore({
        connectionString: through.href,
        schema,
        poolOptions: { query_timeout: 1_000, connectionTimeoutMillis: 1_000 },
      });
      await store.migrate();
      return {
        store,
        down: async () => proxy.stall(),
        up: async () => proxy.resume(),
        tearDown: async () => {
          await store.close?.();
          await proxy.close();
          await dropSchema(schema);
        },
      };
    },
  },
  "postgres connection cut and restored": {
    unavailable: () => postgresUnreachable(),
    async setUp() {
      const target = new URL(DATABASE_URL);
      const proxy: TcpProxy = await tcpProxy(target.hostname, Number(target.port || 5432));
      const through = new URL(DATABASE_URL);
      through.hostname = "127.0.0.1";
      through.port = String(proxy.port);
      const schema = runId("outage");
      const store = postgresStore({ connectionString: through.href, schema });
      await store.migrate();
      return {
        store,
        down: () => proxy.cut(),
        up: () => proxy.restore(),
        tearDown: async () => {
          await store.close?.();
          await proxy.close();
          await dropSchema(schema);
        },
      };
    },
  },
};

for (const [name, outage] of Object.entries(outages)) {
  describe(`store outage: ${name}`, () => {
    const events: SessionEvent[] = [];
    let unavailable: string | null = null;
    let env: Awaited<ReturnType<Outage["setUp"]>>;
    let sessions: Sessions<Values>;
    let server: RunningServer;

    before(async () => {
      unavailable = await outage.unavailable();
      if (unavailable !== null) return;
      env = await outage.setUp();
      sessions = createSessions<Values>({
        secrets: [testSecret()],
        store: env.store,
        onEvent: (e) => events.push(e),
      });
      server = await startApp(sessions);
    });
    after(async () => {
      if (unavailable !== null) return;
      await server.close();
      await env.tearDown();
    });

    it("fails closed while the store is down, and the same session works when it is back", async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const send = (method: string, path: string, cookie: string | undefined) =>
        request(server.url + path, { method, cookie });
      const jar = new CookieJar("__Host-session");
      const login0 = await send("POST", "/login?user=alice", undefined);
      assert.equal(login0.status, 200, "logged in before the outage");
      jar.take(login0);
      const set0 = await send("POST", "/set?key=a&value=1", jar.header);
      assert.equal(set0.status, 200, "written before the outage");

      await env.down();
      events.length = 0;
      const read = await send("GET", "/read?k=a", jar.header);
      assert.equal(read.status, 503, "a read fails closed");
      assert.deepEqual(read.setCookies, [], "the cookie is left alone");
      const write = await send("POST", "/set?key=a&value=2", jar.header);
      assert.equal(write.status, 503, "a write fails closed");
      const login = await send("POST", "/login?user=mallory", undefined);
      assert.equal(login.status, 503, "a login fails closed");
      assert.ok(
        events.some((e) => e.type === "store-unavailable"),
        "a store-unavailable event",
      );
      assert.ok(!events.some((e) => e.type === "login" || e.type === "created"));

      await env.up();
      // The client reconnects on its own; give it a moment.
      const deadline = Date.now() + 10_000;
      let back = await send("GET", "/read?k=a", jar.header);
      while (back.status === 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        back = await send("GET", "/read?k=a", jar.header);
      }
      assert.equal(back.status, 200);
      const body = JSON.parse(back.body);
      assert.equal(body.userId, "alice", "the same session, still logged in");
      assert.equal(body.values.a, "1", "nothing written during the outage, nothing lost");
      await send("POST", "/set?key=a&value=3", jar.header);
      const again = await send("GET", "/read?k=a", jar.header);
      assert.equal(JSON.parse(again.body).values.a, "3", "writes work again");
    });
  });
}
