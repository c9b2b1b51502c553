// Audit SARIF as code-scanning dashboards need it: valid against the official SARIF 2.1.0 schema
// (test/fixtures/audit/sarif-2.1.0-rtm.5.schema.json, through test/helpers/sarif.ts), and beyond
// the schema what GitHub code scanning requires of an upload: a driver name and rules, and on
// every result a ruleId, a message and a location (it does not show a result without one). The
// page's full URL is in the message, since a dashboard cannot open a location under TARGET.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { Finding } from "../../packages/latchkey-cli/src/report/finding.ts";
import { formatSarif } from "../../packages/latchkey-cli/src/report/sarif.ts";
import { sarifErrors } from "../helpers/sarif.ts";

const tool = { name: "latchkey", version: "0.0.0-test" };
const finding = (extra: Partial<Finding>): Finding => ({
  id: "cookie-missing-httponly",
  severity: "high",
  title: "Session cookie readable by scripts",
  evidence: "Set-Cookie: sid=abcd…(32 chars); Path=/",
  fix: "Add HttpOnly.",
  ...extra,
});

interface Result {
  ruleId: string;
  message: { text: string };
  locations?: {
    physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } };
  }[];
}

describe("audit SARIF for code-scanning dashboards", () => {
  const findings: Finding[] = [
    finding({ url: "https://shop.example/account/settings?tab=2", cookie: "sid" }),
    finding({ id: "csp-missing", severity: "low", url: "https://shop.example/" }),
    // A site-wide finding with no page of its own.
    finding({ id: "hsts-missing", severity: "info", url: undefined }),
    // A page on another origin (a redirect target the crawl saw).
    finding({ id: "cache-control-missing", severity: "medium", url: "https://login.example/sso" }),
  ];
  const log = JSON.parse(formatSarif({ target: "https://shop.example/", findings }, tool));
  const run = log.runs[0];
  const results: Result[] = run.results;

  it("is valid SARIF 2.1.0", () => {
    assert.deepEqual(sarifErrors(log), []);
  });

  it("gives every result a rule, a message and a location", () => {
    assert.equal(run.tool.driver.name, "latchkey");
    const rules = new Set(run.tool.driver.rules.map((r: { id: string }) => r.id));
    assert.equal(results.length, findings.length);
    for (const r of results) {
      assert.ok(rules.has(r.ruleId), r.ruleId);
      assert.ok(r.message.text.length > 0);
      assert.equal(r.locations?.length, 1, r.ruleId);
    }
  });

  it("puts pages under TARGET, the target itself for a finding without a page", () => {
    const where = (id: string) =>
      results.find((r) => r.ruleId === id)!.locations![0]!.physicalLocation.artifactLocation;
    assert.deepEqual(where("cookie-missing-httponly"), {
      uri: "account/settings?tab=2",
      uriBaseId: "TARGET",
    });
    assert.deepEqual(where("csp-missing"), { uri: "./", uriBaseId: "TARGET" });
    assert.deepEqual(where("hsts-missing"), { uri: "./", uriBaseId: "TARGET" });
    assert.deepEqual(where("cache-control-missing"), { uri: "https://login.example/sso" });
    assert.equal(run.originalUriBaseIds.TARGET.uri, "https://shop.example/");
  });

  it("names the page's full URL and the cookie in the message", () => {
    const text = (id: string) => results.find((r) => r.ruleId === id)!.message.text;
    assert.match(
      text("cookie-missing-httponly"),
      /^Session cookie readable by scripts \(cookie sid, on https:\/\/shop\.example\/account\/settings\?tab=2\)\. Evidence: /,
    );
    assert.match(text("cache-control-missing"), /\(on https:\/\/login\.example\/sso\)/);
    assert.doesNotMatch(text("hsts-missing"), / on /);
  });

  it("lint results keep their file location and no URL", () => {
    const lint = JSON.parse(
      formatSarif(
        {
          target: ".",
          findings: [
            finding({ location: { file: "src/app.py", line: 3, column: 1 }, cookie: "session" }),
          ],
        },
        tool,
      ),
    );
    assert.deepEqual(sarifErrors(lint), []);
    const [r] = lint.runs[0].results as Result[];
    assert.deepEqual(r!.locations![0]!.physicalLocation.artifactLocation, {
      uri: "src/app.py",
      uriBaseId: "%SRCROOT%",
    });
    assert.match(r!.message.text, /\(cookie session\)\. Evidence/);
    assert.equal(lint.runs[0].originalUriBaseIds, undefined);
  });
});
