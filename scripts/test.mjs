#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's own test runner (tsx compiles on the fly).
// Node 20's `--test` takes no globs, so the file list is gathered here.
// Usage: npm test [-- substring…]   (only test files whose path contains one of the substrings)
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const filters = process.argv.slice(2);
const files = readdirSync("test", { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join("test", f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  [
    "--conditions=latchkey-dev",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-reporter=spec",
    ...files,
  ],
  {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? "test",
      // Child processes (CLI runs, app processes) resolve `latchkey` to its sources too.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=latchkey-dev`.trim(),
    },
  },
);
process.exit(result.status ?? 1);
