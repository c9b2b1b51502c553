// `latchkey lint --baseline`: only findings the earlier `lint --json` report did not have count
// for the exit status; a finding keeps its identity when lines are added above it; a report that
// is not a lint report is refused with a usage error, never a crash.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  applyBaseline,
  MAX_BASELINE_BYTES,
  parseBaseline,
} from "../../packages/latchkey-cli/src/report/baseline.ts";
import type { Finding } from "../../packages/latchkey-cli/src/report/finding.ts";
import { findingFingerprint } from "../../packages/latchkey-cli/src/report/fingerprint.ts";
import { lintReportErrors } from "../helpers/report-schemas.ts";
import { sarifErrors } from "../helpers/sarif.ts";

const cli = fileURLToPath(new URL("../../packages/latchkey-cli/src/cli.ts", import.meta.url));
const tsxLoader = import.meta.resolve("tsx");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lint(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, cli, "lint", ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonReport {
  baseline?: { new: number; unchanged: number; fixed: number };
  findings: { id: string; location: { line: number }; baselineState?: string }[];
  fixed?: { id: string; location?: { file: string; line: number } }[];
}

const HEAD = "import os\nfrom flask import Flask\n\napp = Flask(__name__)\n";
const SECRET_FROM_ENV = 'app.secret_key = os.environ["SECRET_KEY"]\n';
const SECURE_OFF = 'app.config["SESSION_COOKIE_SECURE"] = False\n';
const HTTPONLY_OFF = 'app.config["SESSION_COOKIE_HTTPONLY"] = False\n';
const WEAK_SECRET = 'app.secret_key = "dev"\n';

describe("latchkey lint --baseline", () => {
  let dir: string;
  let project: string;
  let baseline: string;
  const writeApp = (text: string) => writeFileSync(join(project, "app.py"), text);
  const states = (report: JsonReport) =>
    report.findings.map((f) => `${f.id}@${f.location.line}:${f.baselineState}`).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-lint-baseline-"));
    project = join(dir, "project");
    baseline = join(dir, "baseline.json");
    mkdirSync(project);
    writeApp(HEAD + SECRET_FROM_ENV + SECURE_OFF + HTTPONLY_OFF);
    const first = await lint(["--json", "."], project);
    assert.equal(first.code, 1, first.stderr);
    writeFileSync(baseline, first.stdout);
    const ids = (JSON.parse(first.stdout) as JsonReport).findings.map((f) => f.id).sort();
    assert.deepEqual(ids, [
      "cookie-missing-httponly",
      "cookie-missing-secure",
      "cookie-name-fingerprint",
      "cookie-samesite-missing",
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("passes when nothing changed: every finding unchanged, none fixed", async () => {
    const run = await lint(["--json", "--baseline", baseline, "."], project);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(report.baseline, { new: 0, unchanged: 4, fixed: 0 });
  });

  it("fails on a new finding only, and lines added above old findings keep them unchanged", async () => {
    // Lines added above every old finding, and the secret replaced by a weak one.
    writeApp(`# app\n\n${HEAD}# settings\n${WEAK_SECRET}\n${SECURE_OFF}# more\n${HTTPONLY_OFF}`);
    const run = await lint(["--json", "--baseline", baseline, "."], project);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(states(report), [
      "cookie-missing-httponly@12:unchanged",
      "cookie-missing-secure@10:unchanged",
      "cookie-name-fingerprint@6:unchanged",
      "cookie-samesite-missing@6:unchanged",
      "session-secret-weak@8:new",
    ]);
    assert.deepEqual(report.baseline, { new: 1, unchanged: 4, fixed: 0 });
    assert.deepEqual(lintReportErrors(report), []);

    const pretty = await lint(["--baseline", baseline, "."], project);
    assert.equal(pretty.code, 1);
    assert.match(pretty.stdout, /Baseline: 1 new, 4 unchanged, 0 fixed/);
    assert.match(pretty.stdout, /CRITICAL \(1\) new\n {2}• [^\n]*\[session-secret-weak\]/);

    const sarif = await lint(["--sarif", "--baseline", baseline, "."], project);
    const log = JSON.parse(sarif.stdout);
    assert.deepEqual(sarifErrors(log), []);
    const byRule = Object.fromEntries(
      log.runs[0].results.map((r: { ruleId: string; baselineState: string }) => [
        r.ruleId,
        r.baselineState,
      ]),
    );
    assert.deepEqual(byRule, {
      "session-secret-weak": "new",
      "cookie-missing-secure": "unchanged",
      "cookie-missing-httponly": "unchanged",
      "cookie-samesite-missing": "unchanged",
      "cookie-name-fingerprint": "unchanged",
    });
  });

  it("lists a fixed finding with its file and passes", async () => {
    writeApp(`# moved\n${HEAD}${SECRET_FROM_ENV}${SECURE_OFF}`);
    const run = await lint(["--json", "--baseline", baseline, "."], project);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(lintReportErrors(report), []);
    assert.deepEqual(states(report), [
      "cookie-missing-secure@7:unchanged",
      "cookie-name-fingerprint@5:unchanged",
      "cookie-samesite-missing@5:unchanged",
    ]);
    assert.deepEqual(report.fixed, [
      {
        ...report.fixed?.[0],
        id: "cookie-missing-httponly",
        location: { file: "app.py", line: 7, column: 1 },
      },
    ]);
    const pretty = await lint(["--baseline", baseline, "."], project);
    assert.equal(pretty.code, 0);
    assert.match(pretty.stdout, /No new findings\./);
    assert.match(
      pretty.stdout,
      /FIXED[^\n]*\n {2}• high [^\n]*\[cookie-missing-httponly\] at app\.py:7/,
    );
    const sarif = JSON.parse(
      (await lint(["--sarif", "--baseline", baseline, "."], project)).stdout,
    );
    const absent = sarif.runs[0].results.find(
      (r: { baselineState: string }) => r.baselineState === "absent",
    );
    assert.equal(absent.ruleId, "cookie-missing-httponly");
    assert.equal(absent.locations[0].physicalLocation.region.startLine, 7);
  });

  it("refuses a baseline that is not a lint report, with a usage error", async () => {
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const big = file("big.json", "");
    truncateSync(big, MAX_BASELINE_BYTES + 1);
    const audit = JSON.stringify({
      schemaVersion: 1,
      target: "https://example.com",
      pages: { count: 1, urls: ["https://example.com/"] },
      findings: [{ id: "cookie-missing-secure", url: "https://example.com/", cookie: "sid" }],
    });
    const cases: [string, RegExp][] = [
      [
        file("audit.json", audit),
        /not a latchkey lint --json report: it is a latchkey audit report/,
      ],
      [
        file("urls.json", JSON.stringify({ findings: [{ id: "x", url: "https://a/" }] })),
        /findings\[0\] has no "location"/,
      ],
      [file("broken.json", "{ findings: "), /not JSON/],
      [file("array.json", "[]"), /not a JSON object/],
      [file("nofindings.json", "{}"), /no "findings" array/],
      [big, new RegExp(`larger than ${MAX_BASELINE_BYTES} bytes`)],
      ["/dev/zero", /not a regular file \(device\)/],
      [dir, /not a regular file \(directory\)/],
      [join(dir, "missing.json"), /cannot open \(ENOENT\)/],
    ];
    for (const [path, message] of cases) {
      const run = await lint(["--baseline", path, "."], project);
      assert.equal(run.code, 2, `${path}: ${run.stderr}`);
      assert.match(run.stderr, message, path);
      assert.match(run.stderr, /--baseline/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "a stack trace");
    }
  });
});

describe("applyBaseline with several findings of one fingerprint", () => {
  const finding = (line: number): Finding => ({
    id: "session-store-memory",
    severity: "high",
    title: "Sessions kept in process memory",
    evidence: "MemoryStore",
    fix: "Use a shared store.",
    location: { file: "src/app.ts", line, column: 1 },
  });
  const earlier = (lines: number[]) =>
    JSON.stringify({
      files: { scanned: 1, parsed: 1, unparsable: 0 },
      findings: lines.map((line) => ({
        id: "session-store-memory",
        location: { file: "src/app.ts", line },
      })),
    });

  it("matches them by count: one more than the baseline had is new, one fewer is fixed", () => {
    const two = applyBaseline(
      { target: ".", findings: [finding(30), finding(12)] },
      parseBaseline(earlier([10]), "lint"),
    );
    assert.deepEqual(
      two.findings.map((f) => [f.location?.line, f.baselineState]),
      [
        [30, "new"],
        [12, "unchanged"],
      ],
    );
    assert.deepEqual(two.fixed, []);
    const one = applyBaseline(
      { target: ".", findings: [finding(40)] },
      parseBaseline(earlier([10, 20]), "lint"),
    );
    assert.deepEqual(
      one.findings.map((f) => f.baselineState),
      ["unchanged"],
    );
    assert.deepEqual(
      one.fixed?.map((f) => f.location?.line),
      [20],
    );
  });

  it("leaves the line out of a lint fingerprint but keeps the file, rule and cookie", () => {
    const at = (file: string, line: number, cookie?: string) =>
      findingFingerprint({
        id: "cookie-missing-secure",
        ...(cookie ? { cookie } : {}),
        location: { file, line },
      });
    assert.equal(at("app.py", 4), at("app.py", 400));
    assert.notEqual(at("app.py", 4), at("other.py", 4));
    assert.notEqual(at("app.py", 4, "sid"), at("app.py", 4, "csrf"));
    assert.equal(at("src\\app.py", 1), at("src/app.py", 9));
  });
});
