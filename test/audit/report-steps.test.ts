// Active checks add `steps` to the report: JSON carries them after the findings, the terminal
// report lists them under their check, and hostile text in them cannot reach the terminal.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { Report } from "../../packages/latchkey-cli/src/report/finding.ts";
import { formatJson } from "../../packages/latchkey-cli/src/report/json.ts";
import { formatPretty } from "../../packages/latchkey-cli/src/report/pretty.ts";

const report: Report = {
  target: "http://127.0.0.1:5000/",
  findings: [],
  steps: [
    {
      check: "login",
      sent: "GET /account · no cookies",
      received: "302 → /login",
      note: "not logged in",
    },
    { check: "login", sent: "POST /login · form: username, password", received: "302 → /account" },
    { check: "logout", sent: "POST /logout", received: "200 · evil\u001b[2Jtext" },
  ],
};

describe("report steps", () => {
  it("JSON: steps after findings, absent without active checks", () => {
    const parsed = JSON.parse(formatJson(report));
    assert.deepEqual(Object.keys(parsed), ["target", "findings", "steps"]);
    assert.deepEqual(parsed.steps[0], report.steps![0]);
    assert.equal(parsed.steps[1].note, undefined);
    assert.deepEqual(Object.keys(JSON.parse(formatJson({ target: "x", findings: [] }))), [
      "target",
      "findings",
    ]);
  });

  it("terminal: grouped under their check, one line each, control characters shown escaped", () => {
    const text = formatPretty(report, { color: false });
    assert.match(text, /STEPS of the active checks/);
    assert.match(
      text,
      / {2}login\n {4}→ GET \/account · no cookies\n {4}← 302 → \/login\n {6}not logged in\n {4}→ POST/,
    );
    assert.match(text, / {2}logout\n {4}→ POST \/logout\n {4}← 200 · evil\\x1b\[2Jtext/);
    assert.ok(!text.includes("\u001b"));
  });
});
