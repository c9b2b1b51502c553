#!/usr/bin/env node
// The `latchkey` command: a thin dispatcher. Each subcommand lives with the code it drives
// (src/audit, src/lint, src/flask) and is loaded only when asked for, so `latchkey lint`
// never pays for the auditor's imports and vice versa.

const USAGE = `latchkey — secure sessions, and an auditor for anyone's

Usage:
  latchkey audit <url> [--login login.json] [--max-pages N] [--json | --sarif] [--fail-on SEVERITY]
                       [--insecure | --ca FILE]
  latchkey lint [paths…] [--json | --sarif] [--fail-on SEVERITY]
  latchkey flask decode <cookie> [--secret KEY]
  latchkey flask sign <json> --secret KEY
  latchkey --version                       print the version (also -v)
  latchkey --help                          this text (also -h); <command> --help for one command

Exit status: 0 nothing at or above --fail-on (default high), 1 findings at or above it,
2 usage or network error.`;

import { isCliError } from "./errors.ts";
import { cliVersion } from "./version.ts";

type Subcommand = (argv: string[]) => Promise<number>;

const subcommands: Record<string, () => Promise<Subcommand>> = {
  audit: async () => (await import("./audit/cli.ts")).runAuditCli,
  lint: async () => (await import("./lint/cli.ts")).runLintCli,
  flask: async () => (await import("./flask/cli.ts")).runFlaskCli,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  const load = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (load === undefined) {
    process.stderr.write(`latchkey: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  const run = await load();
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A failure no subcommand handled is never a finding: say so briefly and exit 2. A
    // deliberate CliError already reads as a sentence; anything else is a bug, and says so.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      isCliError(error) ? `latchkey: ${message}\n` : `latchkey: unexpected error: ${message}\n`,
    );
    process.exitCode = 2;
  },
);
