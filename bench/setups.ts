// Every server the benchmark compares. Each does the same work: read the session, increment a
// counter, answer it (`/write`), or only read it (`/read`). The first request of a client creates
// the session; the load generator then replays that one cookie, as a logged-in browser would.
import { createServer, type Server } from "node:http";
import express from "express";
import Fastify from "fastify";
import {
  createSessions,
  type Session,
  type SessionData,
  type Sessions,
  type Store,
} from "latchkey";
import { sessionMiddleware as latchkeyExpress } from "latchkey/express";
import { sessionMiddleware as latchkeyFastify } from "latchkey/fastify";
import { sessionMiddleware as latchkeyNode } from "latchkey/node";
import { cookieStore } from "latchkey/stores/cookie";
import { memoryStore } from "latchkey/stores/memory";
import { postgresStore } from "latchkey/stores/postgres";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";

// Random, as a real deployment's would be (latchkey refuses patterned secrets at startup).
const SECRET = "43Yf0f8GivFf8QpXHAcSabsi_54de-ZIQp_erp2-UOk";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type Backend = "redis" | "postgres";

export interface Setup {
  name: string;
  /** The ceiling it is compared against, measured in the same run. */
  baseline: string;
  /** A service whose round trips per request are counted. */
  backend?: Backend;
  start(): Promise<Server>;
}

// Includes SessionData: the adapters type their sessions by it (an app may augment it).
type Counter = SessionData & { count: number };
type Loose = { session: Record<string, unknown> };
const answer = (count: number) => `{"count":${count}}`;
const loose = (req: unknown) => (req as Loose).session;

const stores = {
  cookie: async () => cookieStore(),
  memory: async () => memoryStore({ maxSessions: 100_000 }),
  sqlite: async () => sqliteStore({ path: `/tmp/latchkey-bench-${process.pid}.db` }),
  redis: async () => redisStore({ url: REDIS_URL, prefix: `latchkey-bench-${process.pid}:` }),
  postgres: async () => {
    const store = postgresStore({ connectionString: DATABASE_URL, schema: "latchkey_bench" });
    await store.migrate();
    return store;
  },
} satisfies Record<string, () => Promise<Store | ReturnType<typeof cookieStore>>>;
type StoreName = keyof typeof stores;

async function latchkey(store: StoreName): Promise<Sessions<Counter>> {
  return createSessions<Counter>({
    secrets: [SECRET],
    store: await stores[store](),
    production: true,
  });
}

function expressApp(
  use: (app: express.Express) => void,
  read: (req: express.Request) => number,
  write: (req: express.Request, n: number) => void | Promise<void>,
): Server {
  const app = express();
  app.disable("etag");
  app.disable("x-powered-by");
  use(app);
  app.get("/write", async (req, res) => {
    const n = read(req) + 1;
    await write(req, n);
    res.type("json").send(answer(n));
  });
  app.get("/read", (req, res) => {
    res.type("json").send(answer(read(req)));
  });
  return createServer(app);
}

async function fastifyApp(
  use: (app: ReturnType<typeof Fastify>) => Promise<void>,
  read: (req: unknown) => number,
  write: (req: unknown, n: number) => void,
): Promise<Server> {
  const app = Fastify();
  await use(app);
  app.get("/write", async (req, reply) => {
    const n = read(req) + 1;
    write(req, n);
    return reply.type("application/json").send(answer(n));
  });
  app.get("/read", async (req, reply) => reply.type("application/json").send(answer(read(req))));
  await app.ready();
  return app.server;
}

const backendOf = (store: StoreName): Backend | undefined =>
  store === "redis" || store === "postgres" ? store : undefined;
const storeNames = Object.keys(stores) as StoreName[];

export const setups: Setup[] = [
  {
    name: "node:http bare",
    baseline: "node:http bare",
    start: async () =>
      createServer((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(answer(req.url === "/write" ? 1 : 0));
      }),
  },
  {
    name: "express bare",
    baseline: "express bare",
    start: async () =>
      expressApp(
        () => {},
        () => 0,
        () => {},
      ),
  },
  {
    // Not a session library: the least any Express middleware pays that must act when the
    // response ends (one router layer, writeHead and end hooked per response, as on-headers and
    // express-session do). It shows how close to bare Express such a middleware can get.
    name: "express + response hook only (reference)",
    baseline: "express bare",
    start: async () => {
      const counts = new WeakMap<object, number>();
      return expressApp(
        (app) =>
          app.use((_req, res, next) => {
            const { end, writeHead } = res;
            res.writeHead = function (this: typeof res, ...args: unknown[]) {
              return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
            } as typeof res.writeHead;
            res.end = function (this: typeof res, ...args: unknown[]) {
              res.end = end;
              res.writeHead = writeHead;
              return (end as (...a: unknown[]) => typeof res).apply(this, args);
            } as typeof res.end;
            next();
          }),
        (req) => counts.get(req) ?? 0,
        (req, n) => {
          counts.set(req, n);
        },
      );
    },
  },
  {
    name: "fastify bare",
    baseline: "fastify bare",
    start: () =>
      fastifyApp(
        async () => {},
        () => 0,
        () => {},
      ),
  },

  ...storeNames.map((store) => ({
    name: `latchkey ${store} · express`,
    baseline: "express bare",
    backend: backendOf(store),
    start: async () => {
      const sessions = await latchkey(store);
      return expressApp(
        (app) => app.use(latchkeyExpress(sessions)),
        (req) => (req.session.get("count" as never) as number | undefined) ?? 0,
        (req, n) => req.session.set("count" as never, n as never),
      );
    },
  })),
  ...storeNames.map((store) => ({
    name: `latchkey ${store} · fastify`,
    baseline: "fastify bare",
    backend: backendOf(store),
    start: async () => {
      const sessions = await latchkey(store);
      type Req = { session: Session<Counter> };
      return fastifyApp(
        (app) => app.register(latchkeyFastify(sessions)),
        (req) => (req as Req).session.get("count") ?? 0,
        (req, n) => (req as Req).session.set("count", n),
      );
    },
  })),
  ...storeNames.map((store) => ({
    name: `latchkey ${store} · node:http`,
    baseline: "node:http bare",
    backend: backendOf(store),
    start: async () => {
      const sessions = await latchkey(store);
      return createServer(
        latchkeyNode(sessions, (req, res) => {
          let n = req.session.get("count") ?? 0;
          if (req.url === "/write") req.session.set("count", ++n);
          res.setHeader("content-type", "application/json");
          res.end(answer(n));
        }),
      );
    },
  })),

  {
    // The same store through a node-redis v4+ client, as connect-redis setups have one.
    name: "latchkey redis (node-redis) · express",
    baseline: "express bare",
    backend: "redis",
    start: async () => {
      const { createClient } = await import("redis");
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      const sessions = createSessions<Counter>({
        secrets: [SECRET],
        store: redisStore({ client, prefix: `latchkey-bench-nr-${process.pid}:` }),
        production: true,
      });
      return expressApp(
        (app) => app.use(latchkeyExpress(sessions)),
        (req) => (req.session.get("count" as never) as number | undefined) ?? 0,
        (req, n) => req.session.set("count" as never, n as never),
      );
    },
  },

  {
    // The PostgreSQL store with asynchronous commit of session writes (revocations stay synchronous).
    name: "latchkey postgres (synchronousCommit off) · express",
    baseline: "express bare",
    backend: "postgres",
    start: async () => {
      const store = postgresStore({
        connectionString: DATABASE_URL,
        schema: "latchkey_bench_async",
        synchronousCommit: "off",
      });
      await store.migrate();
      const sessions = createSessions<Counter>({ secrets: [SECRET], store, production: true });
      return expressApp(
        (app) => app.use(latchkeyExpress(sessions)),
        (req) => (req.session.get("count" as never) as number | undefined) ?? 0,
        (req, n) => req.session.set("count" as never, n as never),
      );
    },
  },

  {
    name: "express-session (MemoryStore) · express",
    baseline: "express bare",
    start: async () => {
      const { default: session } = await import("express-session");
      return expressApp(
        (app) => app.use(session({ secret: SECRET, resave: false, saveUninitialized: false })),
        (req) => (loose(req).count as number | undefined) ?? 0,
        (req, n) => {
          loose(req).count = n;
        },
      );
    },
  },
  {
    name: "express-session + connect-redis · express",
    baseline: "express bare",
    backend: "redis",
    start: async () => {
      const { default: session } = await import("express-session");
      const { RedisStore } = await import("connect-redis");
      // connect-redis 9 speaks node-redis (`redis`), not ioredis: with an ioredis client its SET
      // with an expiry options object is a syntax error on every write.
      const { createClient } = await import("redis");
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      const store = new RedisStore({ client, prefix: `bench-sess-${process.pid}:` });
      return expressApp(
        (app) =>
          app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false })),
        (req) => (loose(req).count as number | undefined) ?? 0,
        (req, n) => {
          loose(req).count = n;
        },
      );
    },
  },
  {
    name: "cookie-session · express",
    baseline: "express bare",
    start: async () => {
      const { default: cookieSession } = await import("cookie-session");
      return expressApp(
        (app) => app.use(cookieSession({ name: "session", keys: [SECRET] })),
        (req) => (loose(req).count as number | undefined) ?? 0,
        (req, n) => {
          loose(req).count = n;
        },
      );
    },
  },
  {
    name: "iron-session · express",
    baseline: "express bare",
    start: async () => {
      const { getIronSession } = await import("iron-session");
      const options = { password: SECRET, cookieName: "iron", cookieOptions: { secure: false } };
      type Iron = Awaited<ReturnType<typeof getIronSession<Counter>>>;
      const sessionOf = new WeakMap<object, Iron>();
      return expressApp(
        (app) =>
          app.use(async (req, res, next) => {
            sessionOf.set(req, await getIronSession<Counter>(req, res, options));
            next();
          }),
        (req) => sessionOf.get(req)?.count ?? 0,
        async (req, n) => {
          const session = sessionOf.get(req) as Iron;
          session.count = n;
          await session.save();
        },
      );
    },
  },
  {
    name: "@fastify/secure-session · fastify",
    baseline: "fastify bare",
    start: async () => {
      const { default: secureSession } = await import("@fastify/secure-session");
      type Req = { session: { get(k: string): unknown; set(k: string, v: unknown): void } };
      return fastifyApp(
        async (app) => {
          await app.register(secureSession, {
            key: Buffer.alloc(32, 7),
            cookie: { path: "/", httpOnly: true },
          });
        },
        (req) => ((req as Req).session.get("count") as number | undefined) ?? 0,
        (req, n) => (req as Req).session.set("count", n),
      );
    },
  },
  {
    name: "@fastify/session · fastify",
    baseline: "fastify bare",
    start: async () => {
      const { default: cookie } = await import("@fastify/cookie");
      const { default: session } = await import("@fastify/session");
      return fastifyApp(
        async (app) => {
          await app.register(cookie);
          await app.register(session, {
            secret: SECRET,
            saveUninitialized: false,
            cookie: { secure: false },
          });
        },
        (req) => (loose(req).count as number | undefined) ?? 0,
        (req, n) => {
          loose(req).count = n;
        },
      );
    },
  },
];
