// latchkey audit --html: one self-contained page, rendered in Chromium. Its content (findings,
// counts, skipped checks, the active checks' timeline) is all there, and hostile strings from
// the audited site stay text: no dialog fires, no element is injected, nothing is loaded.
import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import type { Report } from "../../packages/latchkey-cli/src/report/index.ts";
import { formatHtml } from "../../packages/latchkey-cli/src/report/index.ts";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { skipOrFail } from "../helpers/service.ts";
import { runCli } from "./harness.ts";

const ARTIFACTS = resolve("test-artifacts");
const XSS = "<script>alert(1)</script>";
const BREAKOUT = '"><img src=x onerror=alert(2)>';
const ESC = "\u001b[31m";

const hostileReport: Report = {
  target: `http://127.0.0.1:5000/${BREAKOUT}`,
  run: {
    kind: "audit",
    tool: { name: "latchkey", version: "0.2.0" },
    startedAt: "2026-12-02T06:00:00.000Z",
    finishedAt: "2026-12-02T06:00:02.000Z",
    durationMs: 2000,
    framework: "Flask",
    pages: { count: 3, urls: [] },
    requests: 5,
  },
  findings: [
    {
      id: "session-secret-weak",
      severity: "critical",
      severityReason: "signed client-side data (flask): the secret IS the session",
      title: "Session cookie signed with a guessable secret",
      url: `http://127.0.0.1:5000/${XSS}`,
      cookie: `ses${BREAKOUT}`,
      evidence: `flask signature verifies ${ESC}with a known weak secret *** (3 chars)`,
      standard: "ASVS 5.0 11.2.3",
      fix: "Set SECRET_KEY to secrets.token_hex(32) from the environment.",
    },
    {
      id: "cookie-samesite-missing",
      severity: "medium",
      title: "Session cookie without SameSite",
      url: "http://127.0.0.1:5000/",
      cookie: "session",
      evidence: `Set-Cookie: session=${XSS}; Path=/`,
      standard: "ASVS 5.0 3.3.2",
      fix: "Set SESSION_COOKIE_SAMESITE = 'Lax' (or 'Strict').",
    },
    {
      id: "csp-missing",
      severity: "low",
      title: "No Content-Security-Policy on an HTML page",
      url: "http://127.0.0.1:5000/",
      evidence: "HTML response without Content-Security-Policy",
      fix: "Send a Content-Security-Policy.",
    },
  ],
  skipped: [
    { check: "session-id-low-entropy", cookie: "session", reason: `client-side data ${BREAKOUT}` },
  ],
  steps: [
    {
      check: "login",
      sent: "POST http://127.0.0.1:5000/login · form username, password",
      received: `302 → /${XSS}`,
    },
    {
      check: "login",
      sent: "GET http://127.0.0.1:5000/account",
      received: "200",
      note: "logged in",
    },
    {
      check: "session-fixation",
      sent: "GET http://127.0.0.1:5000/",
      received: `200 · Set-Cookie: x=${BREAKOUT}`,
      note: "rotated",
    },
  ],
};

describe("audit --html", () => {
  let browser: Browser | undefined;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (chromiumAvailable()) browser = await launchChromium();
  });
  after(() => browser?.close());

  async function open(file: string, screenshot: string) {
    const page = await browser!.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    await page.screenshot({ path: resolve(ARTIFACTS, screenshot), fullPage: true });
    return { page, dialogs, requests };
  }

  it("shows every finding, the counts, skipped checks and the timeline; hostile text stays text", async (t) => {
    if (browser === undefined) return skipOrFail(t, "Chromium not available");
    const html = formatHtml(hostileReport);
    for (const raw of [XSS, BREAKOUT, ESC])
      assert.ok(!html.includes(raw), `raw ${JSON.stringify(raw)} in the HTML`);
    const file = resolve(ARTIFACTS, "audit-report-hostile.html");
    writeFileSync(file, html);
    const { page, dialogs, requests } = await open(file, "audit-report-hostile.png");
    try {
      assert.deepEqual(dialogs, []);
      assert.deepEqual(requests, []);
      // Only the elements the report itself writes: nothing injected.
      // Expressions as strings: this file is compiled without the DOM library.
      const tags = (await page.evaluate(
        '[...new Set([...document.querySelectorAll("*")].map((e) => e.localName))]',
      )) as string[];
      for (const injected of ["script", "img", "iframe", "object", "embed", "base", "form"])
        assert.ok(!tags.includes(injected), `a <${injected}> element was injected`);
      const text = String(await page.evaluate("document.body.innerText"));
      assert.ok(text.includes(XSS) && text.includes(BREAKOUT), "hostile strings shown as text");
      assert.ok(text.includes("\\x1b[31m") && !text.includes(ESC), "ESC shown as an escape");
      for (const f of hostileReport.findings) {
        assert.ok(text.includes(f.title), f.title);
        assert.ok(text.includes(f.fix), f.fix);
      }
      assert.ok(text.includes("signed client-side data (flask): the secret IS the session"));
      assert.ok(text.includes("ASVS 5.0 11.2.3"));
      assert.match(text, /3 findings: 1 critical, 1 medium, 1 low/);
      const bars = await page.$$eval("svg text.count", (els) =>
        els.map((e) => `${e.getAttribute("data-severity")} ${e.textContent}`),
      );
      assert.deepEqual(bars, ["critical 1", "high 0", "medium 1", "low 1", "info 0"]);
      assert.equal(await page.$$eval("article.finding", (els) => els.length), 3);
      assert.equal(await page.$$eval("#skipped li", (els) => els.length), 1);
      assert.equal(await page.$$eval("table.timeline tbody tr", (els) => els.length), 3);
      // The CSP is really in force: an inline script added now is refused.
      const ran = await page.evaluate(`{
        const s = document.createElement("script");
        s.textContent = "document.body.dataset.ran = 'yes'";
        document.body.append(s);
        document.body.dataset.ran ?? "no";
      }`);
      assert.equal(ran, "no");
      // And the page's own style applies (its hash matches): badges are coloured.
      const colour = await page.evaluate(
        'getComputedStyle(document.querySelector(".badge.sev-critical")).backgroundColor',
      );
      assert.equal(colour, "rgb(123, 31, 162)");
    } finally {
      await page.close();
    }
  });

  describe("from a hostile site, audited for real", () => {
    let server: Server;
    let url: string;
    before(async () => {
      // A raw socket: Node's own HTTP server refuses to send some of these bytes.
      server = createServer((socket) => {
        socket.once("data", () => {
          const body = Buffer.from(`<html><a href="/a${BREAKOUT}">x</a></html>`);
          const head = Buffer.from(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n" +
              // 0x9b is CSI in one byte (Node's client refuses ESC itself in a header).
              `set-cookie: sessionid=${XSS}\x9b2J; Path=/\r\n` +
              `content-security-policy: script-src 'unsafe-inline' ${BREAKOUT}\r\n` +
              `content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
            "latin1",
          );
          socket.end(Buffer.concat([head, body]));
        });
        socket.on("error", () => {});
      });
      server.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(() => server.close());

    it("writes the page next to the usual output; the site's strings cannot inject anything", async (t) => {
      if (browser === undefined) return skipOrFail(t, "Chromium not available");
      const file = resolve(ARTIFACTS, "audit-report-site.html");
      const run = await runCli([
        "audit",
        url,
        "--max-pages",
        "2",
        "--json",
        "--fail-on",
        "critical",
        "--html",
        file,
      ]);
      assert.equal(run.status, 0, run.stderr);
      const json = JSON.parse(run.stdout) as {
        counts: Record<string, number>;
        findings: { title: string }[];
        requests: number;
        pages: { count: number };
      };
      const html = readFileSync(file, "utf8");
      for (const raw of [XSS, BREAKOUT, "\u009b"])
        assert.ok(!html.includes(raw), `raw ${JSON.stringify(raw)}`);
      const { page, dialogs, requests } = await open(file, "audit-report-site.png");
      try {
        assert.deepEqual(dialogs, []);
        assert.deepEqual(requests, []);
        assert.equal(await page.$$eval("script, img, iframe", (els) => els.length), 0);
        assert.equal(
          await page.$$eval("article.finding", (els) => els.length),
          json.findings.length,
        );
        const text = String(await page.evaluate("document.body.innerText"));
        assert.ok(text.includes(BREAKOUT), "the CSP evidence is shown as text");
        for (const f of json.findings) assert.ok(text.includes(f.title), f.title);
        const bars = await page.$$eval("svg text.count", (els) =>
          els.map((e) => [e.getAttribute("data-severity"), Number(e.textContent)] as const),
        );
        assert.deepEqual(Object.fromEntries(bars), json.counts);
        // The run's metadata, as in --json.
        const meta = await page.$$eval("dl.meta dt", (els) =>
          els.map((e) => [e.textContent, e.nextElementSibling?.textContent] as const),
        );
        const rows = Object.fromEntries(meta);
        assert.equal(rows.Requests, String(json.requests));
        assert.equal(rows.Pages, String(json.pages.count));
        assert.match(rows.Duration ?? "", /^\d+\.\d s$/);
      } finally {
        await page.close();
      }
    });

    it("an unwritable --html path is exit 2", async () => {
      const run = await runCli([
        "audit",
        url,
        "--max-pages",
        "1",
        "--html",
        resolve(ARTIFACTS, "missing-dir", "x.html"),
      ]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /--html .*ENOENT/);
    });
  });
});
