// Starting and stopping app-process.ts as a child process: the app under test then has an event
// loop of its own, so what a test measures is the app, not the test's own clients.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

const APP = new URL("./app-process.ts", import.meta.url).pathname;

export interface AppChild {
  url: string;
  child: ChildProcess;
}

/** Starts an app process with `env` added (see app-process.ts) and resolves once it listens. */
export async function startAppChild(env: Record<string, string>): Promise<AppChild> {
  const child = spawn(process.execPath, ["--import", "tsx", APP], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`app process exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
  return { url: JSON.parse(line).url, child };
}

/** Stops it with SIGTERM (it closes its store) and waits for it to exit. */
export async function stopAppChild(app: AppChild | undefined): Promise<void> {
  if (app === undefined || app.child.exitCode !== null) return;
  const exited = once(app.child, "exit");
  app.child.kill("SIGTERM");
  await exited;
}
