// The crawl: same-origin only, --max-pages, bounded redirects, per-request timeout, and the CLI
// contract (exit codes, --json/--sarif, progress only on a TTY).
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import { auditSite } from "../../packages/latchkey-cli/src/audit/audit.ts";
import { skipOrFail } from "../helpers/service.ts";
import { runCli, summary } from "./harness.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, seen };
}
function close(server: Server) {
  server.closeAllConnections();
  server.close();
}

const html = (res: ServerResponse, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(200, { "content-type": "text/html", ...headers });
  res.end(`<!doctype html><html><body>${body}</body></html>`);
};

describe("crawl", () => {
  let site: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    site = await serve((req, res) => {
      const path = req.url ?? "/";
      if (path === "/") {
        const links = Array.from({ length: 30 }, (_, i) => `<a href="/page/${i}">${i}</a>`).join(
          " ",
        );
        return html(
          res,
          `${links} <a href="http://127.0.0.2:1/x">other host</a> <a href="//example.com/">protocol-relative</a> <a href="/logout">out</a> <a href="/style.css">css</a> <a href="/loop">loop</a> <a href="/away">away</a>`,
        );
      }
      if (path === "/loop") {
        res.writeHead(302, { location: "/loop" });
        return res.end();
      }
      if (path === "/away") {
        res.writeHead(302, { location: "https://example.com/" });
        return res.end();
      }
      if (path === "/slow") return; // never answers
      if (path === "/logout") throw new Error("the crawler must not follow logout links");
      return html(res, `page ${path} <a href="/">home</a>`, { "set-cookie": "theme=dark; Path=/" });
    });
  });
  after(() => close(site.server));

  it("stays on the target's origin, honours --max-pages, and skips logout and static links", async () => {
    site.seen.length = 0;
    const result = await auditSite(new URL(site.url), { maxPages: 8 });
    const hosts = new Set(site.seen.map((s) => s.split(" ")[0]));
    assert.deepEqual([...hosts], [new URL(site.url).host]);
    const pages = site.seen.filter(
      (s) => !s.endsWith(" /") && !s.includes("/loop") && !s.includes("/away"),
    );
    assert.ok(pages.length <= 7, `fetched ${site.seen.length}: ${site.seen.join(", ")}`);
    assert.ok(!site.seen.some((s) => /logout|style\.css/.test(s)));
    assert.equal(result.errors.length, 0);
  });

  it("follows redirects a bounded number of times and never off-origin", async () => {
    site.seen.length = 0;
    await auditSite(new URL("/loop", site.url), { maxPages: 1, maxRedirects: 3 });
    assert.equal(site.seen.filter((s) => s.endsWith("/loop")).length, 1 + 4 + 1); // the https-upgrade check, 1 + 3 hops, the CORS probe
    site.seen.length = 0;
    const away = await auditSite(new URL("/away", site.url), { maxPages: 1 });
    assert.equal(away.errors.length, 0);
    assert.equal(new Set(site.seen.map((s) => s.split(" ")[0])).size, 1);
  });

  it("gives up on a page after the per-request timeout", async () => {
    const start = Date.now();
    await assert.rejects(
      auditSite(new URL("/slow", site.url), { maxPages: 1, timeoutMs: 300 }),
      /timed out/,
    );
    assert.ok(Date.now() - start < 3000);
  });
});

describe("latchkey audit (CLI contract)", () => {
  let site: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    site = await serve((_req, res) =>
      html(res, "hi", { "set-cookie": "sid=Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU0oRiKqWx5EyV; Path=/" }),
    );
  });
  after(() => close(site.server));

  it("exit 1 at the default --fail-on high, 0 when raised above the worst finding", async () => {
    const high = await runCli(["audit", site.url, "--json"]);
    assert.equal(high.status, 1, high.stderr);
    assert.deepEqual(summary(JSON.parse(high.stdout).findings), [
      "high cookie-missing-httponly sid",
      "info cookie-missing-secure sid",
      "info hsts-missing",
      "info https-redirect-missing",
      "low cookie-prefix-missing sid",
      "low csp-missing",
      "medium cache-control-missing sid",
      "medium cookie-samesite-missing sid",
    ]);
    assert.equal((await runCli(["audit", site.url, "--fail-on", "critical"])).status, 0);
    assert.equal((await runCli(["audit", site.url, "--fail-on", "INFO", "--json"])).status, 1);
  });

  it("prints a readable report with no ANSI codes when not on a terminal, and no progress line", async () => {
    const run = await runCli(["audit", site.url]);
    assert.match(
      run.stdout,
      /HIGH \(1\)\n {2}• Session cookie readable by scripts \(no HttpOnly\)/,
    );
    assert.ok(!run.stdout.includes("\u001b"));
    assert.equal(run.stderr, "");
  });

  it("writes a progress line to stderr when it is a terminal", async (t) => {
    // util-linux `script` gives the CLI a pseudo-terminal. (Async: the site runs in this process.)
    const cmd = `${process.execPath} --import tsx packages/latchkey-cli/src/cli.ts audit ${site.url} --fail-on critical`;
    const child = spawn("script", ["-qec", cmd, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise<number | null | Error>((resolve) => {
      child.on("error", resolve);
      child.on("close", resolve);
    });
    if (code instanceof Error) return skipOrFail(t, `script(1) not available: ${code.message}`);
    assert.match(out, /page 1\/1 http:\/\/127\.0\.0\.1/);
    assert.match(out, /HIGH \(1\)/);
  });

  it("--sarif validates against the SARIF 2.1.0 schema", async () => {
    const run = await runCli(["audit", site.url, "--sarif"]);
    const schema = JSON.parse(
      readFileSync(
        new URL("../fixtures/audit/sarif-2.1.0-rtm.5.schema.json", import.meta.url),
        "utf8",
      ),
    );
    const validate = new AjvDraft04.default({ strict: false, unicodeRegExp: false }).compile(
      schema,
    );
    const log = JSON.parse(run.stdout);
    assert.equal(validate(log), true, JSON.stringify(validate.errors));
    assert.equal(log.runs[0].results.length, 8);
  });

  it("exit 2 on usage errors and unreachable targets", async () => {
    const usage: string[][] = [
      ["audit"],
      ["audit", "not a url"],
      ["audit", "ftp://127.0.0.1/"],
      ["audit", site.url, "--fail-on", "severe"],
      ["audit", site.url, "--json", "--sarif"],
      ["audit", site.url, "--max-pages", "0"],
      ["audit", site.url, "--insecure", "--ca", "x.pem"],
      ["audit", site.url, "--wordlist", "/nonexistent/words.txt"],
      ["audit", site.url, "--login", "login.json"],
      ["audit", site.url, "--bogus"],
    ];
    for (const args of usage) assert.equal((await runCli(args)).status, 2, args.join(" "));
    const closed = await serve(() => {});
    const port = new URL(closed.url).port;
    close(closed.server);
    const unreachable = await runCli(["audit", `http://127.0.0.1:${port}/`]);
    assert.equal(unreachable.status, 2);
    assert.match(unreachable.stderr, /cannot reach/);
  });
});
