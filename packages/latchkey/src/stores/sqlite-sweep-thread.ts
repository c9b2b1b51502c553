// Runs deleteAll's sweep on a worker thread with its own connection (sqlite-sweep-worker.ts), so
// the checkpoints and fsyncs its commits trigger never wait on the app's event loop. The app's own
// connection keeps serving meanwhile: the worker pauses after each batch for as long as the batch
// took, and a write that finds the worker's lock retries on timers (sqlite-lock.ts).
import { Worker } from "node:worker_threads";
import { LatchkeyError } from "../core/errors.ts";

/** What the worker needs: the file (never a token), and the store's settings. */
export interface SweepTask {
  path: string;
  table: string;
  sweepBatch: number;
  lockTimeout: number;
}

/** Worker → app. */
export type SweepMessage =
  | { kind: "ready" }
  | { kind: "batch"; removed: number }
  | { kind: "done" }
  | { kind: "stopped" }
  | { kind: "error"; busy: boolean; code: string | undefined; message: string };

export interface SweepThread {
  /**
   * Settles once the worker has exited: "done" when every row is gone, "unstarted" when the
   * worker could not start or open the file (the caller sweeps on its own connection instead).
   * Rejects when the sweep failed or was stopped part way.
   */
  readonly finished: Promise<"done" | "unstarted">;
  /** Stops the sweep after the current batch and waits for the worker to exit. */
  stop(): Promise<void>;
}

/** Time stop() gives the worker to finish its batch and close its connection before terminating it. */
const STOP_GRACE_MS = 5_000;

/**
 * Starts the worker thread. From the built package, the .js beside this file. From the TypeScript
 * sources (the repository's tests and benchmarks run them through tsx), the .ts beside this file:
 * on Node 20 a worker does not inherit the loader hooks `--import tsx` registered, so a small
 * bootstrap registers tsx in the worker before importing it. Throws when that is impossible; the
 * caller then sweeps on its own connection.
 *
 * The file's URL is built from a variable on purpose: bundlers (webpack, Turbopack) treat
 * `new URL("<literal>", import.meta.url)` as an asset to bundle and fail the build when it is not
 * there (the sources have no .js beside them). Inside a bundle the worker file is absent, the
 * worker fails before it is ready, and the sweep runs on the app's connection as before.
 */
function newWorker(task: SweepTask): Worker {
  const here = import.meta.url;
  const fromSources = here.endsWith(".ts");
  const file = new URL(`./sqlite-sweep-worker${fromSources ? ".ts" : ".js"}`, here);
  if (!fromSources) return new Worker(file, { workerData: task });
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)})
    .then((api) => api.register())
    .then(() => import(${JSON.stringify(file.href)}));`;
  return new Worker(bootstrap, { eval: true, workerData: task });
}

/** Starts the sweep worker; `onBatch` is called with each batch's removed-row count. */
export function startSweepThread(task: SweepTask, onBatch: (removed: number) => void): SweepThread {
  let worker: Worker;
  try {
    worker = newWorker(task);
  } catch {
    return { finished: Promise.resolve("unstarted"), stop: async () => {} };
  }
  let started = false;
  let failure: unknown = null;
  let outcome: "done" | "stopped" | null = null;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const finished = new Promise<"done" | "unstarted">((resolve, reject) => {
    worker.on("message", (message: SweepMessage) => {
      switch (message.kind) {
        case "ready":
          started = true;
          break;
        case "batch":
          try {
            onBatch(message.removed);
          } catch (error) {
            failure ??= error;
            worker.postMessage("stop");
          }
          break;
        case "done":
        case "stopped":
          outcome = message.kind;
          break;
        case "error":
          failure ??= started ? errorOf(message, task.lockTimeout) : null;
          break;
      }
    });
    worker.on("error", (error) => {
      if (started) {
        failure ??= new LatchkeyError(
          "store-unavailable",
          "sqliteStore: the deleteAll worker failed",
          {
            cause: error,
          },
        );
      }
    });
    // Settled on exit only: deleteAll never resolves while the worker still holds the file.
    worker.once("exit", () => {
      if (failure !== null) reject(failure);
      else if (!started) resolve("unstarted");
      else if (outcome === "done") resolve("done");
      else {
        reject(
          new LatchkeyError(
            "store-unavailable",
            "sqliteStore: deleteAll stopped before the end (store closed)",
          ),
        );
      }
    });
  });
  // A caller that stops the sweep (close()) does not also have to handle its rejection.
  finished.catch(() => {});
  return {
    finished,
    async stop() {
      worker.postMessage("stop");
      const grace = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(grace);
    },
  };
}

/** The worker's failure as the in-thread sweep would have thrown it. */
function errorOf(message: Extract<SweepMessage, { kind: "error" }>, lockTimeout: number): Error {
  if (message.busy) {
    return new LatchkeyError(
      "store-unavailable",
      `sqliteStore: the database stayed locked by another connection for ${lockTimeout} ms`,
    );
  }
  // SQLite's own message (an I/O error, a full disk): no token or path is in it.
  return new LatchkeyError(
    "store-unavailable",
    `sqliteStore: deleteAll failed on the sweep's connection (${message.code ?? "no code"}): ${message.message}`,
  );
}
