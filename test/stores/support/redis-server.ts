// Real redis-server processes that a test starts on free loopback ports and stops: a standalone
// server it can stop and restart (outage tests), and a 3-master Cluster.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

// Servers still running when the test process exits (a failed or interrupted run) are killed.
const alive = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

/** Why redis-server cannot be started here, or null. */
export function redisServerMissing(): string | null {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  return probe.error === undefined && probe.status === 0 ? null : "redis-server not found on PATH";
}

export interface RedisProcess {
  port: number;
  url: string;
  /** Saves the data to disk and stops the server (SHUTDOWN SAVE). */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the data it saved. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

export async function startRedisServer(
  extraArgs: string[] = [],
  port?: number,
): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-redis-"));
  const chosen = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const args = [
    "--port",
    String(chosen),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--loglevel",
    "warning",
    ...extraArgs,
  ];
  const start = async () => {
    const started = spawn("redis-server", args, { stdio: "ignore" });
    alive.add(started);
    started.on("exit", () => alive.delete(started));
    child = started;
    await waitForPing(chosen);
  };
  const stop = async () => {
    const running = child;
    if (running === null || running.exitCode !== null) return;
    const exited = once(running, "exit");
    const admin = new Redis({
      port: chosen,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    admin.on("error", () => {});
    try {
      await admin.connect();
      await admin.call("SHUTDOWN", "SAVE").catch(() => {}); // the connection closes as the server exits
    } catch {
      running.kill("SIGKILL");
    } finally {
      admin.disconnect();
    }
    await exited;
    child = null;
  };
  await start();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    start,
    stop,
    pause: () => (child as ChildProcess | null)?.kill("SIGSTOP"),
    resume: () => (child as ChildProcess | null)?.kill("SIGCONT"),
    async destroy() {
      const running = child as ChildProcess | null;
      if (running !== null && running.exitCode === null) {
        const exited = once(running, "exit");
        running.kill("SIGCONT");
        running.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  nodes: Array<{ host: string; port: number }>;
  destroy(): Promise<void>;
}

/** Three masters, slots split evenly, joined by CLUSTER MEET; resolves once every node says "ok". */
export async function startRedisCluster(): Promise<RedisCluster> {
  const ports = await Promise.all([freeClusterPort(), freeClusterPort(), freeClusterPort()]);
  const servers = await Promise.all(
    ports.map((port) =>
      startRedisServer(
        [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${port}.conf`,
          "--cluster-node-timeout",
          "2000",
        ],
        port,
      ),
    ),
  );
  const admins = ports.map(
    (port) => new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 }),
  );
  try {
    const ranges = [
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ];
    await Promise.all(
      admins.map(async (admin, i) => {
        await admin.call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1));
        const [from, to] = ranges[i] as [number, number];
        await admin.call("CLUSTER", "ADDSLOTSRANGE", String(from), String(to));
      }),
    );
    for (const port of ports.slice(1)) {
      await (admins[0] as Redis).call("CLUSTER", "MEET", "127.0.0.1", String(port));
    }
    const deadline = Date.now() + 15_000;
    for (;;) {
      const states = await Promise.all(
        admins.map((a) => a.call("CLUSTER", "INFO") as Promise<string>),
      );
      const slotViews = await Promise.all(
        admins.map((a) => a.call("CLUSTER", "SLOTS") as Promise<unknown[]>),
      );
      if (
        states.every((s) => s.includes("cluster_state:ok")) &&
        slotViews.every((v) => v.length === 3)
      )
        break;
      if (Date.now() > deadline) throw new Error("redis cluster did not become ready");
      await sleep(50);
    }
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return {
    nodes: ports.map((port) => ({ host: "127.0.0.1", port })),
    async destroy() {
      await Promise.all(servers.map((s) => s.destroy()));
    },
  };
}

/** Resolves once a redis-server on `port` answers PING (it may still be loading its data). */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await sleep(25);
    } finally {
      client.disconnect();
    }
  }
}

function listenOn(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : null),
      );
    });
  });
}

export async function freePort(): Promise<number> {
  const port = await listenOn(0);
  if (port === null) throw new Error("no free port");
  return port;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port > 55_000) continue;
    if ((await listenOn(port + 10_000)) !== null) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
