// --baseline: known findings (same id, cookie and normalised URL path) leave the report and the
// exit status; a new one still fails the build; a file that is not an audit report is exit 2.
import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { baselineKey, normalisedPath } from "../../packages/latchkey-cli/src/audit/baseline.ts";
import { sarifErrors } from "../helpers/sarif.ts";
import { type JsonFinding, runCli } from "./harness.ts";

interface Report {
  counts: Record<string, number>;
  baselined?: number;
  findings: (JsonFinding & { url?: string })[];
}

describe("audit --baseline", () => {
  let server: Server;
  let url: string;
  // Flipped by a test: the site gains a page that sets a cookie readable by scripts.
  let regressed = false;
  const dir = mkdtempSync(join(tmpdir(), "latchkey-baseline-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    server = createServer((req, res) => {
      const headers: Record<string, string> = { "content-type": "text/html" };
      if (req.url === "/") headers["set-cookie"] = "sid=Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU; Path=/";
      if (req.url === "/new" && regressed) headers["set-cookie"] = "prefs=compact; Path=/";
      res.writeHead(200, headers);
      res.end('<!doctype html><html><body><a href="/new">new</a></body></html>');
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const audit = async (...extra: string[]) => {
    const run = await runCli(["audit", url, "--json", "--fail-on", "low", ...extra]);
    assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
    return { status: run.status, report: JSON.parse(run.stdout) as Report };
  };

  it("leaves out every known finding and exits 0; a new one is reported and fails", async () => {
    regressed = false;
    const first = await audit();
    assert.equal(first.status, 1);
    assert.ok(first.report.findings.length >= 3);
    assert.equal(first.report.baselined, undefined);
    const baseline = file("baseline.json", JSON.stringify(first.report));

    const same = await audit("--baseline", baseline);
    assert.equal(same.status, 0);
    assert.deepEqual(same.report.findings, []);
    assert.equal(same.report.baselined, first.report.findings.length);
    assert.deepEqual(Object.values(same.report.counts), [0, 0, 0, 0, 0]);

    regressed = true;
    const worse = await audit("--baseline", baseline);
    assert.equal(worse.status, 1);
    assert.deepEqual(worse.report.findings.map((f) => `${f.id} ${f.cookie}`).sort(), [
      "cookie-missing-httponly prefs",
      "cookie-missing-secure prefs",
      "cookie-samesite-missing prefs",
    ]);
    assert.equal(worse.report.baselined, first.report.findings.length);
    regressed = false;
  });

  it("matches on the path alone: another origin, a query or a trailing slash still match", async () => {
    const first = await audit();
    const moved = first.report.findings.map((f) => ({
      ...f,
      url: f.url === undefined ? undefined : moveToStaging(f.url),
    }));
    const baseline = file("moved.json", JSON.stringify({ findings: moved }));
    const run = await audit("--baseline", baseline);
    assert.equal(run.status, 0);
    assert.deepEqual(run.report.findings, []);

    // Another cookie is another finding.
    const renamed = first.report.findings.map((f) => ({
      ...f,
      cookie: f.cookie && `${f.cookie}2`,
    }));
    const other = await audit(
      "--baseline",
      file("renamed.json", JSON.stringify({ findings: renamed })),
    );
    assert.equal(other.status, 1);
    assert.ok(other.report.findings.some((f) => f.cookie === "sid"));
  });

  it("says so in the terminal report and in SARIF (baselineState, valid 2.1.0)", async () => {
    const first = await audit();
    const baseline = file("pretty.json", JSON.stringify(first.report));
    const pretty = await runCli(["audit", url, "--baseline", baseline]);
    assert.equal(pretty.status, 0, pretty.stderr);
    assert.match(
      pretty.stdout,
      new RegExp(`${first.report.findings.length} known findings left out`),
    );
    const partial = file(
      "partial.json",
      JSON.stringify({ findings: first.report.findings.slice(1) }),
    );
    const sarif = await runCli(["audit", url, "--sarif", "--baseline", partial]);
    const log = JSON.parse(sarif.stdout);
    assert.deepEqual(sarifErrors(log), []);
    assert.equal(log.runs[0].results.length, 1);
    assert.equal(log.runs[0].results[0].baselineState, "new");
    assert.equal(log.runs[0].properties.baselined, first.report.findings.length - 1);
  });

  it("a file that is not an audit --json report is a usage error (exit 2)", async () => {
    const cases: [string, RegExp][] = [
      [file("broken.json", "{ findings: "), /not JSON/],
      [file("array.json", "[]"), /not a JSON object/],
      [file("sarif.json", JSON.stringify({ version: "2.1.0", runs: [] })), /no "findings" array/],
      [
        file("noid.json", JSON.stringify({ findings: [{ cookie: "sid" }] })),
        /findings\[0\] has no "id"/,
      ],
      [
        file("badurl.json", JSON.stringify({ findings: [{ id: "x", url: 3 }] })),
        /findings\[0\]\.url/,
      ],
      [join(dir, "missing.json"), /ENOENT/],
    ];
    for (const [path, message] of cases) {
      const run = await runCli(["audit", url, "--baseline", path]);
      assert.equal(run.status, 2, path);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /--baseline/);
    }
  });
});

// The same path on another origin, with a trailing slash and a query.
function moveToStaging(url: string): string {
  const { pathname } = new URL(url);
  return `https://staging.example.com${pathname === "/" ? "/" : `${pathname}/`}?from=ci#x`;
}

describe("baseline keys", () => {
  it("normalises the path of a finding's URL", () => {
    const cases: [string, string][] = [
      ["https://example.com/", "/"],
      ["https://example.com", "/"],
      ["http://127.0.0.1:8080/account/?tab=2#top", "/account"],
      ["https://example.com/a/./b/../c//", "/a/c"],
      ["https://example.com/%7Euser/%2F", "/~user/%2F"],
      ["https://example.com/Case", "/Case"],
    ];
    for (const [url, path] of cases) assert.equal(normalisedPath(url), path, url);
  });
  it("tells findings apart by id, cookie and path", () => {
    const a = baselineKey({
      id: "cookie-missing-httponly",
      cookie: "sid",
      url: "https://a.test/x",
    });
    assert.equal(
      a,
      baselineKey({ id: "cookie-missing-httponly", cookie: "sid", url: "http://b.test/x/?q" }),
    );
    assert.notEqual(
      a,
      baselineKey({ id: "cookie-missing-httponly", cookie: "sid2", url: "https://a.test/x" }),
    );
    assert.notEqual(
      a,
      baselineKey({ id: "cookie-missing-secure", cookie: "sid", url: "https://a.test/x" }),
    );
    assert.notEqual(
      a,
      baselineKey({ id: "cookie-missing-httponly", cookie: "sid", url: "https://a.test/y" }),
    );
    assert.notEqual(a, baselineKey({ id: "cookie-missing-httponly", url: "https://a.test/x" }));
  });
});
