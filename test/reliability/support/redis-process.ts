// A private redis-server for outage tests: frozen with SIGSTOP, killed with SIGKILL and started
// again on the same port. The shared server on 6379 is never touched.
//
// Persistence is the append-only file with `appendfsync always`: Redis writes and fsyncs each
// write before it replies, so every write a client saw acknowledged survives a SIGKILL, and a
// session that answered 2xx before the kill must still be there after the restart. (RDB
// snapshots would lose everything since the last snapshot; without persistence a restart is a
// different outage, every session gone.)
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPing } from "../../stores/support/redis-server.ts";

// A failed or interrupted run must not leave servers behind.
const alive = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of alive) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
});

export { redisServerMissing } from "../../stores/support/redis-server.ts";

export interface PrivateRedis {
  readonly url: string;
  /** SIGSTOP: connections stay open, nothing is answered. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL, and waits until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, from its append-only file; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it and removes its files. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-reliability-redis-"));
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--loglevel",
    "warning",
  ];
  let child: ChildProcess | null = null;

  const start = async () => {
    const started = spawn("redis-server", args, { stdio: "ignore" });
    alive.add(started);
    started.on("exit", () => alive.delete(started));
    child = started;
    // Loading a large append-only file takes a while on a busy machine.
    await waitForPing(port, 20_000);
  };
  const kill = async () => {
    const running = child as ChildProcess | null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
    child = null;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => (child as ChildProcess | null)?.kill("SIGSTOP"),
    thaw: () => (child as ChildProcess | null)?.kill("SIGCONT"),
    kill: async () => {
      (child as ChildProcess | null)?.kill("SIGCONT");
      await kill();
    },
    start,
    async destroy() {
      (child as ChildProcess | null)?.kill("SIGCONT");
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
