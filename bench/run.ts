// `npm run bench`: every setup in bench/setups.ts, under load from autocannon on loopback.
// The server runs pinned to core 0, the load generator (this process) to core 1; setups run
// interleaved (A B C … A B C …) for several rounds. The headline figure is the server's CPU time
// per request above the bare framework, taken as the median of per-round paired differences, with
// the min–max over rounds beside it (see paired.ts): req/s moves with the machine, CPU per request
// much less, and a difference taken within one round cancels most of what remains.
// Store round trips are counted once per setup, outside the timed runs (round-trips.ts).
// Writes bench/results.md.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import autocannon from "autocannon";
import {
  difference,
  formatSpread,
  median,
  paired,
  ratio,
  type Spread,
  spreadOf,
  verdictAtMost,
} from "./paired.ts";
import { type StoreCost, storeCost } from "./round-trips.ts";
import { cpuTimeUs, type ServerProcess, sessionCookie, startPinned } from "./server-process.ts";
import { DATABASE_URL, REDIS_URL, type Setup, setups } from "./setups.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_ONLY;
const variants = ["write", "read"] as const;
type Variant = (typeof variants)[number];

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  readSetsCookie: boolean;
  /** Server CPU time (user + system) per request. */
  cpuUs: number;
}

function startServer(setup: Setup): Promise<ServerProcess> {
  // Compiled JavaScript against the built package (dist/), as an application runs in production.
  return startPinned(setup.name, ["bench/.build/serve.js", setup.name], {
    ...process.env,
    NODE_ENV: "production",
  });
}

async function measure(setup: Setup, variant: Variant): Promise<Sample> {
  const { child, url } = await startServer(setup);
  try {
    const cookie = await sessionCookie(url);
    const probe = await fetch(`${url}/read`, { headers: cookie ? { cookie } : {} });
    await probe.text();
    const readSetsCookie = probe.headers.getSetCookie().length > 0;
    // Warm up the JIT, then measure.
    const load = { url: `${url}/${variant}`, connections: CONNECTIONS, headers: { cookie } };
    await autocannon({ ...load, duration: 1 });
    const cpuBefore = cpuTimeUs(child.pid as number);
    const result = await autocannon({ ...load, duration: SECONDS });
    const cpuUs = (cpuTimeUs(child.pid as number) - cpuBefore) / result.requests.total;
    return {
      rps: result.requests.average,
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

async function measureCost(setup: Setup, variant: Variant): Promise<StoreCost | null> {
  if (setup.backend === undefined) return null;
  const { child, url } = await startServer(setup);
  try {
    const cookie = await sessionCookie(url);
    return await storeCost(
      setup.backend,
      { redis: REDIS_URL, postgres: DATABASE_URL },
      `${url}/${variant}`,
      cookie,
    );
  } finally {
    child.kill("SIGTERM");
  }
}

// A virtual machine's speed can drift during a run without any steal showing in /proc/stat. A
// fixed CPU-bound workload, timed on the server's core at the start of every round, shows it.
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

// BENCH_ONLY: comma-separated substrings of setup names. The bare framework each chosen setup is
// measured against always runs too.
const wanted = only?.split(",").map((w) => w.trim());
const matching = setups.filter((s) => !wanted || wanted.some((w) => s.name.includes(w)));
const chosen = setups.filter(
  (s) => matching.includes(s) || matching.some((m) => m.baseline === s.name),
);
const has = (name: string) => chosen.some((s) => s.name === name);
const speedChecks: number[] = [];
const samples = new Map<string, Sample[]>();
const costs = new Map<string, StoreCost | null>();
const key = (name: string, variant: Variant) => `${name}|${variant}`;

for (let round = 1; round <= ROUNDS; round++) {
  speedChecks.push(await speedCheck());
  for (const setup of chosen) {
    for (const variant of variants) {
      const sample = await measure(setup, variant);
      samples.set(key(setup.name, variant), [
        ...(samples.get(key(setup.name, variant)) ?? []),
        sample,
      ]);
      process.stderr.write(
        `round ${round}/${ROUNDS} ${setup.name} ${variant}: ${Math.round(sample.rps)} req/s, ${sample.cpuUs.toFixed(0)} µs CPU\n`,
      );
    }
  }
}
for (const setup of chosen) {
  for (const variant of variants)
    costs.set(key(setup.name, variant), await measureCost(setup, variant));
}

const list = (name: string, variant: Variant) => samples.get(key(name, variant)) ?? [];
const cpuOf = (name: string, variant: Variant) => list(name, variant).map((s) => s.cpuUs);
const baselineOf = (name: string) => chosen.find((s) => s.name === name)?.baseline ?? name;
/** Per round: CPU µs per request of `name` minus that of its bare framework. */
const aboveBare = (name: string, variant: Variant): number[] => {
  const a = cpuOf(name, variant);
  const b = cpuOf(baselineOf(name), variant);
  return a.map((x, i) => x - (b[i] ?? Number.NaN));
};
const errorsOf = (names: string[]) =>
  names.reduce(
    (n, name) =>
      n + variants.reduce((m, v) => m + list(name, v).reduce((e, s) => e + s.errors, 0), 0),
    0,
  );

const speedSpread = (Math.max(...speedChecks) / Math.min(...speedChecks) - 1) * 100;
const cpuModel = cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "# Benchmark results",
  "",
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpuModel}, ` +
    `autocannon ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds; ` +
    "server pinned to core 0, load generator to core 1.",
  "",
  `Machine speed check at the start of each round (a fixed hashing loop on the server's core): ${speedChecks.map((ms) => `${Math.round(ms)} ms`).join(", ")}; ` +
    `the slowest round was ${speedSpread.toFixed(0)}% slower than the fastest.`,
  "",
  "**How to read it.** *CPU above bare* is the server process's user + system CPU time per request " +
    "(from /proc, the kernel's loopback sends included) minus the bare framework's, measured in the same round; " +
    "the figure is the median over rounds of those paired differences, and the range in brackets is their min to max. " +
    "A target counts as met only when every round meets it, missed only when no round does; otherwise it is " +
    "undecided (the machine's noise is larger than the margin). req/s is shown for reference: it moves with the machine. " +
    "Round trips and commands per request are counted once, outside the timed runs, over 200 sequential requests: " +
    "Redis through MONITOR (a script call is one round trip; the commands it runs count as commands), PostgreSQL as transactions.",
  "",
  "| setup | variant | CPU µs / req above bare | server CPU µs / req | req/s | p50 ms | p99 ms | store round trips / req | store commands / req | errors | read-only sets cookie |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
];
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
for (const setup of chosen) {
  for (const variant of variants) {
    const l = list(setup.name, variant);
    const bare = setup.baseline === setup.name;
    const cost = costs.get(key(setup.name, variant)) ?? null;
    lines.push(
      `| ${setup.name} | ${variant} | ${bare ? "(bare)" : formatSpread(spreadOf(aboveBare(setup.name, variant)))} | ${formatSpread(spreadOf(l.map((s) => s.cpuUs)))} | ${Math.round(median(l.map((s) => s.rps)))} | ${median(l.map((s) => s.p50))} | ${median(l.map((s) => s.p99))} | ${cost ? fmt(cost.roundTrips) : ""} | ${cost ? fmt(cost.commands) : ""} | ${l.reduce((n, s) => n + s.errors, 0)} | ${variant === "read" ? (l.some((s) => s.readSetsCookie) ? "yes" : "no") : ""} |`,
    );
  }
}

// The targets latchkey is held to. A target is judged only when every setup it names ran, and not
// at all when one of them answered with errors: it did not do the same work.
const targets: string[] = [];
function target(label: string, names: string[], judge: () => [Spread, number, string]) {
  if (!names.every(has)) return;
  const errors = errorsOf(names);
  if (errors > 0) {
    targets.push(`- ${label}: INVALID (${errors} errors or non-2xx answers in these setups)`);
    return;
  }
  const [spread, limit, unit] = judge();
  const verdict = verdictAtMost(spread, limit);
  targets.push(
    `- ${label}: **${verdict}** — ${formatSpread(spread, unit === "×" ? 2 : 0)}${unit}, limit ${limit}${unit}`,
  );
}
const REFERENCE = "express + response hook only (reference)";
for (const variant of variants) {
  const limit = variant === "read" ? 10 : 20;
  for (const store of ["memory", "cookie"]) {
    const name = `latchkey ${store} · express`;
    target(
      `Express, ${store}: CPU within ${limit} µs of the response-hook reference (${variant})`,
      [name, REFERENCE],
      () => [paired(cpuOf(name, variant), cpuOf(REFERENCE, variant), difference), limit, " µs"],
    );
  }
  target(
    `Redis on Express: CPU above bare at most 0.6× express-session + connect-redis (${variant})`,
    ["latchkey redis · express", "express-session + connect-redis · express"],
    () => [
      paired(
        aboveBare("latchkey redis · express", variant),
        aboveBare("express-session + connect-redis · express", variant),
        ratio,
      ),
      0.6,
      "×",
    ],
  );
  target(
    `Redis (node-redis client) on Express: CPU above bare at most 0.6× express-session + connect-redis (${variant})`,
    ["latchkey redis (node-redis) · express", "express-session + connect-redis · express"],
    () => [
      paired(
        aboveBare("latchkey redis (node-redis) · express", variant),
        aboveBare("express-session + connect-redis · express", variant),
        ratio,
      ),
      0.6,
      "×",
    ],
  );
}
target(
  "Fastify, sealed cookie: write CPU at or below @fastify/secure-session",
  ["latchkey cookie · fastify", "@fastify/secure-session · fastify"],
  () => [
    paired(
      cpuOf("latchkey cookie · fastify", "write"),
      cpuOf("@fastify/secure-session · fastify", "write"),
      difference,
    ),
    0,
    " µs",
  ],
);
for (const framework of ["fastify", "express"]) {
  target(
    `SQLite writes within 30 µs of memory-store writes (${framework})`,
    [`latchkey sqlite · ${framework}`, `latchkey memory · ${framework}`],
    () => [
      paired(
        cpuOf(`latchkey sqlite · ${framework}`, "write"),
        cpuOf(`latchkey memory · ${framework}`, "write"),
        difference,
      ),
      30,
      " µs",
    ],
  );
}
for (const variant of variants) {
  const on = "latchkey postgres · express";
  const off = "latchkey postgres (synchronousCommit off) · express";
  if (has(on) && has(off)) {
    const rps = (name: string) => list(name, variant).map((s) => s.rps);
    const r = paired(rps(off), rps(on), ratio);
    targets.push(
      `- PostgreSQL ${variant}s with synchronousCommit "off" vs "on" (informational): ${formatSpread(r, 2)}× the req/s, CPU ${formatSpread(paired(cpuOf(off, variant), cpuOf(on, variant), difference))} µs per request`,
    );
  }
}
for (const name of ["latchkey redis · express", "latchkey redis (node-redis) · express"]) {
  if (!has(name)) continue;
  const write = costs.get(key(name, "write"));
  const read = costs.get(key(name, "read"));
  if (!write || !read) continue;
  const ok = (n: number, want: number) => Math.abs(n - want) < 0.02;
  // A write request reads the session first (one HGETALL), then writes it: one round trip for
  // the write means two for the request.
  targets.push(
    `- ${name}: one round trip per write (the read, then one script: 2 per write request): **${ok(write.roundTrips, 2) ? "met" : "missed"}** (${fmt(write.roundTrips)} round trips, ${fmt(write.commands)} commands); one command per read-only request: **${ok(read.commands, 1) ? "met" : "missed"}** (${fmt(read.commands)})`,
  );
}
const peer = costs.get(key("express-session + connect-redis · express", "write"));
if (peer) {
  targets.push(
    `- for comparison, express-session + connect-redis: ${fmt(peer.roundTrips)} round trips per write, ${fmt(costs.get(key("express-session + connect-redis · express", "read"))?.roundTrips ?? Number.NaN)} per read`,
  );
}
lines.push("", "## Targets", "", ...targets);

// The "Scale" section is bench:scale's (a separate, longer run), and the written analysis after
// it ("## What limits…") is by hand: keep both.
const previous = existsSync("bench/results.md") ? readFileSync("bench/results.md", "utf8") : "";
const scale = previous.indexOf("\n## Scale\n");
writeFileSync(
  "bench/results.md",
  `${lines.join("\n")}\n${scale >= 0 ? previous.slice(scale) : ""}`,
);
console.log(lines.join("\n"));
