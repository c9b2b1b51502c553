// What the benchmarks do with the app processes they measure: start one pinned to core 0 and wait
// for its port, read its CPU time, and take the session a first write request sets.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/** CPU time a process has used so far, in µs (Linux /proc; clock ticks of 10 ms). */
export function cpuTimeUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Runs `node …args` on core 0 and resolves once it prints `ready <port>`. */
export async function startPinned(
  label: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ServerProcess> {
  const child = spawn("taskset", ["-c", "0", process.execPath, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`${label} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A session to replay: the cookies a first write request set (empty for bare servers). */
export async function sessionCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/write`);
  await res.text();
  return res.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
}
