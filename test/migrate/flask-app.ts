// Runs test/fixtures/migrate/flask_login_app.py (real Flask + Flask-Login, optionally
// Flask-Session on Redis) as a server of its own, for one test.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "../helpers/http.ts";

const script = fileURLToPath(new URL("../fixtures/migrate/flask_login_app.py", import.meta.url));

export interface FlaskAppOptions {
  secretKey: string;
  /** Flask-Session on this Redis, under this key prefix; Flask's signed cookie when absent. */
  redis?: { url: string; prefix: string; useSigner?: boolean; format?: "msgpack" | "json" };
}

/** Starts the Flask app on a free port; resolves once it listens. */
export async function startFlaskApp(options: FlaskAppOptions): Promise<RunningServer> {
  const env: Record<string, string> = { ...process.env, FLASK_SECRET_KEY: options.secretKey };
  if (options.redis !== undefined) {
    env.FLASK_SESSION_REDIS_URL = options.redis.url;
    env.FLASK_SESSION_PREFIX = options.redis.prefix;
    env.FLASK_SESSION_USE_SIGNER = options.redis.useSigner === true ? "1" : "0";
    env.FLASK_SESSION_FORMAT = options.redis.format ?? "msgpack";
  }
  const child = spawn("python3", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = stdout.split("\n");
      if (line.length > 1) resolve(Number(line[0]));
    });
    child.once("exit", (code) => reject(new Error(`the Flask app exited (${code}): ${stderr}`)));
    child.once("error", reject);
  });
  return { url: `http://127.0.0.1:${port}`, close: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** The `name=value` pair of the named cookie a reply set. */
export function cookiePair(setCookies: readonly string[], name: string): string {
  const line = setCookies.find((l) => l.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies)}`);
  return line.split(";")[0] as string;
}
