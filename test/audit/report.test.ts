import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import { sarifErrors } from "../helpers/sarif.ts";

const ESC = String.fromCharCode(27);

import type { Finding } from "../../packages/latchkey-cli/src/report/index.ts";
import {
  exitCodeFor,
  formatJson,
  formatPretty,
  formatSarif,
  parseSeverity,
  SEVERITIES,
  severityAtLeast,
} from "../../packages/latchkey-cli/src/report/index.ts";

const schema = JSON.parse(
  readFileSync(new URL("../fixtures/audit/sarif-2.1.0-rtm.5.schema.json", import.meta.url), "utf8"),
);
// The official schema has one language-tag pattern that is not valid in unicode mode.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
const validateSarif = ajv.compile(schema);

const auditFindings: Finding[] = [
  {
    id: "cookie-samesite-missing",
    severity: "medium",
    title: "Session cookie without SameSite",
    url: "http://127.0.0.1:5000/",
    cookie: "session",
    evidence: "Set-Cookie: session=eyJ1…(92 chars); HttpOnly; Path=/",
    standard: "ASVS 5.0 3.3.2",
    fix: "Set SESSION_COOKIE_SAMESITE = 'Lax' in the Flask config.",
  },
  {
    id: "cookie-missing-httponly",
    severity: "high",
    title: "Session cookie readable by scripts",
    url: "http://127.0.0.1:5000/",
    cookie: "sid",
    evidence: "Set-Cookie: sid=abcd…(32 chars); Path=/",
    standard: "ASVS 5.0 3.3.4",
    fix: "Set cookie.httpOnly: true.",
  },
  {
    id: "hsts-missing",
    severity: "info",
    title: "No Strict-Transport-Security header",
    url: "http://127.0.0.1:5000/",
    evidence: "no Strict-Transport-Security header",
    fix: "Serve over HTTPS and send Strict-Transport-Security: max-age=63072000; includeSubDomains",
  },
];
const lintFinding: Finding = {
  id: "session-secret-weak",
  severity: "critical",
  title: "Well-known session secret",
  evidence: 'secret: "keyb…" (12 chars)',
  fix: "Load the secret from the environment.",
  location: { file: "src/app.ts", line: 12, column: 5, endLine: 12, endColumn: 30 },
};

describe("severity helpers", () => {
  it("orders severities ascending", () => {
    assert.deepEqual(SEVERITIES, ["info", "low", "medium", "high", "critical"]);
  });
  it("compares severities", () => {
    const cases: [
      Parameters<typeof severityAtLeast>[0],
      Parameters<typeof severityAtLeast>[1],
      boolean,
    ][] = [
      ["high", "high", true],
      ["critical", "high", true],
      ["medium", "high", false],
      ["info", "info", true],
      ["info", "low", false],
    ];
    for (const [s, min, expected] of cases)
      assert.equal(severityAtLeast(s, min), expected, `${s} ≥ ${min}`);
  });
  it("parses severities case-insensitively and rejects unknown names", () => {
    assert.equal(parseSeverity("HIGH"), "high");
    assert.equal(parseSeverity(" low "), "low");
    assert.equal(parseSeverity("severe"), undefined);
    assert.equal(parseSeverity(""), undefined);
  });
});

describe("exitCodeFor", () => {
  it("is 1 when a finding is at or above --fail-on, else 0", () => {
    assert.equal(exitCodeFor(auditFindings, "high"), 1);
    assert.equal(exitCodeFor(auditFindings, "critical"), 0);
    assert.equal(exitCodeFor([], "info"), 0);
    assert.equal(exitCodeFor(auditFindings, "info"), 1);
  });
});

describe("formatJson", () => {
  it("prints the documented shape, most severe first, with no value for absent keys", () => {
    const parsed = JSON.parse(
      formatJson({ target: "http://127.0.0.1:5000/", findings: auditFindings }),
    );
    assert.equal(parsed.target, "http://127.0.0.1:5000/");
    assert.deepEqual(
      parsed.findings.map((f: Finding) => f.id),
      ["cookie-missing-httponly", "cookie-samesite-missing", "hsts-missing"],
    );
    assert.deepEqual(Object.keys(parsed.findings[0]), [
      "id",
      "severity",
      "title",
      "url",
      "cookie",
      "evidence",
      "standard",
      "fix",
    ]);
    assert.equal("cookie" in parsed.findings[2], false);
  });
});

describe("formatSarif", () => {
  const tool = {
    name: "latchkey",
    version: "0.1.0",
    informationUri: "https://example.com/latchkey",
  };

  it("validates against the official SARIF 2.1.0 schema (audit findings)", () => {
    const log = JSON.parse(
      formatSarif({ target: "http://127.0.0.1:5000/", findings: auditFindings }, tool),
    );
    assert.equal(validateSarif(log), true, JSON.stringify(validateSarif.errors, null, 2));
    const run = log.runs[0];
    assert.deepEqual(
      run.tool.driver.rules.map((r: { id: string }) => r.id),
      ["cookie-missing-httponly", "cookie-samesite-missing", "hsts-missing"],
    );
    assert.deepEqual(
      run.results.map((r: { level: string }) => r.level),
      ["error", "warning", "note"],
    );
    for (const r of run.results) {
      assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
      assert.deepEqual(r.locations[0].physicalLocation.artifactLocation, {
        uri: "./",
        uriBaseId: "TARGET",
      });
    }
    assert.deepEqual(run.originalUriBaseIds.TARGET.uri, "http://127.0.0.1:5000/");
  });

  it("puts pages relative to the target's origin, so runs on other ports fingerprint alike", () => {
    const at = (origin: string) =>
      auditFindings.map((f, i) => ({
        ...f,
        url: [`${origin}/`, `${origin}/account/settings?tab=2`, "https://cdn.example.net/x.js"][i]!,
      }));
    const logs = ["http://127.0.0.1:5000", "https://staging.example.com:8443"].map((origin) =>
      JSON.parse(formatSarif({ target: `${origin}/app`, findings: at(origin) }, tool)),
    );
    for (const log of logs) assert.deepEqual(sarifErrors(log), []);
    const [local, staging] = logs.map((log) => log.runs[0]);
    assert.deepEqual(staging.originalUriBaseIds, {
      TARGET: {
        uri: "https://staging.example.com:8443/",
        description: { text: "The audited site's origin" },
      },
    });
    const artifacts = (run: {
      results: { locations: { physicalLocation: { artifactLocation: unknown } }[] }[];
    }) => run.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation);
    // Sorted most severe first: the high finding is auditFindings[1] (/account/settings).
    assert.deepEqual(artifacts(staging), [
      { uri: "account/settings?tab=2", uriBaseId: "TARGET" },
      { uri: "./", uriBaseId: "TARGET" },
      { uri: "https://cdn.example.net/x.js" },
    ]);
    assert.deepEqual(artifacts(local), artifacts(staging));
    const prints = (run: { results: { partialFingerprints: unknown }[] }) =>
      run.results.map((r) => r.partialFingerprints);
    assert.deepEqual(prints(local), prints(staging));
  });

  it("validates with source locations and with no findings", () => {
    for (const findings of [[lintFinding], []]) {
      const log = JSON.parse(
        formatSarif({ target: "src", findings }, { name: "latchkey", version: "0.1.0" }),
      );
      assert.equal(validateSarif(log), true, JSON.stringify(validateSarif.errors, null, 2));
      assert.equal(log.runs[0].originalUriBaseIds, undefined);
    }
    const log = JSON.parse(formatSarif({ target: "src", findings: [lintFinding] }, tool));
    assert.deepEqual(log.runs[0].results[0].locations[0].physicalLocation, {
      artifactLocation: { uri: "src/app.ts", uriBaseId: "%SRCROOT%" },
      region: { startLine: 12, startColumn: 5, endLine: 12, endColumn: 30 },
    });
    assert.equal(log.runs[0].tool.driver.rules[0].properties["security-severity"], "9.5");
  });

  it("the schema really rejects a malformed log (the validator is not vacuous)", () => {
    assert.equal(validateSarif({ version: "2.1.0", runs: [{ results: [] }] }), false);
  });
});

describe("formatPretty", () => {
  it("groups by severity, most severe first, with evidence and fix", () => {
    const text = formatPretty(
      { target: "http://127.0.0.1:5000/", findings: [...auditFindings, lintFinding] },
      { color: false },
    );
    const order = ["CRITICAL (1)", "HIGH (1)", "MEDIUM (1)", "INFO (1)"].map((h) =>
      text.indexOf(h),
    );
    assert.ok(
      order.every((i) => i >= 0),
      text,
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.match(text, /4 findings: 1 critical, 1 high, 1 medium, 1 info/);
    assert.match(text, /src\/app\.ts:12:5/);
    assert.match(text, /fix +Set SESSION_COOKIE_SAMESITE = 'Lax'/);
    assert.equal(text.includes(ESC), false);
  });
  it("says so when nothing was found, and colours only on request", () => {
    assert.match(formatPretty({ target: "x", findings: [] }, { color: false }), /No findings\./);
    assert.ok(
      formatPretty({ target: "x", findings: auditFindings }, { color: true }).includes(ESC),
    );
  });
  it("strips terminal escapes from evidence", () => {
    const hostile = { ...auditFindings[0]!, evidence: `a${ESC}[2Jb\nc` };
    assert.doesNotMatch(
      formatPretty({ target: "x", findings: [hostile] }, { color: false }),
      new RegExp(`${ESC}|b\\nc`),
    );
  });
});
