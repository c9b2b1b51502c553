// Building and serving an example Next.js app from a test: the `next` CLI the app itself resolves
// (examples/next: Next 16 from the root; examples/next15: its own 15.5), `next build`, and
// `next start` on a free port, with the environment the test runner must not pass on.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { BrowserContext } from "playwright-core";

/** The `next` CLI the app at `app` (a directory ending in /) resolves, or why there is none. */
export function nextBin(app: string): { bin: string; version: string } | { missing: string } {
  try {
    const pkg = createRequire(join(app, "package.json")).resolve("next/package.json");
    const bin = join(dirname(pkg), "dist", "bin", "next");
    const version = String(createRequire(pkg)("./package.json").version);
    return existsSync(bin) ? { bin, version } : { missing: `${bin} not found` };
  } catch {
    return { missing: "the next package is not installed (npm install)" };
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The environment of `next build` and `next start`. The test runner's --conditions flag is for
 * latchkey's own imports; the apps resolve latchkey through next.config's aliases, and Next's
 * workers need no flags of ours.
 */
export function nextEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  return {
    ...inherited,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    ...extra,
  };
}

export interface NextProcess {
  child: ReturnType<typeof spawn>;
  exited: Promise<string>;
  output(): string;
}

/** Runs `next <args>` in `app`; `exited` resolves with its output when it exits 0. */
export function runNext(
  app: string,
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): NextProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: app, env });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<string>((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`next ${args[0]} exited ${code}:\n${output}`)),
    ),
  );
  return { child, exited, output: () => output };
}

/** `next build`, reporting its wall-clock and CPU time (a CI budget, never asserted). */
export async function buildNext(
  app: string,
  bin: string,
  env: NodeJS.ProcessEnv,
  label: string,
): Promise<void> {
  const started = Date.now();
  const build = runNext(app, bin, ["build"], env);
  await build.exited;
  console.log(`  ${label} next build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `next start` on a free port of localhost, resolved once it answers. */
export async function startNext(
  app: string,
  bin: string,
  env: NodeJS.ProcessEnv,
): Promise<{ url: string; server: NextProcess }> {
  const port = await freePort();
  // http://localhost is a secure context: Chromium keeps Secure and __Host- cookies there.
  const url = `http://localhost:${port}`;
  const server = runNext(app, bin, ["start", "-p", String(port), "-H", "localhost"], env);
  const deadline = Date.now() + 60_000;
  let exited = false;
  server.exited.catch(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      await fetch(url, { redirect: "manual" });
      return { url, server };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  server.child.kill();
  throw new Error(`next start did not answer at ${url}:\n${server.output()}`);
}

/** The __Host- session cookie in a browser context's jar. */
export async function sessionCookie(context: BrowserContext, url: string) {
  const cookie = (await context.cookies(url)).find((c) => c.name.startsWith("__Host-"));
  assert.ok(cookie, "the browser keeps a __Host- session cookie");
  return cookie;
}

/** A session Set-Cookie on `response` (one that issues or changes a session), or null. */
export function sessionSetCookie(response: Response): string | null {
  const lines = response.headers.getSetCookie().filter((line) => line.startsWith("__Host-"));
  return lines.length === 0 ? null : lines.join("\n");
}
