// Packs both packages the way `npm publish` would (each package's `prepack` builds it from a
// clean `dist`) and installs the tarballs into throwaway projects, offline from npm's cache.
// Everything runs as a user's machine would run it: without the `latchkey-dev` condition that
// `npm test` adds for its own child processes, and without the npm_* variables of the
// surrounding `npm test`, which would point npm back at this repository.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export const REPO = process.cwd();

export interface PackedFile {
  path: string;
  size: number;
}

export interface Packed {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}

/** The environment of a user's shell: this process's, minus the test runner's additions. */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_")) env[key] = value;
  }
  const options = (process.env.NODE_OPTIONS ?? "")
    .split(/\s+/)
    .filter((o) => o !== "" && !/^(--conditions|-C)=?latchkey-dev$/.test(o))
    .join(" ");
  if (options === "") delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = options;
  delete env.NODE_ENV;
  return env;
}

export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 300_000,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    env: userEnv(),
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs a command that must succeed; its output otherwise becomes the error. */
export function runOk(command: string, args: readonly string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) exited ${result.status ?? result.signal}\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `npm pack` of both workspaces into `destination`; npm's --json report per package. */
export function packBoth(destination: string): Map<string, Packed> {
  mkdirSync(destination, { recursive: true });
  const stdout = runOk(
    "npm",
    ["pack", "-w", "latchkey", "-w", "latchkey-cli", "--pack-destination", destination, "--json"],
    REPO,
  );
  // The build's own output may precede the report; the report is the last top-level array.
  const report = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[") + 1)) as Packed[];
  return new Map(report.map((p) => [p.name, p]));
}

/** A fresh CommonJS project (no "type": "module") with the given tarballs installed. */
export function installProject(dir: string, tarballs: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2)}\n`,
  );
  runOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], dir);
}

/** Every package directory under `nodeModules`, nested ones included, by name. */
export function installedPackages(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue; // .bin, .package-lock.json
      const path = join(dir, entry.name);
      if (entry.name.startsWith("@")) {
        visit(path);
        continue;
      }
      if (!entry.isDirectory()) continue;
      found.push(relative(nodeModules, path));
      const nested = join(path, "node_modules");
      if (exists(nested)) {
        for (const name of installedPackages(nested))
          found.push(join(relative(nodeModules, nested), name));
      }
    }
  };
  visit(nodeModules);
  return found.sort();
}

/** Bytes of every file under `dir`. */
export function treeSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const stat = statSync(join(dir, String(name)));
    if (stat.isFile()) total += stat.size;
  }
  return total;
}

/** Files under `dir` (relative paths) whose name ends with `suffix`. */
export function filesEndingWith(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix))
    .sort();
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
