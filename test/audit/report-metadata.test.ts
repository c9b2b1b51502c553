// The audit --json report's run metadata: its shape (a JSON Schema for it, checked with Ajv),
// its values against a real crawl, and the progress line's totals.
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Ajv from "ajv-draft-04";
import { parseLoginDescription } from "../../packages/latchkey-cli/src/audit/login-description.ts";
import {
  plannedActiveChecks,
  progressLine,
} from "../../packages/latchkey-cli/src/audit/progress.ts";
import { cliVersion } from "../../packages/latchkey-cli/src/version.ts";
import { runCli } from "./harness.ts";

const severityCount = { type: "integer", minimum: 0 };
const auditReportSchema = {
  type: "object",
  required: [
    "tool",
    "target",
    "startedAt",
    "finishedAt",
    "framework",
    "pages",
    "counts",
    "findings",
    "skipped",
  ],
  additionalProperties: false,
  properties: {
    tool: {
      type: "object",
      required: ["name", "version"],
      additionalProperties: false,
      properties: { name: { enum: ["latchkey"] }, version: { type: "string", minLength: 1 } },
    },
    target: { type: "string" },
    startedAt: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$" },
    finishedAt: {
      type: "string",
      pattern: "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$",
    },
    framework: { type: "string", minLength: 1 },
    pages: {
      type: "object",
      required: ["count", "urls"],
      additionalProperties: false,
      properties: {
        count: { type: "integer", minimum: 1 },
        urls: { type: "array", items: { type: "string" }, maxItems: 100 },
      },
    },
    counts: {
      type: "object",
      required: ["critical", "high", "medium", "low", "info"],
      additionalProperties: false,
      properties: {
        critical: severityCount,
        high: severityCount,
        medium: severityCount,
        low: severityCount,
        info: severityCount,
      },
    },
    findings: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "severity", "title", "evidence", "fix"],
        properties: { severity: { enum: ["critical", "high", "medium", "low", "info"] } },
      },
    },
    skipped: {
      type: "array",
      items: { type: "object", required: ["check", "reason"] },
    },
    steps: { type: "array" },
  },
};
interface AuditJson {
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  framework: string;
  pages: { count: number; urls: string[] };
  counts: Record<string, number>;
  findings: { severity: string }[];
}
const validate = new Ajv.default({ allErrors: true, strict: false }).compile(auditReportSchema);

describe("audit --json: run metadata", () => {
  let server: Server;
  let url: string;
  before(async () => {
    // 130 linked pages: more than the 100 URLs the report lists.
    server = createServer((req, res) => {
      const links =
        req.url === "/" ? Array.from({ length: 130 }, (_, i) => `<a href="/p${i}">p</a>`) : [];
      res.writeHead(200, {
        "content-type": "text/html",
        "set-cookie": "connect.sid=s%3Aabcdefghijklmnopqrstuvwxyz012345.signature; Path=/",
      });
      res.end(`<!doctype html><html><body>${links.join(" ")}</body></html>`);
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("matches the documented schema, with counts, pages and times that fit the run", async () => {
    const before = Date.now();
    const run = await runCli([
      "audit",
      url,
      "--json",
      "--max-pages",
      "120",
      "--fail-on",
      "critical",
    ]);
    assert.equal(run.status, 0, run.stderr);
    const report: AuditJson = JSON.parse(run.stdout);
    assert.ok(validate(structuredClone(report)), JSON.stringify(validate.errors));
    assert.deepEqual(Object.keys(report).slice(0, 7), [
      "tool",
      "target",
      "startedAt",
      "finishedAt",
      "framework",
      "pages",
      "counts",
    ]);
    assert.equal(report.tool.version, cliVersion());
    assert.equal(report.framework, "Express (express-session)");
    assert.equal(report.pages.count, 120);
    assert.equal(report.pages.urls.length, 100);
    assert.equal(report.pages.urls[0], url);
    const started = Date.parse(report.startedAt);
    assert.ok(started >= before - 1000 && started <= Date.parse(report.finishedAt));
    for (const severity of ["critical", "high", "medium", "low", "info"])
      assert.equal(
        report.counts[severity],
        report.findings.filter((f) => f.severity === severity).length,
      );
    assert.ok(report.findings.length > 0);
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

  it("counts pages against the queue and checks against the plan", () => {
    const written: string[] = [];
    const line = progressLine((t) => written.push(t), plannedActiveChecks(description, false));
    line.page(2, 12, "http://127.0.0.1/a\u001b[31m");
    line.request(1, "login");
    line.request(2, "login");
    line.request(3, "session-cookie");
    assert.deepEqual(
      written.map((t) => t.replace("\r\u001b[2K", "")),
      [
        "page 3/12 http://127.0.0.1/a\\x1b[31m",
        "check 1/6 login · request 1",
        "check 1/6 login · request 2",
        "check 2/6 session-cookie · request 3",
      ],
    );
  });

  it("plans the CSRF probe and the idle probe only when they run", () => {
    assert.equal(plannedActiveChecks(description, true).length, 7);
    assert.ok(plannedActiveChecks(description, true).includes("idle-probe"));
    assert.ok(!plannedActiveChecks(description, false).includes("csrf-accepted"));
  });
});
