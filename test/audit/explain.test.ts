// Severity that a reader can check: `latchkey audit --explain <id>`, the `why` line of every
// finding in each output format, and the skipped checks.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { explain } from "../../packages/latchkey-cli/src/audit/explain.ts";
import { bundledCandidates } from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import { findingIdsOf } from "../../packages/latchkey-cli/src/findings/catalogue.ts";
import {
  formatJson,
  formatPretty,
  formatSarif,
} from "../../packages/latchkey-cli/src/report/index.ts";
import { observations, response } from "./fixtures.ts";
import { runCli } from "./harness.ts";

describe("latchkey audit --explain", () => {
  it("prints the rule, standard, severity, how it is tested and every framework's fix", async () => {
    const run = await runCli(["audit", "--explain", "session-secret-weak"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^session-secret-weak: Session secret is well known or too short$/m);
    assert.match(run.stdout, /^standard {2}ASVS 5\.0 11\.2\.3$/m);
    assert.match(run.stdout, /^severity {2}critical typically .*architecture sets it/m);
    assert.match(run.stdout, /^tested {4}passive: the signature is checked against/m);
    assert.match(run.stdout, /^ {2}Flask: .*SECRET_KEY/m);
    assert.match(run.stdout, /^ {2}unknown framework: /m);
  });

  it("an unknown id, or one only lint reports, is a usage error (exit 2)", async () => {
    for (const id of ["session-secret-weakk", "session-store-memory"]) {
      const run = await runCli(["audit", "--explain", id]);
      assert.equal(run.status, 2, id);
      assert.match(run.stderr, /--explain: not a finding id latchkey audit reports/);
      assert.equal(run.stdout, "");
    }
  });

  it("every id the auditor reports can be explained", () => {
    for (const id of findingIdsOf("audit")) {
      const text = explain(id);
      assert.match(text, /^tested {4}\S/m, id);
      assert.match(text, /^fix$/m, id);
    }
  });
});

describe("why each finding has its severity, and what was skipped", () => {
  const target = "https://app.example/";
  const candidates = bundledCandidates();
  // express-session's signed id with the README's secret, and a non-session preference cookie.
  const { findings, skipped } = analyze(
    observations(target, [
      response(target, [
        "connect.sid=s%3AAbCdEfGhIjKlMnOpQrStUvWxYz012345.qxRcc1kRIExlJxkx0fX8gV9oNaEh9gyh3NXYGoh4kl4; Path=/; HttpOnly; Secure; SameSite=Lax",
        "theme=dark; Path=/",
      ]),
    ]),
    { candidates },
  );

  it("every finding carries a one-line reason", () => {
    assert.ok(findings.length > 0);
    for (const f of findings) {
      assert.ok(f.severityReason !== undefined && f.severityReason !== "", f.id);
      assert.ok(!f.severityReason.includes("\n"), f.id);
    }
    const theme = findings.find((f) => f.cookie === "theme" && f.id === "cookie-missing-secure");
    assert.match(theme?.severityReason ?? "", /theme is not a session cookie/);
  });

  it("JSON, SARIF and the terminal report show it; JSON and the terminal list skips", () => {
    const report = { target, findings, skipped };
    const json = JSON.parse(formatJson(report));
    assert.ok(json.findings.every((f: { severityReason?: string }) => f.severityReason));
    assert.deepEqual(
      json.skipped.map((s: { check: string }) => s.check),
      skipped.map((s) => s.check),
    );
    const sarif = JSON.parse(formatSarif(report, { name: "latchkey", version: "0" }));
    for (const r of sarif.runs[0].results) assert.ok(r.properties.severityReason, r.ruleId);
    const pretty = formatPretty(report, { color: false });
    assert.match(pretty, /^ {4}why {6}\S/m);
  });

  it("a passive skip names the cookie and the reason", () => {
    const report = {
      target,
      findings: [],
      skipped: [{ check: "session-secret-weak", cookie: "sid", reason: "no signature" }],
    };
    assert.match(
      formatPretty(report, { color: false }),
      /SKIPPED \(1\)\n {2}• session-secret-weak, cookie sid: no signature/,
    );
  });
});
