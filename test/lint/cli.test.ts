// `latchkey lint` as a real process: exit codes, the three output formats, suppression comments,
// .gitignore and the folders that are never linted.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SEVERITIES, type Severity } from "../../packages/latchkey-cli/src/report/finding.ts";
import { sarifErrors } from "../helpers/sarif.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
// Resolved here so the CLI also starts from a temporary project directory.
const tsxLoader = import.meta.resolve("tsx");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lint(args: string[], cwd = repoRoot): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", tsxLoader, join(repoRoot, "packages/latchkey-cli/src/cli.ts"), "lint", ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonFinding {
  id: string;
  severity: string;
  evidence: string;
  fix: string;
  location: { file: string; line: number; column: number };
}

function findingsOf(run: Run): JsonFinding[] {
  return (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings;
}

describe("latchkey lint (CLI)", () => {
  it("exits 1 and prints file:line:column with the fix when a finding reaches --fail-on (default high)", async () => {
    const run = await lint(["test/fixtures/lint/flask/insecure_app.py"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /test\/fixtures\/lint\/flask\/insecure_app\.py:15:1/);
    assert.match(run.stdout, /Set SESSION_COOKIE_SECURE = True/);
    assert.match(run.stdout, /\[cookie-missing-secure\]/);
    assert.ok(
      !run.stdout.includes("a-very-long-but-hard-coded-secret-value-1234"),
      "secret printed",
    );
    assert.match(run.stderr, /1 files scanned, 1 parsed/);
  });

  it("exits 0 when nothing reaches --fail-on", async () => {
    const clean = await lint(["test/fixtures/lint/latchkey/good.ts"]);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, /No findings/);
    // res_cookie.ts has medium findings at most.
    assert.equal((await lint(["test/fixtures/lint/express/res_cookie.ts"])).code, 0);
    assert.equal(
      (await lint(["test/fixtures/lint/express/res_cookie.ts", "--fail-on", "medium"])).code,
      1,
    );
    assert.equal(
      (await lint(["test/fixtures/lint/flask/insecure_app.py", "--fail-on", "CRITICAL"])).code,
      0,
    );
  });

  it("exits 2 on usage errors", async () => {
    const cases = [
      ["--fail-on", "severe"],
      ["--json", "--sarif"],
      ["--no-such-option"],
      ["test/fixtures/lint/does-not-exist"],
    ];
    const runs = await Promise.all(cases.map((args) => lint(args)));
    runs.forEach((run, i) => {
      assert.equal(run.code, 2, `${cases[i]!.join(" ")}: ${run.stdout}`);
      assert.match(run.stderr, /Usage: latchkey lint/);
    });
  });

  it("--json prints the documented shape with source locations", async () => {
    const run = await lint(["test/fixtures/lint/express/docs_example.js", "--json"]);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { target: string; findings: JsonFinding[] };
    assert.equal(report.target, "test/fixtures/lint/express/docs_example.js");
    const text = readFileSync(join(repoRoot, report.target), "utf8");
    const expected = [...text.matchAll(/expect: (\S+ \S+)/g)].map((m) => m[1]);
    const actual = report.findings.map((f) => `${f.id}@${f.location.line} ${f.severity}`);
    assert.deepEqual([...actual].sort(), expected.sort());
    // Most severe first.
    const ranks = report.findings.map((f) => SEVERITIES.indexOf(f.severity as Severity));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => b - a),
    );
    assert.equal(report.findings[0]?.severity, "critical");
    for (const f of report.findings) {
      assert.equal(f.location.file, "test/fixtures/lint/express/docs_example.js");
      assert.ok(f.fix.length > 0);
    }
  });

  it("--sarif validates against the SARIF 2.1.0 schema, with physical locations", async () => {
    const run = await lint(["test/fixtures/lint", "--sarif"]);
    assert.equal(run.code, 1);
    const log = JSON.parse(run.stdout);
    assert.deepEqual(sarifErrors(log), []);
    const results = log.runs[0].results as Array<{
      ruleId: string;
      locations: Array<{
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId: string };
          region: { startLine: number; startColumn: number };
        };
      }>;
    }>;
    assert.ok(results.length > 50);
    for (const r of results) {
      const physical = r.locations[0]!.physicalLocation;
      assert.match(physical.artifactLocation.uri, /^test\/fixtures\/lint\//);
      assert.equal(physical.artifactLocation.uriBaseId, "%SRCROOT%");
      assert.ok(physical.region.startLine >= 1 && physical.region.startColumn >= 1);
    }
    const webhook = results.find(
      (r) =>
        r.ruleId === "csrf-exempt-view" &&
        r.locations[0]!.physicalLocation.artifactLocation.uri.endsWith("wtf_views.py"),
    );
    assert.ok(webhook, "the Flask-WTF exemption is among the results");
    assert.equal(webhook.locations[0]!.physicalLocation.region.startLine, 12);
  });

  it("lints a test file when it is named explicitly, but skips test folders when walking", async () => {
    const named = await lint(["test/fixtures/lint/express/__tests__/session.test.js", "--json"]);
    assert.ok(findingsOf(named).some((f) => f.id === "cookie-missing-secure"));
    const walked = await lint(["test/fixtures/lint/express", "--json"]);
    assert.ok(!findingsOf(walked).some((f) => f.location.file.includes("__tests__")));
  });
});

describe("latchkey lint on a project tree", () => {
  let project: string;
  const insecureExpress = (comment = "") =>
    `const session = require("express-session");\napp.use(session({ store, secret: process.env.S, name: "__Host-x", cookie: { secure: false, sameSite: "lax", maxAge: 3600000 } }));${comment}\n`;

  before(() => {
    project = mkdtempSync(join(tmpdir(), "latchkey-lint-"));
    const files: Record<string, string> = {
      ".git/HEAD": "ref: refs/heads/main\n",
      ".gitignore": "generated/\n*.local.js\n",
      "app.js": insecureExpress(),
      "suppressed.js": insecureExpress(" // latchkey: ignore cookie-missing-secure"),
      "bare.js": insecureExpress(" // latchkey: ignore"),
      "wrong-rule.js": insecureExpress(" // latchkey: ignore cookie-missing-httponly"),
      "above.py":
        "# latchkey: ignore cookie-missing-secure\nSESSION_COOKIE_SECURE = False\nSESSION_COOKIE_HTTPONLY = False\n",
      "string.py":
        'NOTE = "# latchkey: ignore cookie-missing-secure"\nSESSION_COOKIE_SECURE = False\n',
      "generated/app.js": insecureExpress(),
      "config.local.js": insecureExpress(),
      "sub/.gitignore": "private.js\n",
      "sub/private.js": insecureExpress(),
      "sub/public.js": insecureExpress(),
      "node_modules/pkg/index.js": insecureExpress(),
      "venv/lib/python3.11/site-packages/flask_app.py": "SESSION_COOKIE_SECURE = False\n",
      ".venv/lib/settings.py": "SESSION_COOKIE_SECURE = False\n",
      "env311/pyvenv.cfg": "home = /usr/bin\n",
      "env311/lib/settings.py": "SESSION_COOKIE_SECURE = False\n",
      "dist/app.js": insecureExpress(),
      "build/app.js": insecureExpress(),
      "types.d.ts": "declare const session: { secure: false };\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it("honours .gitignore (root and nested) and skips dependencies, virtualenvs and build output", async () => {
    const run = await lint([".", "--json"], project);
    const files = [...new Set(findingsOf(run).map((f) => f.location.file))].sort();
    assert.deepEqual(files, [
      "above.py",
      "app.js",
      "bare.js",
      "string.py",
      "sub/public.js",
      "wrong-rule.js",
    ]);
  });

  it("lints a directory the repository ignores when it is named explicitly", async () => {
    const files = findingsOf(await lint(["generated", "--json"], project)).map(
      (f) => f.location.file,
    );
    assert.deepEqual([...new Set(files)], ["generated/app.js"]);
  });

  it("a suppression comment silences only the rule it names, on its line or the line below", async () => {
    const findings = findingsOf(await lint([".", "--json"], project));
    const ids = (file: string) =>
      findings
        .filter((f) => f.location.file === file)
        .map((f) => `${f.id}@${f.location.line}`)
        .sort();
    assert.deepEqual(ids("app.js"), ["cookie-missing-secure@2"]);
    assert.deepEqual(ids("suppressed.js"), []);
    assert.deepEqual(ids("bare.js"), ["cookie-missing-secure@2"]);
    assert.deepEqual(ids("wrong-rule.js"), ["cookie-missing-secure@2"]);
    assert.deepEqual(ids("above.py"), ["cookie-missing-httponly@3"]);
    // A directive inside a string is not a comment.
    assert.deepEqual(ids("string.py"), ["cookie-missing-secure@2"]);
  });

  it("says how many findings were suppressed", async () => {
    const run = await lint(["."], project);
    assert.match(run.stderr, /2 suppressed/);
  });
});
