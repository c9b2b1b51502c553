// `latchkey audit` against the running demo, passive and with --login: nothing of medium or
// higher. The demo is what the README tells people to copy; it must pass our own auditor.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type JsonFinding, runCli, summary } from "../audit/harness.ts";
import { request } from "../helpers/http.ts";
import { startSnippet } from "../helpers/snippets.ts";

const USER = "auditor";
const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;
const SERIOUS = new Set(["medium", "high", "critical"]);

describe("latchkey audit against the demo", { timeout: 120_000 }, () => {
  let child: ChildProcess | undefined;
  let url = "";
  before(async () => {
    const started = await startSnippet("examples/demo/server.ts", {
      PORT: "0",
      DEMO_DB: join(mkdtempSync(join(tmpdir(), "latchkey-demo-audit-")), "demo.db"),
      SESSION_SECRET: randomBytes(32).toString("base64url"),
    });
    child = started.child;
    url = started.url;
    // The account the auditor logs in with.
    const form = await request(`${url}/signup`);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] as string;
    const preSession = (form.setCookies[0] as string).split(";")[0];
    const signup = await request(`${url}/signup`, {
      method: "POST",
      cookie: preSession,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: url },
      body: new URLSearchParams({
        _csrf: token,
        name: USER,
        email: "a@example.test",
        password: PASSWORD,
      }).toString(),
    });
    assert.equal(signup.status, 303);
  });
  after(() => child?.kill());

  it("passive: exit 0 with --fail-on medium; only notes and low findings", async () => {
    const run = await runCli(["audit", url, "--json", "--fail-on", "medium"]);
    const findings = (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings;
    assert.deepEqual(
      findings.filter((f) => SERIOUS.has(f.severity)),
      [],
      summary(findings).join("\n"),
    );
    assert.equal(run.status, 0, run.stderr);
  });

  it("active (--login): fixation, logout replay, adopted ids, CSRF and entropy all pass", async () => {
    const run = await runCli(
      [
        "audit",
        url,
        "--json",
        "--fail-on",
        "medium",
        "--login",
        "examples/demo/audit-login.json",
        "--samples",
        "20",
        "--rate",
        "100",
      ],
      { env: { AUDIT_USER: USER, AUDIT_PASSWORD: PASSWORD } },
    );
    assert.notEqual(run.status, 2, run.stderr);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; steps: unknown[] };
    assert.ok(report.steps.length > 10, "the active checks ran");
    assert.deepEqual(
      report.findings.filter((f) => SERIOUS.has(f.severity)),
      [],
      summary(report.findings).join("\n"),
    );
    assert.equal(run.status, 0);
    assert.ok(!run.stdout.includes(PASSWORD));
  });
});
