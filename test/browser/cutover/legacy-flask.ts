// Runs test/fixtures/browser/flask_cutover_app.py (real Flask + Flask-Login, a login form,
// Flask's signed cookie session) as a server of its own, for one browser cutover.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "../../helpers/http.ts";

const script = fileURLToPath(
  new URL("../../fixtures/browser/flask_cutover_app.py", import.meta.url),
);

/** Starts the Flask app on a free port; resolves once it listens. The browser's origin is `url`. */
export async function legacyFlaskApp(options: {
  secretKey: string;
  password: string;
  /** SESSION_COOKIE_NAME; Flask's default `session` when absent. */
  cookieName?: string;
}): Promise<RunningServer & { port: number }> {
  const child = spawn("python3", [script], {
    env: {
      ...process.env,
      FLASK_SECRET_KEY: options.secretKey,
      FLASK_PASSWORD: options.password,
      PORT: "0",
      FLASK_COOKIE_NAME: options.cookieName ?? "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split("\n");
      if (lines.length > 1) resolve(Number(lines[0]));
    });
    child.once("exit", (code) => reject(new Error(`the Flask app exited (${code}): ${stderr}`)));
    child.once("error", reject);
  });
  return { port, url: `http://localhost:${port}`, close: () => stop(child) };
}

/** Ends the process and waits for it, so its port is free for the app that replaces it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}
