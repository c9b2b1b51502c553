// Who the CLI says it is: `latchkey --version` and the SARIF `tool.driver`. The version is read
// from the package's own package.json at run time, so it cannot drift from what npm published.
// This file sits one level below the package root both as src/version.ts (tsx) and as
// dist/version.js (the published build), so one relative URL serves both.
import { readFileSync } from "node:fs";
import { CliError } from "./errors.ts";
import type { SarifTool } from "./report/sarif.ts";

const PACKAGE_JSON = new URL("../package.json", import.meta.url);

let cached: string | undefined;

/**
 * The version of the `latchkey-cli` package this code belongs to.
 *
 * @example process.stdout.write(`latchkey ${cliVersion()}\n`)
 */
export function cliVersion(): string {
  if (cached !== undefined) return cached;
  const manifest: unknown = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));
  const version = (manifest as { version?: unknown } | null)?.version;
  if (typeof version !== "string" || version === "")
    throw new CliError("install", `${PACKAGE_JSON.pathname} has no version`);
  cached = version;
  return version;
}

/**
 * The `tool` both `audit --sarif` and `lint --sarif` report.
 *
 * @example formatSarif(report, sarifTool())
 */
export function sarifTool(): SarifTool {
  return {
    name: "latchkey",
    version: cliVersion(),
    informationUri: "https://www.npmjs.com/package/latchkey-cli",
  };
}
