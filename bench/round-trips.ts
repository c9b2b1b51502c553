// How many times the server goes to its store per request, measured outside the timed runs.
//
// Redis: a MONITOR connection sees every command the server sends, and marks the ones a Lua script
// runs with "[… lua]" instead of a client address. So a request's round trips are the commands it
// sent itself (a script call counts once), and its commands are all lines, scripts' included.
// PostgreSQL: committed + rolled-back transactions of the database (each statement sent outside
// a transaction is one), read from pg_stat_database, which publishes with up to a second's delay.
import { connect } from "node:net";
import pg from "pg";
import type { Backend } from "./setups.ts";

export interface StoreCost {
  /** Requests to the store the server waited for (a pipeline of n counts n). */
  roundTrips: number;
  /** Redis commands executed, those run inside scripts included; for PostgreSQL, transactions. */
  commands: number;
}

const PROBE_REQUESTS = 200;

async function sequentialRequests(url: string, cookie: string): Promise<void> {
  for (let i = 0; i < PROBE_REQUESTS; i++) {
    const res = await fetch(url, { headers: cookie ? { cookie } : {} });
    await res.arrayBuffer();
  }
}

/** Every line MONITOR prints while `work` runs (the reply to MONITOR itself excluded). */
async function monitorWhile(redisUrl: string, work: () => Promise<void>): Promise<string[]> {
  const { hostname, port } = new URL(redisUrl);
  const socket = connect(Number(port || 6379), hostname || "127.0.0.1");
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write("MONITOR\r\n");
  // A server that refuses MONITOR (ACLs, a managed Redis) answers an error: say so, do not wait.
  for (const deadline = Date.now() + 5000; !text.startsWith("+OK\r\n"); ) {
    if (text.startsWith("-") || Date.now() > deadline) {
      socket.destroy();
      throw new Error(`Redis refused MONITOR: ${text.split("\r\n")[0] || "no answer in 5 s"}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await work();
  // MONITOR lines arrive asynchronously; let the last ones in.
  await new Promise((r) => setTimeout(r, 200));
  socket.destroy();
  return text
    .slice(5)
    .split("\r\n")
    .filter((line) => line.startsWith("+"));
}

export async function redisCost(redisUrl: string, url: string, cookie: string): Promise<StoreCost> {
  const lines = await monitorWhile(redisUrl, () => sequentialRequests(url, cookie));
  const fromScripts = lines.filter((line) => / \[\d+ lua\] /.test(line)).length;
  return {
    roundTrips: (lines.length - fromScripts) / PROBE_REQUESTS,
    commands: lines.length / PROBE_REQUESTS,
  };
}

export async function postgresCost(
  databaseUrl: string,
  url: string,
  cookie: string,
): Promise<StoreCost> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // A busy backend reports its statistics at most once a second, an idle one within 10 s
    // (PGSTAT_IDLE_INTERVAL): wait for the app's pooled connections to go idle and report.
    const count = async () => {
      await new Promise((r) => setTimeout(r, 11_000));
      const { rows } = await client.query(
        "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
      );
      return Number(rows[0].n);
    };
    const before = await count();
    await sequentialRequests(url, cookie);
    const after = await count();
    // The reading itself is one transaction.
    // Round trips inside a transaction are not visible here: reported as unknown.
    return { roundTrips: Number.NaN, commands: (after - before - 1) / PROBE_REQUESTS };
  } finally {
    await client.end();
  }
}

export function storeCost(
  backend: Backend,
  urls: { redis: string; postgres: string },
  url: string,
  cookie: string,
): Promise<StoreCost> {
  return backend === "redis"
    ? redisCost(urls.redis, url, cookie)
    : postgresCost(urls.postgres, url, cookie);
}
