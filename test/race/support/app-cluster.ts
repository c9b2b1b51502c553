// Several race-app processes on one shared store, and the HTTP steps the race tests take on them.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { CookieJar, type Reply, request } from "../../helpers/http.ts";

const APP = new URL("./race-app.ts", import.meta.url).pathname;
export const COOKIE = "__Host-session";

export interface AppProcess {
  url: string;
  child: ChildProcess;
}

async function startProcess(env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", APP], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`race app exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
  return { url: JSON.parse(line).url, child };
}

async function stopProcess(app: AppProcess): Promise<void> {
  if (app.child.exitCode !== null) return;
  const exited = once(app.child, "exit");
  app.child.kill("SIGTERM");
  await exited;
}

/** `count` app processes sharing the store `env` names. */
export async function startCluster(
  count: number,
  env: Record<string, string>,
): Promise<AppProcess[]> {
  return Promise.all(Array.from({ length: count }, () => startProcess(env)));
}

export async function stopCluster(apps: readonly AppProcess[]): Promise<void> {
  await Promise.all(apps.map(stopProcess));
}

/** One request to an app process; a reply other than 200 or 409 (a LatchkeyError) fails the test. */
export async function call(
  app: AppProcess,
  method: string,
  path: string,
  cookie?: string,
): Promise<Reply & { json: Record<string, unknown> }> {
  const reply = await request(app.url + path, { method, cookie });
  assert.ok(reply.status === 200 || reply.status === 409, `${path}: ${reply.status} ${reply.body}`);
  return { ...reply, json: JSON.parse(reply.body) };
}

/** A new browser logged in as `user` through `engine` on `app`. */
export async function loggedIn(app: AppProcess, engine: string, user: string): Promise<CookieJar> {
  const jar = new CookieJar(COOKIE);
  const reply = await call(app, "POST", `/${engine}/login?user=${user}`);
  jar.take(reply);
  assert.ok(jar.value !== undefined, "login set a cookie");
  return jar;
}

/** The user a cookie value authenticates as on `app`, or null. */
export async function whoIs(
  app: AppProcess,
  value: string | undefined,
  keys: readonly string[] = [],
): Promise<{ userId: string | null; values: Record<string, unknown> }> {
  if (value === undefined) return { userId: null, values: {} };
  const query = keys.map((k) => `k=${k}`).join("&");
  const reply = await call(app, "GET", `/v/read?${query}`, `${COOKIE}=${value}`);
  return reply.json as { userId: string | null; values: Record<string, unknown> };
}

/**
 * Starts a request on `app` that loads its session and waits at barrier `id`; resolves once it
 * waits. `finish()` releases it and resolves to its reply.
 */
export async function hold(
  app: AppProcess,
  path: string,
  id: string,
  cookie?: string,
): Promise<{ finish(): Promise<Reply> }> {
  const sep = path.includes("?") ? "&" : "?";
  const reply = request(`${app.url}${path}${sep}id=${id}`, { method: "POST", cookie });
  reply.catch(() => {}); // observed in finish()
  await call(app, "GET", `/arrived?id=${id}`);
  return {
    async finish() {
      await call(app, "POST", `/release?id=${id}`);
      return reply;
    },
  };
}

/** The session cookie value a reply sets: a value, "cleared", or undefined when it sets none. */
export function cookieSet(reply: Reply): string | undefined {
  const jar = new CookieJar(COOKIE);
  jar.value = "unchanged";
  jar.take(reply);
  if (jar.value === "unchanged") return undefined;
  return jar.value ?? "cleared";
}

/** How many live sessions `user` has (server stores). */
export async function liveCount(app: AppProcess, user: string): Promise<number> {
  return (await call(app, "GET", `/v/count?user=${user}`)).json.live as number;
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
