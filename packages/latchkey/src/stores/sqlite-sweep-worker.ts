// The deleteAll sweep on a thread of its own (started by sqlite-sweep-thread.ts). better-sqlite3
// is synchronous: on the app's thread, a commit that triggers SQLite's automatic WAL checkpoint
// waits there for the copy and the fsyncs (96–159 ms measured over 10^6 rows), and the event loop
// with it. Here the sweep has its own connection, so every checkpoint it triggers waits on this
// thread; waiting here stops nothing else, so SQLite may also wait for locks itself (busy_timeout).
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { isBusy } from "./sqlite-lock.ts";
import { prepareSweep } from "./sqlite-sweep.ts";
import type { SweepMessage, SweepTask } from "./sqlite-sweep-thread.ts";

/** Pause after a batch, as long as the batch took (bounds below): the app's writers get the lock. */
const MIN_GAP_MS = 1;
const MAX_GAP_MS = 20;

/**
 * How many nice steps below the app this thread runs on Linux: where it shares a core with the
 * app's thread (a container with one CPU, a process pinned to one core), the scheduler gives that
 * core to the app's thread first (weight 1024 against 110 at nice 0 and 10), so a live request
 * does not wait behind a batch. On an idle or a free core the sweep is as fast.
 */
const SWEEP_NICE_STEPS = 10;
/** The lowest priority Linux has. */
const NICEST = 19;

/**
 * Lowers this thread's priority, only this thread's. On Linux a thread is a task with its own id
 * (/proc/thread-self names it) and setpriority(2) on that id changes that thread alone; elsewhere
 * the call would change the whole process, so it is not made. Best effort: a kernel or sandbox
 * that refuses leaves the sweep at the app's priority.
 */
function yieldTheCoreToTheApp(): void {
  if (process.platform !== "linux") return;
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isSafeInteger(tid) || tid <= 0 || tid === process.pid) return;
    // Relative to what it inherited, never above it: a root process started at nice 15 must not
    // get a sweep thread at 10.
    setPriority(tid, Math.min(NICEST, getPriority(tid) + SWEEP_NICE_STEPS));
  } catch {
    // Left at the app's priority.
  }
}

const task = workerData as SweepTask;
const port = parentPort;
let stopping = false;
port?.on("message", (message: unknown) => {
  if (message === "stop") stopping = true;
});
// The port alone does not keep the thread alive: it exits when the sweep ends.
port?.unref();

function post(message: SweepMessage): void {
  port?.postMessage(message);
}

async function run(): Promise<void> {
  yieldTheCoreToTheApp();
  const db = new Database(task.path, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${task.lockTimeout}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const sweep = prepareSweep(db, task.table, task.sweepBatch);
    post({ kind: "ready" });
    let after: string | null = "";
    while (after !== null && !stopping) {
      const started = performance.now();
      const batch = sweep.immediate(after);
      post({ kind: "batch", removed: batch.removed });
      after = batch.last;
      const took = performance.now() - started;
      const gap = Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, took));
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
    post(stopping ? { kind: "stopped" } : { kind: "done" });
  } finally {
    db.close();
  }
}

run().catch((error: unknown) => {
  // Only the kind of failure crosses over: SQLite's codes and messages name no token.
  const code = (error as { code?: unknown } | null)?.code;
  post({
    kind: "error",
    busy: isBusy(error),
    code: typeof code === "string" ? code : undefined,
    message: error instanceof Error ? error.message : String(error),
  });
});
