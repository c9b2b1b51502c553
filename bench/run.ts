// `npm run bench`: every setup in bench/setups.ts, under load from autocannon on loopback.
// The server runs pinned to core 0, the load generator (this process) to core 1; setups run
// interleaved (A B C … A B C …) for several rounds and the median of each is reported, so slow
// drift of the machine affects every setup alike. Writes bench/results.md.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { type Setup, setups } from "./setups.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
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
}

async function startServer(setup: Setup): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    "taskset",
    ["-c", "0", process.execPath, "--conditions=latchkey-dev", "--import", "tsx", "bench/serve.ts", setup.name],
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

async function measure(setup: Setup, variant: Variant): Promise<Sample> {
  const { child, url } = await startServer(setup);
  try {
    const cookie = await sessionCookie(url);
    const probe = await fetch(`${url}/read`, { headers: cookie ? { cookie } : {} });
    await probe.text();
    const readSetsCookie = probe.headers.getSetCookie().length > 0;
    // Warm up the JIT, then measure.
    await autocannon({ url: `${url}/${variant}`, connections: CONNECTIONS, duration: 1, headers: { cookie } });
    const result = await autocannon({
      url: `${url}/${variant}`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { cookie },
    });
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      readSetsCookie,
    };
  } finally {
    child.kill("SIGTERM");
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const chosen = setups.filter((s) => !only || s.name.includes(only));
const samples = new Map<string, Sample[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const setup of chosen) {
    for (const variant of variants) {
      const sample = await measure(setup, variant);
      const key = `${setup.name}|${variant}`;
      samples.set(key, [...(samples.get(key) ?? []), sample]);
      process.stderr.write(`round ${round}/${ROUNDS} ${setup.name} ${variant}: ${Math.round(sample.rps)} req/s\n`);
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
    readSetsCookie: list.some((s) => s.readSetsCookie),
  };
};

const lines = [
  "# Benchmark results",
  "",
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ` +
    `autocannon ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds, medians; ` +
    "server pinned to core 0, load generator to core 1.",
  "",
  "| setup | variant | req/s | p50 ms | p99 ms | × baseline | errors | read-only sets cookie |",
  "|---|---|---:|---:|---:|---:|---:|---|",
];
for (const setup of chosen) {
  for (const variant of variants) {
    const s = summary(setup.name, variant);
    const base = summary(setup.baseline, variant);
    const ratio = base.rps > 0 ? (s.rps / base.rps).toFixed(2) : "–";
    lines.push(
      `| ${setup.name} | ${variant} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${ratio} | ${s.errors} | ${variant === "read" ? (s.readSetsCookie ? "yes" : "no") : ""} |`,
    );
  }
}
writeFileSync("bench/results.md", `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
