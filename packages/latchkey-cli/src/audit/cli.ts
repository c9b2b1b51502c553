// `latchkey audit <url> [--login FILE [--samples N] [--rate N] [--idle-probe DURATION]]
//                       [--cookie NAME=VALUE | --cookie-env NAME=ENVVAR]… [--header "Name: value" | --header-env "Name: ENVVAR"]…
//                       [--baseline FILE] [--html FILE] [--max-pages N] [--json | --sarif] [--fail-on SEVERITY]
//                       [--insecure | --ca FILE] [--wordlist FILE] [--timeout MS] [--https-port N]`
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDuration } from "latchkey";
import { isCliError } from "../errors.ts";
import type { Baseline } from "../report/baseline.ts";
import { applyBaseline, parseBaseline } from "../report/baseline.ts";
import { colorEnabled } from "../report/color.ts";
import { exitCodeFor } from "../report/exit-code.ts";
import { parseSeverity } from "../report/finding.ts";
import { formatHtml } from "../report/html.ts";
import { formatJson } from "../report/json.ts";
import { formatPretty } from "../report/pretty.ts";
import { formatSarif } from "../report/sarif.ts";
import { escapeForTerminal as safe } from "../report/terminal-text.ts";
import { sarifTool } from "../version.ts";
import { auditSite } from "./audit.ts";
import { loadChromium, resolveBrowserPath } from "./browser-login.ts";
import type { SuppliedCredentials } from "./credentials.ts";
import { hasCredentials, suppliedCredentials } from "./credentials.ts";
import { explain, isAuditFindingId } from "./explain.ts";
import type { LoginDescription } from "./login-description.ts";
import { checkEnvironment, parseLoginDescription } from "./login-description.ts";
import { plannedActiveChecks, progressLine } from "./progress.ts";
import { parseWordlist } from "./weak-secret.ts";

const USAGE = `Usage: latchkey audit <url> [options]
       latchkey audit --explain <finding-id>

Fetches <url> and the same-origin pages it links to, and reports insecure session cookies and
headers. Never sends a request to any other host.

Options:
  --max-pages N      pages to fetch (default 20)
  --json | --sarif   machine-readable output (SARIF 2.1.0 for code-scanning dashboards)
  --fail-on LEVEL    exit 1 when a finding is at or above LEVEL: info, low, medium, high (default), critical
  --insecure         accept any TLS certificate (self-signed staging sites)
  --ca FILE          trust the CA certificates in FILE (PEM) in addition to the system ones
  --wordlist FILE    more secrets to try against signed session cookies, one per line
  --timeout MS       time allowed per page: its requests, redirects and analysis (default 10000)
  --https-port N     where an http:// target's HTTPS lives, when not 443; a redirect to any
                     other port does not count as redirecting to HTTPS
  --html FILE        also write the report as one self-contained HTML page (no script, nothing
                     loaded from elsewhere), with a chart by severity and the active checks' requests
  --baseline FILE    a previous --json report: findings it has (same id, cookie and URL path)
                     are marked unchanged and do not count for the exit status; new ones are
                     marked new, and the baseline's findings not seen now are listed as fixed
  --explain ID       print a finding's rule, standard, severity, how it is tested and its fixes

Authenticated passive scan (values are never printed; prefer the -env forms in CI):
  --cookie NAME=VALUE          send this cookie with every crawled page (repeatable)
  --cookie-env NAME=ENVVAR     the same, the value read from environment variable ENVVAR
  --header "Name: value"       send this header with every crawled page (repeatable)
  --header-env "Name: ENVVAR"  the same, the value read from ENVVAR

Active checks (they log in, log out and send the CSRF probe request; see docs/audit.md):
  --login FILE       login description (JSON): enables session-fixation, logout, adopted-id,
                     CSRF and entropy checks; credentials come from environment variables it names
  --samples N        fresh session ids collected for the entropy check (default 200, max 5000)
  --rate N           requests per second of the active checks, at most (default 10)
  --idle-probe TIME  also leave a session idle for TIME (e.g. 15m) and check it has expired
  --browser-path EXE the Chromium a "browser" login drives (default $LATCHKEY_AUDIT_BROWSER, the
                     description's executablePath, else /usr/bin/chromium); needs playwright-core

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or network error.`;

export async function runAuditCli(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.explain !== undefined) {
    if (positionals.length > 0) return usage("--explain takes a finding id, not a URL");
    if (!isAuditFindingId(values.explain))
      return usage(`--explain: not a finding id latchkey audit reports: ${values.explain}`);
    process.stdout.write(explain(values.explain));
    return 0;
  }
  if (positionals.length !== 1) return usage("expected exactly one <url>");
  let target: URL;
  try {
    target = new URL(positionals[0]!);
  } catch {
    return usage(`not a URL: ${positionals[0]}`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    return usage("the URL must be http:// or https://");
  if (values.json && values.sarif) return usage("choose one of --json and --sarif");
  if (values.insecure && values.ca !== undefined) return usage("choose one of --insecure and --ca");
  const failOn = parseSeverity(values["fail-on"] ?? "high");
  if (failOn === undefined) return usage(`unknown severity: ${values["fail-on"]}`);
  const maxPages = positiveInt(values["max-pages"], 20);
  const timeoutMs = positiveInt(values.timeout, 10_000);
  if (maxPages === undefined) return usage("--max-pages takes a positive whole number");
  const httpsPort = positiveInt(values["https-port"], 443);
  if (httpsPort === undefined || httpsPort > 65_535)
    return usage("--https-port takes a port number from 1 to 65535");
  if (timeoutMs === undefined)
    return usage("--timeout takes a positive whole number of milliseconds");
  const samples = positiveInt(values.samples, 200);
  const rate = positiveInt(values.rate, 10);
  if (samples === undefined || samples > 5000)
    return usage("--samples takes a whole number from 1 to 5000");
  if (rate === undefined || rate > 1000) return usage("--rate takes a whole number from 1 to 1000");
  let idleProbeMs: number | undefined;
  if (values["idle-probe"] !== undefined) {
    try {
      idleProbeMs = parseDuration(values["idle-probe"], "--idle-probe");
    } catch {
      return usage(
        `--idle-probe takes a duration such as 90s, 15m or 1h; got ${values["idle-probe"]}`,
      );
    }
  }
  const activeOnly = ["samples", "rate", "idle-probe", "browser-path"] as const;
  const stray = activeOnly.find((o) => values[o] !== undefined);
  if (values.login === undefined && stray !== undefined)
    return usage(`--${stray} needs --login (it configures the active checks)`);
  let description: LoginDescription | undefined;
  if (values.login !== undefined) {
    try {
      description = parseLoginDescription(readFileSync(values.login, "utf8"));
      checkEnvironment(description, process.env);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return usage(`--login ${values.login}: ${message}`);
    }
    const browser = description.login.browser;
    if (browser === undefined && values["browser-path"] !== undefined)
      return usage(`--browser-path needs a login description with "login": { "browser": … }`);
    if (browser !== undefined) {
      browser.runtime = {
        insecure: values.insecure ?? false,
        ...(values["browser-path"] !== undefined ? { executablePath: values["browser-path"] } : {}),
      };
      // Before the crawl: a missing browser or playwright-core is known without a request.
      try {
        resolveBrowserPath(browser, process.env);
        await loadChromium();
      } catch (error) {
        if (!isCliError(error)) throw error;
        process.stderr.write(`latchkey audit: --login: ${safe(error.message)}\n`);
        return 2;
      }
    }
  }
  let credentials: SuppliedCredentials;
  try {
    credentials = suppliedCredentials(values, process.env);
  } catch (error) {
    if (!isCliError(error, "usage")) throw error;
    return usage(error.message);
  }
  let baseline: Baseline | undefined;
  if (values.baseline !== undefined) {
    try {
      baseline = parseBaseline(readFileSync(values.baseline, "utf8"), "audit");
    } catch (error) {
      return usage(
        `--baseline ${values.baseline}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  let ca: string | undefined;
  let wordlist: Buffer[] = [];
  try {
    if (values.ca !== undefined) ca = readFileSync(values.ca, "utf8");
    if (values.wordlist !== undefined)
      wordlist = parseWordlist(readFileSync(values.wordlist, "utf8"));
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }

  const progress = process.stderr.isTTY === true;
  const line = progressLine((text) => process.stderr.write(text), {
    checks:
      description !== undefined ? plannedActiveChecks(description, idleProbeMs !== undefined) : [],
    samples,
    ...(idleProbeMs !== undefined ? { idleProbeMs } : {}),
  });
  let result: Awaited<ReturnType<typeof auditSite>>;
  try {
    result = await auditSite(target, {
      maxPages,
      timeoutMs,
      httpsPort,
      insecure: values.insecure ?? false,
      ...(ca !== undefined ? { ca } : {}),
      wordlist,
      ...(hasCredentials(credentials) ? { credentials } : {}),
      ...(description !== undefined
        ? {
            login: {
              description,
              samples,
              rate,
              ...(idleProbeMs !== undefined ? { idleProbeMs } : {}),
              ...(progress ? { onRequest: line.request } : {}),
            },
          }
        : {}),
      ...(progress ? { onProgress: line.page } : {}),
    });
  } catch (error) {
    if (progress) line.clear();
    // Only a login description is read while the audit runs, so an input error is about it.
    if (isCliError(error, "active-check", "input")) {
      process.stderr.write(`latchkey audit: --login: ${safe(error.message)}\n`);
      return 2;
    }
    if (!isCliError(error, "network")) throw error;
    process.stderr.write(
      `latchkey audit: cannot reach ${safe(target.href)}: ${safe(error.message)}\n`,
    );
    return 2;
  }
  if (progress) line.clear();
  const report = baseline !== undefined ? applyBaseline(result.report, baseline) : result.report;
  if (values.json) process.stdout.write(formatJson(report));
  else if (values.sarif) process.stdout.write(formatSarif(report, sarifTool()));
  else {
    const color = colorEnabled(process.stdout, process.env);
    const active =
      result.active !== undefined
        ? ` · active checks: ${result.active.requests} requests, session cookie ${safe(result.active.sessionCookie)}`
        : "";
    process.stdout.write(
      `Framework: ${result.framework} · ${result.pages} page${result.pages === 1 ? "" : "s"} fetched${active}\n`,
    );
    process.stdout.write(formatPretty(report, { color }));
  }
  if (values.html !== undefined) {
    try {
      writeFileSync(values.html, formatHtml(report));
    } catch (error) {
      process.stderr.write(
        `latchkey audit: --html ${safe(values.html)}: ${safe(error instanceof Error ? error.message : String(error))}\n`,
      );
      return 2;
    }
  }
  for (const e of result.errors.slice(0, 5))
    process.stderr.write(`latchkey audit: skipped ${safe(e.url)}: ${safe(e.message)}\n`);
  return exitCodeFor(report.findings, failOn);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "max-pages": { type: "string" },
      json: { type: "boolean" },
      sarif: { type: "boolean" },
      "fail-on": { type: "string" },
      insecure: { type: "boolean" },
      ca: { type: "string" },
      wordlist: { type: "string" },
      timeout: { type: "string" },
      "https-port": { type: "string" },
      login: { type: "string" },
      samples: { type: "string" },
      rate: { type: "string" },
      "idle-probe": { type: "string" },
      "browser-path": { type: "string" },
      explain: { type: "string" },
      baseline: { type: "string" },
      html: { type: "string" },
      cookie: { type: "string", multiple: true },
      "cookie-env": { type: "string", multiple: true },
      header: { type: "string", multiple: true },
      "header-env": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
}

function positiveInt(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  return /^\d{1,9}$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

function usage(message: string): number {
  process.stderr.write(`latchkey audit: ${message}\n\n${USAGE}\n`);
  return 2;
}
