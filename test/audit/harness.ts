// Starts the test apps under test/fixtures/audit/apps and runs `latchkey audit` against them
// as a real process.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface RunningApp {
  url: string;
  stop: () => Promise<void>;
}

const appsDir = fileURLToPath(new URL("../fixtures/audit/apps/", import.meta.url));

/** Runs a Python app script that prints "LISTENING <port>" and serves on 127.0.0.1. */
export function startPythonApp(
  script: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const child = spawn("python3", [`${appsDir}${script}`], {
    env: { ...process.env, PYTHONUNBUFFERED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script} did not start in 30 s: ${stderr}`));
    }, 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      const port = /LISTENING (\d+)/.exec(chunk.toString())?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}/`, stop: () => stop(child) });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${stderr}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `latchkey <args>` as a child process (async: the app under test may live in this process). */
export function runCli(
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "packages/latchkey-cli/src/cli.ts", ...args],
    {
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) =>
    child.on("close", (status) => resolve({ status, stdout, stderr })),
  );
}

export interface JsonFinding {
  id: string;
  severity: string;
  severityReason?: string;
  cookie?: string;
  evidence: string;
  fix: string;
}

/** "severity id [cookie]" per finding, sorted: the exact set a test app must produce. */
export function summary(findings: readonly JsonFinding[]): string[] {
  return findings
    .map((f) => `${f.severity} ${f.id}${f.cookie !== undefined ? ` ${f.cookie}` : ""}`)
    .sort();
}
