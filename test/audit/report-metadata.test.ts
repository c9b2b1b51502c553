// The --json reports' run metadata: its shape (the published schemas), its values against a
// real crawl (requests counted by the server itself) and a real lint run; and the progress
// line: totals, time left, only on a terminal (a pseudo-TTY through script(1)), never in the
// report.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseLoginDescription } from "../../packages/latchkey-cli/src/audit/login-description.ts";
import {
  estimateRemainingMs,
  formatTimeLeft,
  plannedActiveChecks,
  progressLine,
  remainingActiveRequests,
} from "../../packages/latchkey-cli/src/audit/progress.ts";
import { cliVersion } from "../../packages/latchkey-cli/src/version.ts";
import { auditReportErrors, lintReportErrors } from "../helpers/report-schemas.ts";
import { runCli } from "./harness.ts";

interface AuditJson {
  schemaVersion: number;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  framework: string;
  pages: { count: number; urls: string[] };
  requests: number;
  counts: Record<string, number>;
  findings: { severity: string }[];
}

const ESC = "\u001b";
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

// 130 linked pages (more than the 100 URLs the report lists); `delayMs` slows each page down.
function linkedSite(delayMs = 0): { server: Server; requests: () => number } {
  let received = 0;
  const server = createServer((req, res) => {
    received++;
    const links =
      req.url === "/" ? Array.from({ length: 130 }, (_, i) => `<a href="/p${i}">p</a>`) : [];
    setTimeout(() => {
      res.writeHead(200, {
        "content-type": "text/html",
        "set-cookie": "connect.sid=s%3Aabcdefghijklmnopqrstuvwxyz012345.signature; Path=/",
      });
      res.end(`<!doctype html><html><body>${links.join(" ")}</body></html>`);
    }, delayMs);
  });
  return { server, requests: () => received };
}

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("audit --json: run metadata", () => {
  const site = linkedSite();
  let url: string;
  before(async () => {
    url = await listen(site.server);
  });
  after(() => {
    site.server.closeAllConnections();
    site.server.close();
  });

  it("matches the published schema, with counts, pages, requests and times that fit the run", async () => {
    const before = Date.now();
    const sentBefore = site.requests();
    const run = await runCli([
      "audit",
      url,
      "--json",
      "--max-pages",
      "120",
      "--fail-on",
      "critical",
    ]);
    const wall = Date.now() - before;
    assert.equal(run.status, 0, run.stderr);
    const report: AuditJson = JSON.parse(run.stdout);
    assert.deepEqual(auditReportErrors(report), []);
    assert.deepEqual(Object.keys(report).slice(0, 11), [
      "schemaVersion",
      "tool",
      "target",
      "startedAt",
      "finishedAt",
      "durationMs",
      "framework",
      "pages",
      "requests",
      "counts",
      "findings",
    ]);
    assert.equal(report.schemaVersion, 1);
    assert.deepEqual(report.tool, { name: "latchkey", version: cliVersion() });
    assert.equal(report.framework, "Express (express-session)");
    assert.equal(report.pages.count, 120);
    assert.equal(report.pages.urls.length, 100);
    assert.equal(report.pages.urls[0], url);
    // Every request the site received is counted, and nothing else: pages plus the probes.
    assert.equal(report.requests, site.requests() - sentBefore);
    assert.ok(report.requests > report.pages.count);
    const started = Date.parse(report.startedAt);
    const finished = Date.parse(report.finishedAt);
    assert.ok(started >= before - 1000 && started <= finished);
    // The monotonic duration agrees with the timestamps and fits in the process's lifetime.
    assert.ok(Math.abs(report.durationMs - (finished - started)) <= 1000);
    assert.ok(report.durationMs <= wall);
    for (const severity of SEVERITIES)
      assert.equal(
        report.counts[severity],
        report.findings.filter((f) => f.severity === severity).length,
      );
    assert.ok(report.findings.length > 0);
  });
});

describe("lint --json: run metadata", () => {
  it("counts the files scanned, parsed and unparsable, and the suppressed findings", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-lint-meta-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(
      join(dir, "src/app.py"),
      'from flask import Flask\napp = Flask(__name__)\napp.secret_key = "dev"\napp.config["SESSION_COOKIE_SECURE"] = False  # latchkey: ignore cookie-missing-secure\n',
    );
    writeFileSync(
      join(dir, "src/server.js"),
      'const session = require("express-session");\napp.use(session({ secret: "keyboard cat" }));\n',
    );

    const run = await runCli(["lint", dir, "--json"]);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(lintReportErrors(report), []);
    assert.equal(report.target, dir);
    assert.deepEqual(report.files, { scanned: 2, parsed: 2, unparsable: 0 });

    assert.equal(report.suppressed, 1);
    assert.ok(Number.isInteger(report.durationMs) && report.durationMs >= 0);
    // The terminal summary on stderr and the JSON agree.
    assert.match(
      run.stderr,
      new RegExp(`${report.files.scanned} files scanned, ${report.files.parsed} parsed`),
    );
    for (const severity of SEVERITIES)
      assert.equal(
        report.counts[severity],
        report.findings.filter((f: { severity: string }) => f.severity === severity).length,
      );
  });
});

describe("progress: estimates", () => {
  it("extrapolates the time left once there is a rate", () => {
    assert.equal(estimateRemainingMs(0, 12, 5000), undefined);
    assert.equal(estimateRemainingMs(3, 12, 0), undefined);
    assert.equal(estimateRemainingMs(12, 12, 9000), undefined);
    assert.equal(estimateRemainingMs(3, 12, 1500), 4500);
  });

  it("says the time left at a precision a reader can use", () => {
    const cases: [number, string][] = [
      [200, "~1s left"],
      [44_600, "~45s left"],
      [125_000, "~2m 05s left"],
      [4_210_000, "~1h 10m left"],
    ];
    for (const [ms, text] of cases) assert.equal(formatTimeLeft(ms), text);
  });

  it("estimates the active checks' remaining requests from those already sent", () => {
    const plan = {
      checks: ["login", "session-cookie", "session-fixation", "session-id-low-entropy"],
      samples: 50,
    };
    // Two checks took 8 requests: the next one is expected to take 4, then 50 samples.
    assert.equal(remainingActiveRequests(plan, ["login", "session-cookie"], 8, 0), 54);
    assert.equal(remainingActiveRequests(plan, [...plan.checks], 12 + 20, 20), 30);
  });
});

describe("progress line", () => {
  const description = parseLoginDescription(
    JSON.stringify({
      login: { url: "/login", method: "POST", form: { user: "a" } },
      loggedIn: { url: "/account", status: 200 },
      logout: { url: "/logout", method: "POST" },
    }),
  );
  const lines = (written: string[]) => written.map((t) => t.replace("\r\u001b[2K", ""));

  it("counts pages against the queue, with the time left from the second page on", () => {
    const written: string[] = [];
    let now = 0;
    const line = progressLine(
      (t) => written.push(t),
      { checks: [], samples: 0 },
      () => now,
    );
    line.page(0, 12, "http://127.0.0.1/");
    now = 2000;
    line.page(2, 12, "http://127.0.0.1/a\u001b[31m");
    assert.deepEqual(lines(written), [
      "page 1/12 http://127.0.0.1/",
      "page 3/12 · ~10s left http://127.0.0.1/a\\x1b[31m",
    ]);
  });

  it("counts checks against the plan, with the time left once requests have a rate", () => {
    const written: string[] = [];
    let now = 0;
    const plan = { checks: plannedActiveChecks(description, false), samples: 100 };
    const line = progressLine(
      (t) => written.push(t),
      plan,
      () => now,
    );
    line.request(1, "login");
    now = 500;
    line.request(2, "login");
    now = 1000;
    line.request(3, "session-cookie");
    assert.deepEqual(lines(written).slice(0, 2), [
      "check 1/6 login · request 1",
      // One request in 500 ms; login so far cost 2: 4 checks × 2 + 100 samples = 108 left.
      "check 1/6 login · request 2 · ~54s left",
    ]);
    assert.match(lines(written)[2]!, /^check 2\/6 session-cookie · request 3 · ~\d+s left$/);
  });

  it("waits out the idle probe: its period is the least time left", () => {
    const written: string[] = [];
    let now = 0;
    const plan = {
      checks: plannedActiveChecks(description, true),
      samples: 1,
      idleProbeMs: 15 * 60_000,
    };
    const line = progressLine(
      (t) => written.push(t),
      plan,
      () => now,
    );
    line.request(1, "login");
    now = 100;
    line.request(2, "idle-probe");
    now = 60_100;
    line.request(3, "session-fixation");
    assert.match(lines(written)[2]!, /^check 3\/7 session-fixation · request 3 · ~14m 00s left$/);
  });

  it("plans the CSRF probe and the idle probe only when they run", () => {
    assert.equal(plannedActiveChecks(description, true).length, 7);
    assert.ok(plannedActiveChecks(description, true).includes("idle-probe"));
    assert.ok(!plannedActiveChecks(description, false).includes("csrf-accepted"));
  });
});

describe("progress on the command line", () => {
  // Each page takes a while, so the line has a rate to extrapolate from.
  const site = linkedSite(60);
  let url: string;
  before(async () => {
    url = await listen(site.server);
  });
  after(() => {
    site.server.closeAllConnections();
    site.server.close();
  });

  it("is not drawn when stderr is not a terminal", async () => {
    const run = await runCli(["audit", url, "--max-pages", "12", "--fail-on", "critical"]);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /\r|page \d+\//);
    assert.ok(!run.stderr.includes(ESC));
    assert.doesNotMatch(run.stdout, /\r|page \d+\//);
  });

  const script = spawnSync("script", ["--version"], { encoding: "utf8" });
  it("on a terminal: pages n/N and the time left on stderr, none of it in the --json report", {
    skip: script.status !== 0 ? "script(1) is not installed: no pseudo-terminal" : false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-progress-"));
    const out = join(dir, "report.json");
    // script(1) gives the CLI a pseudo-terminal; its stdout goes to a file, as in CI.
    const command = [
      process.execPath,
      "--import",
      "tsx",
      "packages/latchkey-cli/src/cli.ts",
      "audit",
      url,
      "--json",
      "--max-pages",
      "12",
      "--fail-on",
      "critical",
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const child = spawn("script", ["-qfec", `${command} > '${out}'`, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let terminal = "";
    child.stdout.on("data", (c: Buffer) => {
      terminal += c.toString();
    });
    const status = await new Promise((r) => child.on("close", r));
    assert.equal(status, 0, terminal);
    assert.match(terminal, new RegExp(`\r${ESC}\\[2Kpage 1/\\d+ `));
    assert.match(terminal, /page \d+\/12 · ~\d+s left /);
    // The line is cleared before the report is written.
    assert.match(terminal, new RegExp(`\r${ESC}\\[2K$`));
    const report = readFileSync(out, "utf8");
    assert.doesNotMatch(report, /\r|left/);
    assert.ok(!report.includes(ESC));
    assert.deepEqual(auditReportErrors(JSON.parse(report)), []);
  });
});
