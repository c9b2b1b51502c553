// `latchkey lint [paths…] [--baseline FILE] [--json | --sarif] [--fail-on SEVERITY]`
import process from "node:process";
import { parseArgs } from "node:util";
import type { Baseline } from "../report/baseline.ts";
import { applyBaseline, parseBaseline, readBaselineFile } from "../report/baseline.ts";
import { colorEnabled } from "../report/color.ts";
import { exitCodeFor } from "../report/exit-code.ts";
import type { Report } from "../report/finding.ts";
import { parseSeverity } from "../report/finding.ts";
import { formatJson } from "../report/json.ts";
import { formatPretty } from "../report/pretty.ts";
import { formatSarif } from "../report/sarif.ts";
import { escapeForTerminal as safe } from "../report/terminal-text.ts";
import { cliVersion, sarifTool } from "../version.ts";
import { lintPaths } from "./lint.ts";

const USAGE = `Usage: latchkey lint [paths…] [--baseline FILE] [--json | --sarif] [--fail-on SEVERITY]

Reads Python (Flask, Flask-Session, Flask-Login, Flask-WTF, Django) and JavaScript/TypeScript
(express-session, cookie-session, res.cookie, Hono setCookie, @fastify/session,
@fastify/secure-session, latchkey) for insecure session configuration. Paths default to the current directory;
.gitignore, node_modules, virtualenvs and build output are skipped.

  --json              machine-readable findings
  --sarif             SARIF 2.1.0 with source locations (GitHub code scanning)
  --fail-on SEVERITY  exit 1 when a finding is at or above it (default: high)
  --baseline FILE     a previous lint --json report: findings it has (same id, cookie and file,
                      whatever the line) do not count for the exit status; the others are
                      marked new, and the baseline's findings not seen now are listed as fixed

Silence one finding with a comment on its line or the line above that names the rule:
  # latchkey: ignore cookie-missing-secure      // latchkey: ignore session-store-memory`;

function usageError(message: string): number {
  process.stderr.write(`latchkey lint: ${message}\n\n${USAGE}\n`);
  return 2;
}

/** Runs `latchkey lint` and returns the exit status (0, 1 or 2). */
export async function runLintCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.json && values.sarif) return usageError("choose one of --json and --sarif");
  const failOn = parseSeverity(values["fail-on"] ?? "high");
  if (failOn === undefined)
    return usageError(
      `unknown severity '${values["fail-on"]}' (info, low, medium, high, critical)`,
    );
  let baseline: Baseline | undefined;
  if (values.baseline !== undefined) {
    try {
      baseline = parseBaseline(readBaselineFile(values.baseline), "lint");
    } catch (error) {
      return usageError(
        `--baseline ${safe(values.baseline)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const paths = positionals.length > 0 ? positionals : ["."];
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let result: ReturnType<typeof lintPaths>;
  try {
    result = lintPaths(paths);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      return usageError(
        `no such file or directory: ${(error as NodeJS.ErrnoException).path ?? paths.join(" ")}`,
      );
    throw error;
  }
  const elapsed = Math.round(performance.now() - started);
  const linted: Report = {
    target: paths.join(" "),
    run: {
      kind: "lint",
      tool: { name: "latchkey", version: cliVersion() },
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: elapsed,
      files: {
        scanned: result.filesScanned,
        parsed: result.filesParsed,
        unparsable: result.unparsable.length,
      },
      suppressed: result.suppressed,
    },
    findings: result.findings,
  };
  const report = baseline !== undefined ? applyBaseline(linted, baseline) : linted;
  if (values.json) process.stdout.write(formatJson(report));
  else if (values.sarif) {
    process.stdout.write(formatSarif(report, sarifTool()));
  } else {
    process.stdout.write(
      formatPretty(report, { color: colorEnabled(process.stdout, process.env) }),
    );
  }
  for (const { path, reason } of result.skipped)
    process.stderr.write(`latchkey lint: skipped ${safe(path)}: ${safe(reason)}\n`);
  for (const file of result.unparsable)
    process.stderr.write(`latchkey lint: could not parse ${safe(file)}; skipped\n`);
  const suppressed = result.suppressed > 0 ? `, ${result.suppressed} suppressed` : "";
  process.stderr.write(
    `latchkey lint: ${result.filesScanned} files scanned, ${result.filesParsed} parsed in ${elapsed} ms${suppressed}\n`,
  );
  return exitCodeFor(report.findings, failOn);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      sarif: { type: "boolean" },
      "fail-on": { type: "string" },
      baseline: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
