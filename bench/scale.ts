// `npm run bench:scale`: how latchkey's cost grows with the number of stored sessions. For each
// server store, one app process (pinned to core 0; this process, the load generator, on core 1)
// is filled to 10³, 10⁵ and 10⁶ sessions; at each size read-only and write requests are measured
// (server CPU µs per request, p99 latency) in rounds paired with a reference app of the same store
// that stays at 10³ sessions: a size's change is the median of the per-round ratios to it, so a
// slow stretch of the machine hits both sides of a pair alike. Redis runs as this run's own
// servers (redis-server on PATH), pinned to core 1 with the load generator. At the
// largest size: a user with 1,000 sessions is listed and revoked, then revokeAll() runs over
// everything while live requests keep arriving, with the app's event loop and heap watched. Writes the "Scale" section of
// bench/results.md (the rest of the file is `npm run bench`'s).
//   SCALE_STORES=memory,sqlite  SCALE_SIZES=1000,100000  SCALE_SECONDS=3
//   SCALE_RESULTS=/tmp/scale.md writes the section to another file (a trial run, or stores measured apart)

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, totalmem } from "node:os";
import autocannon from "autocannon";
import pg from "pg";
import {
  type RedisCluster,
  type RedisProcess,
  startRedisCluster,
  startRedisServer,
} from "../test/stores/support/redis-server.ts";
import { median, paired, ratio, type Spread } from "./paired.ts";
import { cpuTimeUs, type ServerProcess, sessionCookie, startPinned } from "./server-process.ts";
import type { Stall } from "./worst-stall.ts";

const STORES = (process.env.SCALE_STORES ?? "memory,sqlite,redis,redis-cluster,postgres").split(
  ",",
);
const SIZES = (process.env.SCALE_SIZES ?? "1000,100000,1000000").split(",").map(Number);
const SECONDS = Number(process.env.SCALE_SECONDS ?? 3);
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 3);
const USER_SESSIONS = 1000;
// The memory store is bounded by its maxSessions (scale-serve.ts sets 200,000): one process's
// sessions in its heap, for small deployments and tests; it is measured up to 10⁵.
const LARGEST: Record<string, number> = { memory: 100_000 };
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

type App = ServerProcess;

function startApp(store: string, env: Record<string, string>): Promise<App> {
  return startPinned(
    `${store} app`,
    [
      "--max-old-space-size=8192",
      // The memory store's footprint is the heap after a full collection.
      "--expose-gc",
      // The library's TypeScript sources (through tsx): the same code as dist/, and a rebuild of
      // dist/ during a long run cannot pull the files from under an app.
      "--conditions=latchkey-dev",
      "--import",
      "tsx",
      "bench/scale-serve.ts",
      store,
    ],
    { ...process.env, ...env, NODE_ENV: "production" },
  );
}

// Over node:http, which waits as long as the app takes: a fill of 10⁶ sessions on a Cluster can
// outlast fetch's 300 s header timeout.
function control<T>(app: App, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}${path}`, { method: "POST" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        if (res.statusCode === 200) resolve(JSON.parse(text) as T);
        else reject(new Error(`${path}: ${res.statusCode} ${text}`));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

interface Load {
  cpuUs: number;
  p99: number;
  rps: number;
  errors: number;
}

/** Bursts a round's SECONDS are cut into, the two apps taking turns (see pairedLoad). */
const BURSTS = 3;

/**
 * One round of `path` on an app and its reference: a 1 s warm-up each, then BURSTS bursts each of
 * SECONDS / BURSTS, taking turns (`first` opens, then who goes first alternates), so that the
 * machine's swings within the round fall on both alike. Each side's figure sums its bursts: CPU per request over
 * all of them, p99 the bursts' weighted by their requests.
 */
async function pairedLoad(
  sides: readonly [{ app: App; cookie: string }, { app: App; cookie: string }],
  path: string,
  first: 0 | 1 = 0,
): Promise<[Load, Load]> {
  const options = (side: (typeof sides)[number]) => ({
    url: `${side.app.url}${path}`,
    connections: 20,
    headers: { cookie: side.cookie },
  });
  for (const side of sides) await autocannon({ ...options(side), duration: 1 });
  const sums = sides.map(() => ({ cpuUs: 0, requests: 0, p99Weighted: 0, errors: 0 }));
  for (let burst = 0; burst < BURSTS; burst++) {
    const order = (burst + first) % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const side = sides[i] as (typeof sides)[number];
      const sum = sums[i] as (typeof sums)[number];
      const pid = side.app.child.pid as number;
      const before = cpuTimeUs(pid);
      const r = await autocannon({ ...options(side), duration: SECONDS / BURSTS });
      sum.cpuUs += cpuTimeUs(pid) - before;
      sum.requests += r.requests.total;
      sum.p99Weighted += r.latency.p99 * r.requests.total;
      sum.errors += r.errors + r.non2xx;
    }
  }
  const [a, b] = sums.map(
    (sum): Load => ({
      cpuUs: sum.cpuUs / sum.requests,
      p99: sum.p99Weighted / sum.requests,
      rps: sum.requests / SECONDS,
      errors: sum.errors,
    }),
  );
  return [a as Load, b as Load];
}

/** Sequential requests from `workers` clients until `done()`; their latencies and statuses. */
async function liveRequests(url: string, cookie: string, done: () => boolean, workers = 4) {
  const latencies: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done()) {
        const start = performance.now();
        try {
          const res = await fetch(`${url}/read`, { headers: { cookie } });
          await res.arrayBuffer();
          if (res.status !== 200) failures++;
        } catch {
          failures++;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  return {
    served: latencies.length,
    failures,
    // Not Math.max(...latencies): a long sweep serves more requests than a call takes arguments.
    maxMs: latencies.reduce((a, b) => Math.max(a, b), 0),
  };
}

interface Watched {
  ms: number;
  cpuMs: number;
  maxEventLoopDelayMs: number;
  p99EventLoopDelayMs: number;
  heapGrowthMb: number;
  worstStall: Stall;
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const percent = (n: number) => `${n >= 0 ? "+" : ""}${(n * 100).toFixed(0)}%`;
/** " (+3%: -9% to +12%)": the median per-round change against the reference and its spread. */
const change = (s: Spread) =>
  s.rounds === 0
    ? ""
    : ` (${percent(s.median - 1)}: ${percent(s.min - 1)} to ${percent(s.max - 1)})`;
/** "63 ms: 12 on a CPU, 48 waiting for one": where the longest stall went (worst-stall.ts). */
const stallOf = (s: Stall) =>
  s.onCpuMs === null || s.waitingMs === null
    ? `${f0(s.wallMs)} ms`
    : `${f0(s.wallMs)} ms: ${f0(s.onCpuMs)} on a CPU, ${f0(s.waitingMs)} waiting for one`;
/** Flat when every round is within ±15% of its reference; grows/shrinks when every round is beyond. */
function flatness(spreads: Spread[]): string {
  if (spreads.every((s) => s.min >= 0.85 && s.max <= 1.15)) return "flat";
  if (spreads.some((s) => s.min > 1.15)) return "grows";
  if (spreads.some((s) => s.max < 0.85)) return "shrinks";
  return "undecided";
}
/**
 * The reference app's store: Redis in another database, so its keyspace stays small (a Cluster
 * has only database 0: there the reference shares the keyspace, see the note under the table).
 */
function referenceEnv(store: string, env: Record<string, string>): Record<string, string> {
  if (store !== "redis") return env;
  const url = new URL(env.REDIS_URL as string);
  url.pathname = "/1";
  return { ...env, REDIS_URL: url.toString() };
}

/** One size's loads: the app's, and its reference's in the same rounds. */
interface SizeLoads {
  read: Load[];
  write: Load[];
  refRead: Load[];
  refWrite: Load[];
  fillMs: number;
  bytesPerSession: number;
}

/**
 * The change of `pick` at one size against the reference: per-round ratios app / reference,
 * divided by the smallest size's median ratio. Two processes of one app differ by a steady amount
 * (JIT state: up to 30% here), which the smallest size, where both hold as many sessions, measures;
 * what is left is the change with size.
 */
function changeWithSize(
  at: SizeLoads,
  smallest: SizeLoads,
  variant: "read" | "write",
  pick: (l: Load) => number,
): Spread {
  const ratios = (x: SizeLoads) =>
    variant === "read"
      ? paired(x.read.map(pick), x.refRead.map(pick), ratio)
      : paired(x.write.map(pick), x.refWrite.map(pick), ratio);
  const own = ratios(at);
  const base = ratios(smallest).median;
  return { ...own, median: own.median / base, min: own.min / base, max: own.max / base };
}

const rows: string[] = [];
const verdicts: string[] = [];
const cpuOf = (l: Load) => l.cpuUs;
const p99Of = (l: Load) => l.p99;
const atSize: string[] = [];
const notes: string[] = [];

let cluster: RedisCluster | undefined;
/**
 * The standalone Redis store's server: this run's own, like the Cluster's nodes. Started from this
 * process, which `npm run bench:scale` runs on core 1, they inherit that core: the load
 * generator's, not the app's. (The machine's Redis, unpinned, took the app's core part of the
 * time, and its rounds at 10³ moved −23% to +18% against their pair.)
 */
let ownRedis: RedisProcess | undefined;
/** The apps' names for their data (scale-serve.ts: `scale<pid>`), to clean up at the end. */
const runs: string[] = [];
for (const store of STORES) {
  const env: Record<string, string> = {};
  try {
    if (store === "redis-cluster") {
      cluster = await startRedisCluster();
      env.CLUSTER_NODES = JSON.stringify(cluster.nodes);
    }
    if (store === "redis") {
      ownRedis = await startRedisServer();
      env.REDIS_URL = ownRedis.url;
    }
  } catch (error) {
    // No redis-server here: the other stores are still measured.
    notes.push(`- ${store}: not measured: ${(error as Error).message}`);
    await cluster?.destroy();
    await ownRedis?.destroy();
    cluster = ownRedis = undefined;
    continue;
  }
  const sizes = SIZES.filter((n) => n <= (LARGEST[store] ?? Number.POSITIVE_INFINITY));
  const app = await startApp(store, env);
  runs.push(`scale${app.child.pid}`);
  const reference = await startApp(store, referenceEnv(store, env));
  runs.push(`scale${reference.child.pid}`);
  try {
    // A longer warm-up before the first size: the first figures must not carry the JIT's work.
    {
      const warm = [
        { app, cookie: await sessionCookie(app.url) },
        { app: reference, cookie: await sessionCookie(reference.url) },
      ] as const;
      await pairedLoad(warm, "/read");
      await pairedLoad(warm, "/write");
    }
    await control(reference, `/fill?to=${sizes[0]}`);
    const referenceCookie = await sessionCookie(reference.url);
    const perSize = new Map<number, SizeLoads>();
    // The store's size before the fill (one warm-up session, schema, empty files): the baseline
    // each size's bytes per session is counted from.
    const empty = await control<{ bytes: number }>(app, "/footprint");
    for (const size of sizes) {
      const fill = await control<{ ms: number }>(app, `/fill?to=${size}`);
      const filled = await control<{ bytes: number }>(app, "/footprint");
      process.stderr.write(`${store}: ${size} sessions (filled in ${f0(fill.ms)} ms)\n`);
      const cookie = await sessionCookie(app.url);
      const read: Load[] = [];
      const write: Load[] = [];
      const refRead: Load[] = [];
      const refWrite: Load[] = [];
      const sides = [
        { app, cookie },
        { app: reference, cookie: referenceCookie },
      ] as const;
      for (let round = 0; round < ROUNDS; round++) {
        // Which side opens alternates between rounds too (BURSTS is odd).
        const first = round % 2 === 0 ? 0 : 1;
        const [ownRead, refReadLoad] = await pairedLoad(sides, "/read", first);
        const [ownWrite, refWriteLoad] = await pairedLoad(sides, "/write", first);
        read.push(ownRead);
        refRead.push(refReadLoad);
        write.push(ownWrite);
        refWrite.push(refWriteLoad);
      }
      perSize.set(size, {
        read,
        write,
        refRead,
        refWrite,
        fillMs: fill.ms,
        bytesPerSession: (filled.bytes - empty.bytes) / size,
      });
    }
    const smallest = perSize.get(sizes[0] as number) as SizeLoads;
    for (const [size, s] of perSize) {
      const fig = (l: Load[], pick: (x: Load) => number) => median(l.map(pick));
      const vs = (variant: "read" | "write", pick: (x: Load) => number) =>
        change(changeWithSize(s, smallest, variant, pick));
      const errors = [...s.read, ...s.write].reduce((n, l) => n + l.errors, 0);
      rows.push(
        `| ${store} | ${size.toLocaleString("en")} | ${f1(fig(s.read, cpuOf))}${vs("read", cpuOf)} | ${f0(fig(s.read, p99Of))}${vs("read", p99Of)} | ${f1(fig(s.write, cpuOf))}${vs("write", cpuOf)} | ${f0(fig(s.write, p99Of))}${vs("write", p99Of)} | ${f0(s.fillMs / 1000)} | ${f0(s.bytesPerSession)} | ${errors} |`,
      );
    }
    const cpuSpreads = [...perSize]
      .filter(([size]) => size !== sizes[0])
      .flatMap(([, s]) => [
        changeWithSize(s, smallest, "read", cpuOf),
        changeWithSize(s, smallest, "write", cpuOf),
      ]);
    verdicts.push(`${store}: ${flatness(cpuSpreads)}`);

    await control(app, `/user?n=${USER_SESSIONS}`);
    const list = await control<{ listed: number; ms: number; cpuMs: number }>(app, "/list-user");
    const revokeUser = await control<Watched & { result: number }>(app, "/revoke-user");
    const liveCookie = await sessionCookie(app.url);
    let finished = false;
    const live = liveRequests(app.url, liveCookie, () => finished);
    const revokeAll = await control<Watched & { sampled: number; sampledStillThere: number }>(
      app,
      "/revoke-all",
    ).finally(() => {
      finished = true;
    });
    const served = await live;
    const largest = sizes[sizes.length - 1] as number;
    atSize.push(
      `| ${store} | ${list.listed} in ${f1(list.ms)} ms (${f1(list.cpuMs)} ms CPU) | ${revokeUser.result} in ${f0(revokeUser.ms)} ms, loop max ${f0(revokeUser.maxEventLoopDelayMs)} ms | ${largest.toLocaleString("en")}: ${f0(revokeAll.ms)} ms, ${f0(revokeAll.cpuMs)} ms CPU | ${f0(revokeAll.maxEventLoopDelayMs)} ms (p99 ${f0(revokeAll.p99EventLoopDelayMs)}) | ${stallOf(revokeAll.worstStall)} | ${f1(revokeAll.heapGrowthMb)} MB | ${served.served} served, ${served.failures} failed, slowest ${f0(served.maxMs)} ms | ${revokeAll.sampledStillThere}/${revokeAll.sampled} |`,
    );
  } catch (error) {
    notes.push(`- ${store}: not measured: ${(error as Error).message}`);
  } finally {
    for (const a of [app, reference]) {
      a.child.kill("SIGTERM");
      await new Promise((r) => a.child.once("exit", r));
    }
    if (cluster !== undefined) {
      await cluster.destroy();
      cluster = undefined;
    }
    if (ownRedis !== undefined) {
      await ownRedis.destroy();
      ownRedis = undefined;
    }
  }
}

// Leave nothing behind: the apps' PostgreSQL schemas and SQLite files — only this run's (each app
// names them after its pid), so a run beside another cannot pull its data away. The Redis servers
// were this run's own and are gone with their data.
const postgres = new pg.Client({ connectionString: DATABASE_URL });
await postgres.connect();
for (const run of runs) {
  await postgres.query(`DROP SCHEMA IF EXISTS "${run}" CASCADE`);
  for (const file of readdirSync("/tmp")) {
    if (file.startsWith(`latchkey-${run}.db`)) rmSync(`/tmp/${file}`, { force: true });
  }
}
await postgres.end();

const section = [
  "## Scale",
  "",
  `Produced by \`npm run bench:scale\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
    `the app pinned to core 0, the load generator and the Redis servers (the run's own) to core 1; ${ROUNDS} rounds of ${SECONDS} s per size and variant, medians; ` +
    `sessions created through the store's own create(). In brackets: the change against a reference app of the same store held at ${SIZES[0]?.toLocaleString("en")} sessions, ` +
    `measured in the same rounds, the two taking turns in ${BURSTS} bursts of ${SECONDS / BURSTS} s (alternating which goes first): the per-round ratio app / reference, divided by the median ratio at the smallest size ` +
    "(where both hold as many sessions: two processes of one app differ by a steady amount), as the median, then the lowest and highest round. " +
    "The smallest size's row is therefore the noise between rounds. The reference's Redis is database 1 " +
    "(its own keyspace); a Cluster has only database 0, so there the reference shares the keyspace and the Redis servers' per-command time " +
    "cancels out of the ratio. " +
    "Bytes / session is what the store grew by when filled, divided by the sessions it holds: the heap after a full GC (memory), " +
    "the database and WAL files (SQLite), used_memory over every node (Redis), the schema's tables with indexes and TOAST (PostgreSQL); " +
    "each session carries a small counter and 12 h expiry, as a signed-in user's would.",
  "",
  "| store | sessions | read CPU µs / req | read p99 ms | write CPU µs / req | write p99 ms | fill s | bytes / session | errors |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows,
  "",
  `CPU per request flat within ±15% across sizes (every round of every larger size within ±15% of its reference; "undecided" when rounds disagree): ${verdicts.join(", ")}.`,
  "",
  `At the largest size: listSessions and revokeUser for a user with ${USER_SESSIONS.toLocaleString("en")} sessions, then revokeAll() over every session ` +
    "while 4 clients keep requesting a page (their session is revoked too; they must still be answered). " +
    "Loop max is the app's largest event-loop delay while the operation ran (monitorEventLoopDelay, 5 ms resolution); " +
    "the longest stall is the longest gap between ticks of a 1 ms timer, split from the main thread's scheduler statistics (/proc/thread-self/schedstat) into time it ran on a CPU (its own work: a batch, a GC) and time it was ready but waited for a CPU (the app is pinned to one core, which the SQLite sweep's worker thread shares); the rest of a gap it slept; " +
    "heap is the largest growth of the app's heap during it; the last column counts sampled sessions still readable afterwards (must be 0).",
  "",
  "| store | listSessions | revokeUser | revokeAll | revokeAll: loop max | revokeAll: longest stall | revokeAll: heap | live requests meanwhile | left |",
  "|---|---|---|---|---:|---|---:|---|---:|",
  ...atSize,
  ...(notes.length > 0 ? ["", ...notes] : []),
  "",
];
const resultsFile = process.env.SCALE_RESULTS ?? "bench/results.md";
const results = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : "";
const start = results.indexOf("\n## Scale\n");
// The written analysis after the measurements ("## What limits…", by hand) stays as it is.
const analysis = results.indexOf("\n## What limits", Math.max(start, 0));
writeFileSync(
  resultsFile,
  `${(start >= 0 ? results.slice(0, start) : results).trimEnd()}\n\n${section.join("\n")}${analysis >= 0 ? results.slice(analysis) : ""}`,
);
console.log(section.join("\n"));
