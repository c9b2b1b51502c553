// revokeAll at scale, store by store: fills a store with N sessions, then runs deleteAll() (what
// sessions.revokeAll() does to a server store) while a 1 ms timer measures the longest stretch
// between event-loop turns (CPU time and wall time), the heap's peak, and how long live reads
// issued every 10 ms take. Not a test: a benchmark for bench/results.md.
//
//   node --conditions=latchkey-dev --import tsx bench/stores-revoke-all.ts <store> [sessions]
//   store: sqlite | postgres | redis | redis-cluster (REDIS_CLUSTER="host:port,…")
//   REDIS_URL, DATABASE_URL as for the tests. Sessions default 1000000.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Cluster, Redis } from "ioredis";
import type { Store } from "latchkey";
import { postgresStore } from "latchkey/stores/postgres";
import { redisStore } from "latchkey/stores/redis";
import { sqliteStore } from "latchkey/stores/sqlite";
import pg from "pg";
import {
  filledSession,
  fillPostgres,
  fillSqlite,
  fillThroughStore,
  stretchMeter,
} from "./stores-fill.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface Target {
  store: Store;
  fill(count: number): Promise<void>;
  cleanup(): Promise<void>;
}

const batches: number[] = [];
const onSweepBatch = (removed: number) => batches.push(removed);

async function target(kind: string): Promise<Target> {
  const tag = `lk_bench_${process.pid}`;
  switch (kind) {
    case "sqlite": {
      const dir = mkdtempSync(join(tmpdir(), "latchkey-bench-"));
      const store = sqliteStore({ path: join(dir, "sessions.db"), onSweepBatch });
      return {
        store,
        fill: async (count) => fillSqlite(store.database, count),
        cleanup: async () => {
          await store.close?.();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    case "postgres": {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
      const store = postgresStore({ pool, schema: tag, onSweepBatch });
      await store.migrate();
      return {
        store,
        fill: (count) => fillPostgres(pool, tag, count),
        cleanup: async () => {
          await pool.query(`DROP SCHEMA "${tag}" CASCADE`);
          await pool.end();
        },
      };
    }
    case "redis":
    case "redis-cluster": {
      const client =
        kind === "redis"
          ? new Redis(REDIS_URL)
          : new Cluster(
              (process.env.REDIS_CLUSTER ?? "").split(",").map((node) => {
                const [host, port] = node.split(":");
                return { host: host as string, port: Number(port) };
              }),
            );
      const store = redisStore({ client, prefix: `${tag}:`, onSweepBatch });
      return {
        store,
        fill: (count) => fillThroughStore(store, count),
        cleanup: async () => {
          await store.deleteAll();
          client.disconnect();
        },
      };
    }
    default:
      throw new Error(`unknown store ${kind}: sqlite | postgres | redis | redis-cluster`);
  }
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? "sqlite";
  const count = Number(process.argv[3] ?? 1_000_000);
  const t = await target(kind);
  try {
    let started = performance.now();
    await t.fill(count);
    console.log(
      `${kind}: filled ${count} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const busySinceLastTick = stretchMeter();
    let worst = { cpuMs: 0, atBatch: 0 };
    const reads: number[] = [];
    let reading = false;
    const tick = setInterval(() => {
      const cpuMs = busySinceLastTick();
      if (cpuMs > worst.cpuMs) worst = { cpuMs, atBatch: batches.length };
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 1);
    // A live request every 10 ms: create a session and read it back.
    let probe = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    const live = setInterval(() => {
      if (reading) return;
      reading = true;
      const at = performance.now();
      const ref = `live${probe++}`;
      inFlight = t.store
        .create(ref, filledSession(0))
        .then(() => t.store.get(ref))
        .then(() => reads.push(performance.now() - at))
        .finally(() => {
          reading = false;
        });
    }, 10);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    started = performance.now();
    await t.store.deleteAll();
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    clearInterval(tick);
    clearInterval(live);
    await inFlight;
    reads.sort((a, b) => a - b);
    const p = (q: number) => (reads[Math.floor(q * (reads.length - 1))] ?? 0).toFixed(1);
    console.log(
      [
        `revokeAll: ${seconds.toFixed(1)} s, ${batches.length} batches (largest ${Math.max(...batches)})`,
        `longest stretch between event-loop turns: ${worst.cpuMs.toFixed(1)} ms CPU (at batch ${worst.atBatch}), ${(delay.max / 1e6).toFixed(1)} ms wall; p99 wall ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
        `heap: +${((heapPeak - heapBefore) / 1048576).toFixed(1)} MB at peak`,
        `live create+get during the sweep: ${reads.length} served, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`,
      ].join("\n  "),
    );
  } finally {
    await t.cleanup();
  }
}

await main();
