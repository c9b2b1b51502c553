// Checkpointing the WAL mostly off the event loop.
//
// SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages: it
// copies them into the database file and flushes both files (two fsyncs, also with
// synchronous = NORMAL). better-sqlite3 is synchronous, so that wait stops the whole process.
// Measured during a revokeAll of 10^6 rows (batches of 250, a loaded 2-core machine): a commit
// took 1.5 ms on average but up to 96–159 ms wall, of which at most 20 ms CPU — the rest was the
// checkpoint's copying and fsyncs. So a worker thread with its own connection runs a PASSIVE
// checkpoint (which never waits for, nor blocks, readers and writers) every CHECK_EVERY_MS: the
// bulk of the copying and flushing waits on that thread. The store's own connection keeps
// SQLite's automatic checkpoint: by the time it runs, the worker has copied all but the last
// few pages, so it copies and flushes little; and only a checkpoint in the writing connection
// itself ends with no newer frame behind it, which is what lets the next commit start the WAL
// file over. (With the worker alone, the WAL grew to 13.5 GB over 10^6 creates; with the worker
// taking the write lock to restart it, writers waited out its fsyncs and failed after 2 s.)
// Durability is unchanged: the same pages are flushed, mostly on another thread.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker checkpoints. An idle check costs microseconds (no new frames, no sync); fewer
 * checks mean fewer fsyncs, and a page written many times in between is copied once. */
const CHECK_EVERY_MS = 200;

// The worker is given as source (eval), so the package ships no second entry file. It opens the
// same file and never waits for a lock (a PASSIVE checkpoint that finds another checkpoint
// running answers busy: the next tick tries again). On any other error, or when told to stop,
// it closes its connection and ends: the app's connection still checkpoints on its own.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try { checkpoint.get(); } catch (error) {
    if (!String(error && error.code).startsWith("SQLITE_BUSY")) stop();
  }
}, workerData.every);
function stop() {
  clearInterval(timer);
  if (db.open) db.close();
  parentPort.close();
}
parentPort.on("message", stop);
`;

export interface Checkpointer {
  /** Stops the worker after its current checkpoint; resolves once its connection is closed. */
  stop(): Promise<void>;
}

/**
 * Runs PASSIVE checkpoints of the WAL file at `path` on a worker thread. If the worker cannot
 * run, nothing changes: the app's connection checkpoints as SQLite always does.
 */
export function startCheckpointer(path: string): Checkpointer {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path,
        every: CHECK_EVERY_MS,
      },
      // Not the app's preloads and flags (--import tsx, heap sizes): the worker needs none.
      execArgv: [],
    });
  } catch {
    return { stop: async () => {} };
  }
  // The process may exit while the worker ticks: it must not keep the process alive.
  worker.unref();
  // An error in the worker only ends it (see above); the app checkpoints without it.
  worker.on("error", () => {});
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      // Waiting for its exit must hold the process open (the worker alone does not).
      worker.ref();
      worker.postMessage("stop");
      await exited;
    },
  };
}
