// docs/ci.md's GitHub Actions workflow, run locally: the YAML block is parsed, and every `run:`
// step is executed in order with bash as Actions runs it (`-e`, pipefail), in a checkout holding
// a Flask app with known findings. Substitutions, and only these: the app is started by the
// test (the "Start the app" step's job), `npm ci` is not run (this checkout is installed), and
// `npx latchkey-cli@…` runs this repository's CLI. The SARIF files must be written and valid
// 2.1.0, the JSON report valid for its schema, and each step must exit as docs/ci.md says.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type RunningApp, startPythonApp } from "../audit/harness.ts";
import { auditReportErrors } from "../helpers/report-schemas.ts";
import { sarifErrors } from "../helpers/sarif.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const doc = readFileSync(join(repo, "docs/ci.md"), "utf8");
const cliVersion = JSON.parse(
  readFileSync(join(repo, "packages/latchkey-cli/package.json"), "utf8"),
).version;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Workflow {
  permissions: Record<string, string>;
  jobs: Record<string, { env: Record<string, string>; steps: Step[] }>;
}

const workflow: Workflow = parse(/```yaml\n([\s\S]*?)```/.exec(doc)![1]!);
const job = Object.values(workflow.jobs)[0]!;
const baselineCommand = /```sh\n([\s\S]*?)```/.exec(doc)![1]!;

// `npx latchkey-cli@<version> …` becomes this repository's CLI; any other npx is an error, so the
// workflow cannot quietly depend on something the test does not provide.
const PRELUDE = `npx() {
  while [ "$1" = --yes ]; do shift; done
  case "$1" in
    latchkey-cli@${cliVersion}) shift; node --import "$LATCHKEY_TSX" "$LATCHKEY_CLI_SOURCE" "$@" ;;
    *) echo "npx $1: not provided by the test" >&2; return 127 ;;
  esac
}
`;

function bash(script: string, cwd: string, env: Record<string, string>) {
  const child = spawn(
    "bash",
    ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", PRELUDE + script],
    {
      cwd,
      env: {
        ...process.env,
        ...env,
        LATCHKEY_CLI_SOURCE: join(repo, "packages/latchkey-cli/src/cli.ts"),
        // Resolved here: the checkout is a temporary directory with no node_modules.
        LATCHKEY_TSX: import.meta.resolve("tsx"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  return new Promise<{ status: number | null; output: string }>((resolve) =>
    child.on("close", (status) => resolve({ status, output })),
  );
}

describe("docs/ci.md: the workflow's shape", () => {
  it("uploads both SARIF files with upload-sarif, even after a failed step", () => {
    assert.equal(workflow.permissions["security-events"], "write");
    const uploads = job.steps.filter((s) =>
      s.uses?.startsWith("github/codeql-action/upload-sarif@"),
    );
    assert.deepEqual(
      uploads.map((s) => s.with?.sarif_file),
      ["latchkey-audit.sarif", "latchkey-lint.sarif"],
    );
    assert.equal(new Set(uploads.map((s) => s.with?.category)).size, 2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
    for (const s of uploads) assert.equal(s.if, "${{ !cancelled() }}");
    const runs = job.steps.filter((s) => s.run !== undefined).map((s) => s.run!);
    // The uploaded SARIF has no baseline: code scanning shows every result as an alert, so the
    // baseline's fixed findings must not be in it; the baseline gates the build in its own step.
    assert.ok(runs.some((r) => /audit "\$APP_URL" --sarif > latchkey-audit\.sarif/.test(r)));
    assert.ok(
      runs.some((r) =>
        /audit "\$APP_URL" --json .*--baseline \.latchkey\/audit-baseline\.json/.test(r),
      ),
    );
    assert.ok(runs.some((r) => /lint \. --sarif > latchkey-lint\.sarif/.test(r)));
  });

  it("pins the latchkey-cli version this repository publishes", () => {
    assert.equal(job.env.LATCHKEY, `npx --yes latchkey-cli@${cliVersion}`);
    assert.match(
      baselineCommand,
      new RegExp(`npx latchkey-cli@${cliVersion.replaceAll(".", "\\.")} audit`),
    );
  });
});

describe("docs/ci.md: the workflow's steps, run locally", { timeout: 300_000 }, () => {
  let app: RunningApp;
  let checkout: string;
  let env: Record<string, string>;
  before(async () => {
    // The repository under test: the app's source (lint reads it) and the committed baseline.
    checkout = mkdtempSync(join(tmpdir(), "latchkey-ci-"));
    copyFileSync(join(repo, "test/fixtures/audit/apps/flask_default.py"), join(checkout, "app.py"));
    // In place of the "Start the app" step.
    app = await startPythonApp("flask_default.py");
    env = { ...job.env, APP_URL: app.url };
  });
  after(async () => {
    await app.stop();
    rmSync(checkout, { recursive: true, force: true });
  });

  /** Runs every run: step in order; their exit statuses by step name. */
  const runSteps = async (stepEnv: Record<string, string> = env) => {
    const statuses = new Map<string, number | null>();
    const outputs = new Map<string, string>();
    for (const step of job.steps) {
      if (step.run === undefined) continue;
      if (step.name === "Install dependencies" || step.name === "Start the app") continue;
      const { status, output } = await bash(step.run, checkout, stepEnv);
      statuses.set(step.name!, status);
      outputs.set(step.name!, output);
    }
    return { statuses, outputs };
  };
  const sarif = (file: string) => JSON.parse(readFileSync(join(checkout, file), "utf8"));

  it("the baseline command records the app's findings", async () => {
    const { status, output } = await bash(baselineCommand, checkout, env);
    assert.equal(status, 0, output);
    const baseline = JSON.parse(
      readFileSync(join(checkout, ".latchkey/audit-baseline.json"), "utf8"),
    );
    assert.deepEqual(auditReportErrors(baseline), []);
    assert.ok(baseline.findings.some((f: { severity: string }) => f.severity === "critical"));
  });

  const SARIF = "Audit the running app for code scanning";
  const GATE = "Audit against the baseline (new findings fail the build)";
  const LINT = "Lint the repository";

  it("with every finding in the baseline: the audit passes, the lint fails on the weak secret, both SARIF valid", async () => {
    const { statuses, outputs } = await runSteps();
    assert.deepEqual(
      Object.fromEntries(statuses),
      // The SARIF step passes with critical findings (they are the gate's business).
      { [SARIF]: 0, [GATE]: 0, [LINT]: 1 },
      JSON.stringify(Object.fromEntries(outputs)),
    );
    const audit = sarif("latchkey-audit.sarif");
    assert.deepEqual(sarifErrors(audit), []);
    const results = audit.runs[0].results as {
      baselineState?: string;
      message: { text: string };
    }[];
    assert.ok(results.length > 0);
    assert.ok(results.every((r) => r.baselineState === undefined));
    // Every audit result names its page's full URL (a dashboard cannot open a TARGET location).
    const missing = results.filter((r) => !r.message.text.includes(`on ${app.url}`));
    assert.deepEqual(missing, []);
    const lint = sarif("latchkey-lint.sarif");
    assert.deepEqual(sarifErrors(lint), []);
    const weak = lint.runs[0].results.find(
      (r: { ruleId: string }) => r.ruleId === "session-secret-weak",
    );
    assert.equal(weak.locations[0].physicalLocation.artifactLocation.uri, "app.py");
    assert.equal(weak.locations[0].physicalLocation.region.startLine, 9);
    const report = JSON.parse(readFileSync(join(checkout, "latchkey-audit.json"), "utf8"));
    assert.deepEqual(auditReportErrors(report), []);
    assert.deepEqual(report.baseline, { new: 0, unchanged: results.length, fixed: 0 });
    assert.match(readFileSync(join(checkout, "latchkey-audit.html"), "utf8"), /^<!doctype html>/);
  });

  it("a finding the baseline does not know fails the gate, and is the one new finding", async () => {
    const path = join(checkout, ".latchkey/audit-baseline.json");
    const full = readFileSync(path, "utf8");
    const baseline = JSON.parse(full);
    const dropped = baseline.findings.find((f: { severity: string }) => f.severity === "critical");
    baseline.findings = baseline.findings.filter((f: unknown) => f !== dropped);
    writeFileSync(path, JSON.stringify(baseline));
    try {
      const { statuses } = await runSteps();
      assert.equal(statuses.get(SARIF), 0);
      assert.equal(statuses.get(GATE), 1);
      const report = JSON.parse(readFileSync(join(checkout, "latchkey-audit.json"), "utf8"));
      assert.deepEqual(auditReportErrors(report), []);
      const fresh = report.findings.filter(
        (f: { baselineState: string }) => f.baselineState === "new",
      );
      assert.deepEqual(
        fresh.map((f: { id: string }) => f.id),
        [dropped.id],
      );
      // Later steps still run (if: !cancelled()), so the uploads have their files.
      assert.equal(statuses.get(LINT), 1);
      assert.deepEqual(sarifErrors(sarif("latchkey-audit.sarif")), []);
    } finally {
      writeFileSync(path, full);
    }
  });

  it("a missing baseline or an unreachable app fails the step (exit 2 is never a pass)", async () => {
    const moved = join(checkout, ".latchkey/audit-baseline.json");
    const text = readFileSync(moved, "utf8");
    rmSync(moved);
    try {
      const { statuses } = await runSteps();
      assert.equal(statuses.get(GATE), 2);
    } finally {
      writeFileSync(moved, text);
    }
    // Port 1 on loopback: nothing listens there.
    const { statuses } = await runSteps({ ...env, APP_URL: "http://127.0.0.1:1/" });
    // `|| [ $? -eq 1 ]` lets findings through, not an error.
    assert.equal(statuses.get(SARIF), 1);
    assert.equal(statuses.get(GATE), 2);
  });
});
