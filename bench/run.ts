// `npm run bench`: every setup in bench/setups.ts, under load from autocannon on loopback.
// The server runs pinned to core 0, the load generator (this process) to core 1; setups run
// interleaved (A B C … A B C …) for several rounds; figures are medians over rounds, and ratios are
// paired within a round before their median is taken, so slow drift of the machine affects both
// sides of a ratio alike. Writes bench/results.md.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import pg from "pg";
import { type Backend, DATABASE_URL, REDIS_URL, type Setup, setups } from "./setups.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_ONLY;
const variants = ["write", "read"] as const;
type Variant = (typeof variants)[number];

interface Sample {
  rps: number;
  /** Store round trips per request (Redis commands, PostgreSQL transactions); null when not counted. */
  roundTrips: number | null;
  p50: number;
  p99: number;
  errors: number;
  readSetsCookie: boolean;
  /** Server CPU time (user + system) per request: steadier than req/s when the machine is noisy. */
  cpuUs: number;
}

/** CPU time a process has used so far, in µs (Linux /proc; clock ticks of 10 ms). */
function cpuTimeUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startServer(setup: Setup): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    "taskset",
    // Compiled JavaScript against the built package (dist/), as an application runs in production.
    ["-c", "0", process.execPath, "bench/.build/serve.js", setup.name],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`${setup.name} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A session to replay: the cookies a first write request set (empty for bare servers). */
async function sessionCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/write`);
  await res.text();
  return res.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
}

// Round-trip counters of the services. Redis: every command executed (INFO commandstats; the
// commands a Lua script runs count too, so one EVALSHA round trip that runs four commands shows 5).
// PostgreSQL: committed + rolled-back transactions of the database; each statement latchkey sends
// outside a transaction is one. The counter readings themselves are subtracted.
const redis = new Redis(REDIS_URL, { lazyConnect: true });
const postgres = new pg.Client({ connectionString: DATABASE_URL });
let postgresConnected = false;

async function roundTripCounter(backend: Backend): Promise<number> {
  if (backend === "redis") {
    const info = await redis.info("commandstats");
    return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  }
  if (!postgresConnected) {
    await postgres.connect();
    postgresConnected = true;
  }
  // PostgreSQL publishes these statistics with up to a second of delay.
  await new Promise((r) => setTimeout(r, 1100));
  const { rows } = await postgres.query(
    "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(rows[0].n);
}

async function measure(setup: Setup, variant: Variant): Promise<Sample> {
  const { child, url } = await startServer(setup);
  try {
    const cookie = await sessionCookie(url);
    const probe = await fetch(`${url}/read`, { headers: cookie ? { cookie } : {} });
    await probe.text();
    const readSetsCookie = probe.headers.getSetCookie().length > 0;
    // Warm up the JIT, then measure.
    await autocannon({
      url: `${url}/${variant}`,
      connections: CONNECTIONS,
      duration: 1,
      headers: { cookie },
    });
    const before = setup.backend ? await roundTripCounter(setup.backend) : 0;
    const cpuBefore = cpuTimeUs(child.pid as number);
    const result = await autocannon({
      url: `${url}/${variant}`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { cookie },
    });
    const cpuUs = (cpuTimeUs(child.pid as number) - cpuBefore) / result.requests.total;
    const after = setup.backend ? await roundTripCounter(setup.backend) : 0;
    // One counter reading happens between the two: INFO for Redis, one query for PostgreSQL.
    const roundTrips = setup.backend ? (after - before - 1) / result.requests.total : null;
    return {
      rps: result.requests.average,
      roundTrips,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      readSetsCookie,
      cpuUs,
    };
  } finally {
    child.kill("SIGTERM");
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

// A virtual machine's speed can drift during a run without any steal showing in /proc/stat (the
// hypervisor may not report it). A fixed CPU-bound workload, timed on the server's core at the
// start of every round, shows whether the rounds ran on a machine of the same speed.
async function speedCheck(): Promise<number> {
  const work =
    'const c=require("node:crypto");const t=performance.now();let h="";' +
    'for(let i=0;i<200000;i++)h=c.hash("sha256",h+i);' +
    "process.stdout.write(String(performance.now()-t))";
  const child = spawn("taskset", ["-c", "0", process.execPath, "-e", work], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((resolve) => child.on("exit", resolve));
  return Number(out);
}
const speedChecks: number[] = [];

const chosen = setups.filter((s) => !only || s.name.includes(only));
const samples = new Map<string, Sample[]>();
for (let round = 1; round <= ROUNDS; round++) {
  speedChecks.push(await speedCheck());
  for (const setup of chosen) {
    for (const variant of variants) {
      const sample = await measure(setup, variant);
      const key = `${setup.name}|${variant}`;
      samples.set(key, [...(samples.get(key) ?? []), sample]);
      process.stderr.write(
        `round ${round}/${ROUNDS} ${setup.name} ${variant}: ${Math.round(sample.rps)} req/s\n`,
      );
    }
  }
}

const summary = (name: string, variant: Variant) => {
  const list = samples.get(`${name}|${variant}`) ?? [];
  return {
    rps: median(list.map((s) => s.rps)),
    p50: median(list.map((s) => s.p50)),
    p99: median(list.map((s) => s.p99)),
    errors: list.reduce((n, s) => n + s.errors, 0),
    roundTrips: list[0]?.roundTrips === null ? null : median(list.map((s) => s.roundTrips ?? 0)),
    readSetsCookie: list.some((s) => s.readSetsCookie),
    cpuUs: median(list.map((s) => s.cpuUs)),
  };
};

// Ratios pair each round's sample with the same round's baseline, then take the median: a round
// on a slower machine then moves both sides of its ratio alike.
const ratio = (name: string, baseline: string, variant: Variant) => {
  const a = samples.get(`${name}|${variant}`) ?? [];
  const b = samples.get(`${baseline}|${variant}`) ?? [];
  const pairs = a.flatMap((s, i) => {
    const base = b[i]?.rps ?? 0;
    return base > 0 ? [s.rps / base] : [];
  });
  return pairs.length > 0 ? median(pairs) : Number.NaN;
};
const speedSpread = (Math.max(...speedChecks) / Math.min(...speedChecks) - 1) * 100;

const lines = [
  "# Benchmark results",
  "",
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ` +
    `autocannon ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds, medians; ` +
    "server pinned to core 0, load generator to core 1.",
  "",
  `Machine speed check at the start of each round (a fixed hashing loop on the server's core): ${speedChecks.map((ms) => `${Math.round(ms)} ms`).join(", ")}; ` +
    `the slowest round was ${speedSpread.toFixed(0)}% slower than the fastest${speedSpread > 10 ? ": the machine's speed drifted during this run, so single req/s figures are unreliable; the ratios, paired within each round, less so" : ""}. ` +
    "× baseline is the median over rounds of the ratio to the baseline measured in the same round.",
  "",
  "Server CPU µs / req is the server process's user + system CPU time per request (from /proc), " +
    "including the kernel's cost of sending on loopback; it is steadier than req/s on a noisy machine. " +
    "Bare node:http and bare Fastify leave the server partly idle: there the load generator is the limit.",
  "",
  "| setup | variant | req/s | p50 ms | p99 ms | × baseline | server CPU µs / req | store commands / req | errors | read-only sets cookie |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
];
for (const setup of chosen) {
  for (const variant of variants) {
    const s = summary(setup.name, variant);
    const r = ratio(setup.name, setup.baseline, variant);
    const shown = Number.isNaN(r) ? "–" : r.toFixed(2);
    lines.push(
      `| ${setup.name} | ${variant} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${shown} | ${s.cpuUs.toFixed(1)} | ${s.roundTrips === null ? "" : s.roundTrips.toFixed(2)} | ${s.errors} | ${variant === "read" ? (s.readSetsCookie ? "yes" : "no") : ""} |`,
    );
  }
}
// The performance targets latchkey is held to. A target is judged only when every setup it names ran, and not at all
// when one of them answered with errors: it did not do the same work.
const has = (name: string) => chosen.some((s) => s.name === name);
const targets: Array<[string, () => string | null]> = [];
const check = (label: string, names: string[], verdict: () => [boolean, string]) =>
  targets.push([
    label,
    () => {
      if (!names.every(has)) return null;
      const errors = names.reduce(
        (n, name) => n + variants.reduce((m, v) => m + summary(name, v).errors, 0),
        0,
      );
      if (errors > 0) return `INVALID (${errors} errors or non-2xx answers in these setups)`;
      const [ok, detail] = verdict();
      return `${ok ? "met" : "MISSED"} (${detail})`;
    },
  ]);
/** `name` reaches at least `min` × `baseline` (paired per round). */
const ratioTarget = (
  label: string,
  name: string,
  baseline: string,
  variant: Variant,
  min: number,
) =>
  check(`${label} (${variant})`, [name, baseline], () => {
    const r = ratio(name, baseline, variant);
    return [r >= min, `${r.toFixed(2)}×`];
  });

for (const variant of variants) {
  for (const store of ["memory", "cookie"]) {
    ratioTarget(
      `latchkey ${store} on Express ≥ 0.9× bare Express`,
      `latchkey ${store} · express`,
      "express bare",
      variant,
      0.9,
    );
  }
  ratioTarget(
    "latchkey cookie on Fastify ≥ @fastify/secure-session",
    "latchkey cookie · fastify",
    "@fastify/secure-session · fastify",
    variant,
    1,
  );
  ratioTarget(
    "latchkey Redis on Express ≥ 1.5× express-session + connect-redis",
    "latchkey redis · express",
    "express-session + connect-redis · express",
    variant,
    1.5,
  );
  ratioTarget(
    "latchkey cookie on node:http ≥ 0.65× bare node:http",
    "latchkey cookie · node:http",
    "node:http bare",
    variant,
    0.65,
  );
}
ratioTarget(
  "latchkey cookie on Fastify ≥ 0.85× bare Fastify",
  "latchkey cookie · fastify",
  "fastify bare",
  "read",
  0.85,
);
check(
  "latchkey Redis: exactly one Redis command per read-only request",
  ["latchkey redis · express"],
  () => {
    const n = summary("latchkey redis · express", "read").roundTrips ?? Number.NaN;
    return [
      Math.abs(n - 1) < 0.02,
      `${n.toFixed(2)} per request; express-session + connect-redis: ${(summary("express-session + connect-redis · express", "read").roundTrips ?? Number.NaN).toFixed(2)}`,
    ];
  },
);
lines.push("", "## Targets", "");
for (const [label, verdict] of targets) {
  const v = verdict();
  if (v !== null) lines.push(`- ${label}: ${v}`);
}

writeFileSync("bench/results.md", `${lines.join("\n")}\n`);
redis.disconnect();
if (postgresConnected) await postgres.end();
console.log(lines.join("\n"));
