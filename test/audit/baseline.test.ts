// --baseline: every finding is marked new or unchanged (same fingerprint: id, cookie and
// normalised URL path), only new ones count for the exit status, the baseline's findings that
// are gone are listed as fixed, in JSON, the terminal report, HTML and SARIF (baselineState
// new/unchanged/absent, valid 2.1.0). Fingerprints are stable across runs, and changing one
// cookie's flags changes exactly the findings about those flags.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  findingFingerprint,
  normalisedPath,
} from "../../packages/latchkey-cli/src/report/fingerprint.ts";
import { sarifErrors } from "../helpers/sarif.ts";
import { type JsonFinding, runCli } from "./harness.ts";

type Finding = JsonFinding & { url?: string; fingerprint: string; baselineState?: string };
interface Report {
  counts: Record<string, number>;
  baseline?: { new: number; unchanged: number; fixed: number };
  findings: Finding[];
  fixed?: { id: string; cookie?: string; fingerprint: string }[];
}

const key = (f: { id: string; cookie?: string }) => `${f.id} ${f.cookie ?? "-"}`;

describe("audit --baseline", () => {
  let server: Server;
  let url: string;
  // What the site's session cookie carries; tests change it between runs.
  let sidAttributes = "Path=/";
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
      if (req.url === "/")
        headers["set-cookie"] = `sid=Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU; ${sidAttributes}`;
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
  const reset = () => {
    sidAttributes = "Path=/";
    regressed = false;
  };

  const audit = async (...extra: string[]) => {
    const run = await runCli(["audit", url, "--json", "--fail-on", "low", ...extra]);
    assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
    return { status: run.status, report: JSON.parse(run.stdout) as Report };
  };

  it("gives a finding the same fingerprint in every run", async () => {
    reset();
    const [a, b] = [await audit(), await audit()];
    const prints = (r: Report) => r.findings.map((f) => `${key(f)} ${f.fingerprint}`).sort();
    assert.ok(a.report.findings.length >= 4);
    assert.deepEqual(prints(a.report), prints(b.report));
    assert.equal(
      new Set(a.report.findings.map((f) => f.fingerprint)).size,
      a.report.findings.length,
    );
  });

  it("changing the cookie's flags changes exactly the findings about them", async () => {
    reset();
    const first = await audit();
    const baseline = file("flags.json", JSON.stringify(first.report));
    // HttpOnly added: its finding is fixed. SameSite=None without Secure: the missing-SameSite
    // finding is fixed and a new one appears. Nothing else about sid changes.
    sidAttributes = "Path=/; HttpOnly; SameSite=None";
    const after = await audit("--baseline", baseline);
    const state = (s: string) =>
      after.report.findings.filter((f) => f.baselineState === s).map(key);
    assert.deepEqual(after.report.fixed?.map(key).sort(), [
      "cookie-missing-httponly sid",
      "cookie-samesite-missing sid",
    ]);
    assert.deepEqual(state("new"), ["cookie-samesite-none-insecure sid"]);
    const unchanged = first.report.findings
      .map(key)
      .filter((k) => !["cookie-missing-httponly sid", "cookie-samesite-missing sid"].includes(k));
    assert.deepEqual(state("unchanged").sort(), unchanged.sort());
    // An unchanged finding keeps its fingerprint; a fixed one is listed with the baseline's.
    const before = new Map(first.report.findings.map((f) => [key(f), f.fingerprint]));
    for (const f of after.report.findings.filter((f) => f.baselineState === "unchanged"))
      assert.equal(f.fingerprint, before.get(key(f)), key(f));
    for (const f of after.report.fixed ?? []) assert.equal(f.fingerprint, before.get(key(f)));
    assert.deepEqual(after.report.baseline, {
      new: 1,
      unchanged: unchanged.length,
      fixed: 2,
    });
    // The new finding is high: the build fails on it, and only on it.
    assert.equal(after.status, 1);
  });

  it("only new findings count for the exit status", async () => {
    reset();
    const first = await audit();
    assert.equal(first.status, 1);
    const baseline = file("baseline.json", JSON.stringify(first.report));

    const same = await audit("--baseline", baseline);
    assert.equal(same.status, 0);
    assert.equal(same.report.findings.length, first.report.findings.length);
    assert.ok(same.report.findings.every((f) => f.baselineState === "unchanged"));
    assert.deepEqual(same.report.fixed, []);
    // counts are of every finding: the baseline changes what fails, not what is there.
    assert.deepEqual(same.report.counts, first.report.counts);

    regressed = true;
    const worse = await audit("--baseline", baseline);
    assert.equal(worse.status, 1);
    assert.deepEqual(
      worse.report.findings
        .filter((f) => f.baselineState === "new")
        .map(key)
        .sort(),
      [
        "cookie-missing-httponly prefs",
        "cookie-missing-secure prefs",
        "cookie-samesite-missing prefs",
      ],
    );
    regressed = false;
  });

  it("matches on the path alone: another origin, a query or a trailing slash still match", async () => {
    reset();
    const first = await audit();
    const moved = first.report.findings.map((f) => ({
      ...f,
      url: f.url === undefined ? undefined : moveToStaging(f.url),
      fingerprint: undefined,
    }));
    const run = await audit("--baseline", file("moved.json", JSON.stringify({ findings: moved })));
    assert.equal(run.status, 0);
    assert.ok(run.report.findings.every((f) => f.baselineState === "unchanged"));

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
    assert.ok(other.report.findings.some((f) => f.cookie === "sid" && f.baselineState === "new"));
    assert.ok(other.report.fixed?.some((f) => f.cookie === "sid2"));
  });

  it("the terminal report shows new findings in full, then unchanged and fixed ones", async () => {
    reset();
    const first = await audit();
    const baseline = file("pretty.json", JSON.stringify(first.report));
    sidAttributes = "Path=/; HttpOnly";
    regressed = true;
    const pretty = await runCli(["audit", url, "--fail-on", "low", "--baseline", baseline]);
    reset();
    assert.equal(pretty.status, 1, pretty.stderr);
    const unchanged = first.report.findings.length - 1;
    assert.match(pretty.stdout, new RegExp(`Baseline: 3 new, ${unchanged} unchanged, 1 fixed`));
    assert.match(pretty.stdout, /^3 new findings: /m);
    const [newPart, rest] = pretty.stdout.split(/^UNCHANGED \(in the baseline\)/m);
    assert.ok(rest !== undefined, pretty.stdout);
    assert.match(newPart!, /cookie prefs/);
    assert.doesNotMatch(newPart!, /cookie sid/);
    const [unchangedPart, fixedPart] = rest.split(/^FIXED \(in the baseline, not seen now\)/m);
    assert.match(unchangedPart!, new RegExp(`^ \\(${unchanged}\\)`));
    assert.match(
      fixedPart!,
      /^ \(1\)\n {2}• high .*\[cookie-missing-httponly\] at http:\S+\/, cookie sid$/m,
    );
  });

  it("HTML marks new findings and lists the fixed ones", async () => {
    reset();
    const first = await audit();
    const baseline = file("html.json", JSON.stringify(first.report));
    sidAttributes = "Path=/; HttpOnly";
    regressed = true;
    const html = join(dir, "report.html");
    const run = await runCli([
      "audit",
      url,
      "--json",
      "--fail-on",
      "low",
      "--baseline",
      baseline,
      "--html",
      html,
    ]);
    reset();
    assert.equal(run.status, 1, run.stderr);
    const page = readFileSync(html, "utf8");
    assert.equal(page.match(/data-baseline="new"/g)?.length, 3);
    assert.equal(
      page.match(/data-baseline="unchanged"/g)?.length,
      first.report.findings.length - 1,
    );
    assert.match(page, /<h2>Fixed since the baseline \(1\)<\/h2>/);
    assert.match(page, /<ul id="fixed" class="fixed"><li data-id="cookie-missing-httponly">/);
    assert.match(page, /3 new, \d+ unchanged, 1 fixed since the baseline/);
  });

  it("SARIF: baselineState new, unchanged and absent (fixed), valid 2.1.0", async () => {
    reset();
    const first = await audit();
    const baseline = file("sarif.json", JSON.stringify(first.report));
    sidAttributes = "Path=/; HttpOnly";
    regressed = true;
    const sarif = await runCli([
      "audit",
      url,
      "--sarif",
      "--fail-on",
      "low",
      "--baseline",
      baseline,
    ]);
    reset();
    assert.equal(sarif.status, 1, sarif.stderr);
    const log = JSON.parse(sarif.stdout);
    assert.deepEqual(sarifErrors(log), []);
    const results: {
      ruleId: string;
      baselineState: string;
      kind?: string;
      level: string;
      partialFingerprints: Record<string, string>;
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string } } }[];
    }[] = log.runs[0].results;
    const byState = (s: string) => results.filter((r) => r.baselineState === s);
    assert.equal(byState("new").length, 3);
    assert.equal(byState("unchanged").length, first.report.findings.length - 1);
    const [absent, ...more] = byState("absent");
    assert.equal(more.length, 0);
    assert.equal(absent!.ruleId, "cookie-missing-httponly");
    assert.equal(absent!.kind, "pass");
    assert.equal(absent!.level, "none");
    assert.deepEqual(absent!.locations[0]!.physicalLocation.artifactLocation, {
      uri: "./",
      uriBaseId: "TARGET",
    });
    // The SARIF fingerprint is the JSON report's.
    const httponly = first.report.findings.find((f) => key(f) === "cookie-missing-httponly sid");
    assert.equal(absent!.partialFingerprints["latchkeyFinding/v2"], httponly!.fingerprint);
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

describe("fingerprints", () => {
  it("normalise the path of a finding's URL", () => {
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

  it("tell findings apart by id, cookie and place, and nothing else", () => {
    const a = findingFingerprint({
      id: "cookie-missing-httponly",
      cookie: "sid",
      url: "https://a.test/x",
    });
    assert.match(a, /^[0-9a-f]{32}$/);
    const same = { id: "cookie-missing-httponly", cookie: "sid", url: "http://b.test/x/?q" };
    assert.equal(a, findingFingerprint(same));
    const others = [
      { id: "cookie-missing-httponly", cookie: "sid2", url: "https://a.test/x" },
      { id: "cookie-missing-secure", cookie: "sid", url: "https://a.test/x" },
      { id: "cookie-missing-httponly", cookie: "sid", url: "https://a.test/y" },
      { id: "cookie-missing-httponly", url: "https://a.test/x" },
      // A lint finding in a file called like the page is another finding.
      { id: "cookie-missing-httponly", cookie: "sid", location: { file: "/x", line: 1 } },
    ];
    for (const o of others) assert.notEqual(findingFingerprint(o), a, JSON.stringify(o));
    const lint = { id: "session-secret-weak", location: { file: "app.py", line: 3 } };
    assert.equal(
      findingFingerprint(lint),
      findingFingerprint({ ...lint, location: { file: "app.py", line: 3 } }),
    );
    // Not the line: lines added above a known lint finding must not make it new.
    assert.equal(
      findingFingerprint(lint),
      findingFingerprint({ ...lint, location: { file: "app.py", line: 40 } }),
    );
    assert.notEqual(
      findingFingerprint(lint),
      findingFingerprint({ ...lint, location: { file: "config.py", line: 3 } }),
    );
  });
});
