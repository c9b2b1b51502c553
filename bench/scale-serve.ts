// One store under `bench/scale.ts`: a node:http app on latchkey (read a counter at /read, bump it
// at /write), plus control endpoints the benchmark drives between measurements. Run pinned to one
// core; prints `ready <port>`.
//   POST /fill?to=N          create anonymous sessions until the store holds N (through store.create)
//   POST /user?n=N           give one user ("heavy-user") N sessions
//   POST /list-user          time listSessions("heavy-user") (5 times; medians)
//   POST /revoke-user        time revokeUser("heavy-user")
//   POST /revoke-all         time revokeAll(), watching the event loop and the heap while it runs
//   POST /footprint          what the store occupies now, in bytes (see footprint())
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Redis } from "ioredis";
import { createSessions, type SessionData, type Store, type StoredSession } from "latchkey";
import { sessionMiddleware } from "latchkey/node";
import { memoryStore } from "latchkey/stores/memory";
import { postgresStore } from "latchkey/stores/postgres";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";
import pg from "pg";
import { watchWorstStall } from "./worst-stall.ts";

const SECRET = "43Yf0f8GivFf8QpXHAcSabsi_54de-ZIQp_erp2-UOk";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const storeName = process.argv[2] ?? "";
const run = `scale${process.pid}`;

async function openStore(): Promise<Store> {
  switch (storeName) {
    case "memory":
      return memoryStore({ maxSessions: 200_000 });
    case "sqlite":
      return sqliteStore({ path: `/tmp/latchkey-${run}.db` });
    case "redis":
      return redisStore({ url: REDIS_URL, prefix: `latchkey-${run}:` });
    case "redis-cluster": {
      const { Cluster } = await import("ioredis");
      const nodes = JSON.parse(process.env.CLUSTER_NODES ?? "[]") as Array<{
        host: string;
        port: number;
      }>;
      return redisStore({ client: new Cluster(nodes), prefix: `latchkey-${run}:` });
    }
    case "postgres": {
      const store = postgresStore({ connectionString: DATABASE_URL, schema: run });
      await store.migrate();
      return store;
    }
    default:
      throw new Error(`unknown store ${storeName}`);
  }
}

/** Redis' used_memory, summed over the cluster's nodes (the cluster is this run's own). */
async function redisUsedMemory(): Promise<number> {
  const nodes: Array<{ host: string; port: number }> =
    storeName === "redis-cluster"
      ? JSON.parse(process.env.CLUSTER_NODES ?? "[]")
      : [{ host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) }];
  let total = 0;
  for (const node of nodes) {
    const client = new Redis(node);
    const info = await client.info("memory");
    client.disconnect();
    total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  }
  return total;
}

/**
 * Bytes the store occupies: the heap after a full GC (memory), the database and WAL files
 * (SQLite), used_memory (Redis; the standalone server may hold others' keys, so the benchmark
 * takes differences), the schema's tables with their indexes and TOAST (PostgreSQL).
 */
async function footprint(): Promise<number> {
  switch (storeName) {
    case "memory":
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    case "sqlite": {
      const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      return size(`/tmp/latchkey-${run}.db`) + size(`/tmp/latchkey-${run}.db-wal`);
    }
    case "redis":
    case "redis-cluster":
      return redisUsedMemory();
    case "postgres": {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ bytes: string }>(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind = 'r'`,
          [run],
        );
        return Number(rows[0]?.bytes);
      } finally {
        await client.end();
      }
    }
    default:
      return Number.NaN;
  }
}

const store = await openStore();
const sessions = createSessions<SessionData & { count: number }>({
  secrets: [SECRET],
  store,
  production: true,
});

const HOUR = 3_600_000;
function entry(userId: string | null): StoredSession {
  const now = Date.now();
  return {
    secretHash: randomBytes(32).toString("base64url"),
    meta: {
      sid: randomBytes(16).toString("base64url"),
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 12 * HOUR,
      userId,
      authTime: userId === null ? null : now,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: { count: "1" },
  };
}

// Concurrent creates while filling. PostgreSQL gets as many as its pool has connections (pg's
// default, 10): more would only queue for a connection, and past the store's 5 s connection
// timeout a create fails — as a request's would, with a 503.
const FILL_WORKERS = storeName === "postgres" ? 10 : 64;
let filled = 0;
/** Refs to look up after revokeAll: each must be gone. */
const sample: string[] = [];
async function createMany(n: number, userId: string | null): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const ref = randomBytes(32).toString("base64url");
      if (sample.length < 100 && Math.random() < 0.01) sample.push(ref);
      await store.create(ref, entry(userId));
    }
  };
  await Promise.all(Array.from({ length: FILL_WORKERS }, worker));
}

const timed = async (work: () => Promise<unknown>) => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, result };
};
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** Runs `work` while watching the event loop (largest delay) and the heap (largest growth). */
async function watched(work: () => Promise<unknown>) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  loop.enable();
  const stalls = watchWorstStall();
  const t = await timed(work);
  const worstStall = stalls.stop();
  loop.disable();
  clearInterval(sampler);
  return {
    ms: t.ms,
    cpuMs: t.cpuMs,
    maxEventLoopDelayMs: loop.max / 1e6,
    p99EventLoopDelayMs: loop.percentile(99) / 1e6,
    worstStall,
    heapGrowthMb: (heapPeak - heapBefore) / 2 ** 20,
    result: t.result,
  };
}

async function control(req: IncomingMessage): Promise<unknown> {
  const url = new URL(req.url ?? "/", "http://x");
  switch (url.pathname) {
    case "/fill": {
      const to = Number(url.searchParams.get("to"));
      const t = await timed(() => createMany(to - filled, null));
      filled = to;
      return { filled, ms: t.ms };
    }
    case "/footprint":
      return { bytes: await footprint() };
    case "/user":
      await createMany(Number(url.searchParams.get("n")), "heavy-user");
      return { ok: true };
    case "/list-user": {
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await timed(() => sessions.listSessions("heavy-user")));
      return {
        listed: ((runs[0]?.result ?? []) as unknown[]).length,
        ms: medianOf(runs.map((r) => r.ms)),
        cpuMs: medianOf(runs.map((r) => r.cpuMs)),
      };
    }
    case "/revoke-user":
      return watched(() => sessions.revokeUser("heavy-user"));
    case "/revoke-all": {
      const w = await watched(() => sessions.revokeAll());
      const left = (await Promise.all(sample.map((ref) => store.get(ref)))).filter(Boolean).length;
      return { ...w, sampled: sample.length, sampledStillThere: left };
    }
    default:
      return null;
  }
}

const app = sessionMiddleware(sessions, (req, res) => {
  let n = req.session.get("count") ?? 0;
  if (req.url === "/write") req.session.set("count", ++n);
  res.setHeader("content-type", "application/json");
  res.end(`{"count":${n}}`);
});
// The control endpoints bypass the session middleware: they are the benchmark's, not the app's.
const server = createServer((req, res) => {
  if (req.method === "POST") {
    control(req).then(
      (body) => {
        res.statusCode = body === null ? 404 : 200;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      },
      (error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      },
    );
    return;
  }
  app(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", async () => {
  await store.close?.();
  process.exit(0);
});
