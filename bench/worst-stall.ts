// Where the longest stall of the event loop went, for the benchmarks that watch it: between two
// ticks of a 1 ms timer, how long the main thread ran on a CPU, how long it waited for one (the
// core it shares with a worker thread or another process), and the rest: asleep inside a
// synchronous call (an fsync, SQLite's lock retries) or in the kernel's hands. Linux
// /proc/thread-self/schedstat gives the first two in ns for the calling thread; elsewhere only the
// wall time is known.
import { readFileSync } from "node:fs";

export interface Stall {
  /** Wall time between the two ticks, ms. */
  wallMs: number;
  /** Of which the main thread ran on a CPU (null where schedstat is missing). */
  onCpuMs: number | null;
  /** Of which it was runnable but waited for a CPU (null where schedstat is missing). */
  waitingMs: number | null;
}

/** [on-CPU ns, run-queue ns] of the calling thread, or null off Linux. */
function threadSchedNs(): [number, number] | null {
  try {
    const [run, wait] = readFileSync("/proc/thread-self/schedstat", "latin1").split(" ");
    return [Number(run), Number(wait)];
  } catch {
    return null;
  }
}

/** Starts watching; `stop()` ends it and returns the longest stall seen. */
export function watchWorstStall(): { stop(): Stall } {
  let worst: Stall = { wallMs: 0, onCpuMs: 0, waitingMs: 0 };
  let lastWall = performance.now();
  let lastSched = threadSchedNs();
  const tick = setInterval(() => {
    const wall = performance.now();
    const sched = threadSchedNs();
    if (wall - lastWall > worst.wallMs) {
      worst = {
        wallMs: wall - lastWall,
        onCpuMs: sched && lastSched ? (sched[0] - lastSched[0]) / 1e6 : null,
        waitingMs: sched && lastSched ? (sched[1] - lastSched[1]) / 1e6 : null,
      };
    }
    lastWall = wall;
    lastSched = sched;
  }, 1);
  return {
    stop() {
      clearInterval(tick);
      return worst;
    },
  };
}
