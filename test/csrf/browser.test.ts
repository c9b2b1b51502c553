// CSRF in a real browser (Debian Chromium), through every adapter's quick start from
// docs/adapters.md: the browser stores the Secure pre-session cookie on http://localhost, sends
// Fetch Metadata on its own, signs in through the token-protected form, and a form on another
// site is refused.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { skipOrFail } from "../helpers/service.ts";
import { snippetAfter, startSnippet } from "../helpers/snippets.ts";

// The Express app lives in docs/adapters.md, the other frameworks' in the README.
const DOC = `${readFileSync("README.md", "utf8")}\n${readFileSync("docs/adapters.md", "utf8")}`;
const QUICK_STARTS = [
  "express-app.ts",
  "fastify-app.ts",
  "hono-app.ts",
  "koa-app.ts",
  "node-app.ts",
  "fetch-app.ts",
];
const DIR = join("test-artifacts", "csrf-browser");

describe("CSRF in Chromium, on every adapter's quick start", { timeout: 180_000 }, () => {
  let browser: Browser | undefined;
  const children: ChildProcess[] = [];
  let evil: RunningServer | undefined;
  // The attacker's page: a login form that submits itself to the target as soon as it loads.
  let target = "";

  before(async () => {
    if (!chromiumAvailable()) return;
    browser = await launchChromium();
    mkdirSync(DIR, { recursive: true });
    evil = await listen(
      createServer((_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end(`<form id="f" method="post" action="${target}/login">
<input name="user" value="mallory"><input name="_csrf" value="guessed"></form>
<script>document.getElementById("f").submit()</script>`);
      }),
    );
  });
  after(async () => {
    await browser?.close();
    for (const child of children) child.kill();
    await evil?.close();
  });

  for (const file of QUICK_STARTS) {
    it(`${file}: sign-in works through the form; another site's form is refused`, async (t) => {
      if (!browser || !evil) return skipOrFail(t, "Chromium not found");
      writeFileSync(join(DIR, file), snippetAfter(DOC, `save as \`${file}\``, "ts"));
      const started = await startSnippet(join(DIR, file), {
        PORT: "0",
        SESSION_SECRET: randomBytes(32).toString("base64url"),
      });
      children.push(started.child);
      // http://localhost is a secure context: Secure and __Host- cookies work there.
      const url = started.url.replace("127.0.0.1", "localhost");
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${url}/`);
        assert.match((await page.textContent("p")) ?? "", /Signed out/);
        const preSession = (await context.cookies(url)).find((c) => c.name === "__Host-csrf");
        assert.ok(preSession, "the browser kept the pre-session cookie");
        assert.equal(preSession.httpOnly, true);
        assert.equal(preSession.secure, true);
        assert.equal(preSession.sameSite, "Lax");

        // Login CSRF: another site's form, sent by the victim's browser with its cookies.
        target = url;
        const attacker = await context.newPage();
        const [refused] = await Promise.all([
          attacker.waitForResponse((r) => r.url() === `${url}/login`),
          attacker.goto(`${evil.url}/`),
        ]);
        assert.equal(refused.status(), 403);
        assert.deepEqual(await refused.json(), { error: "csrf-refused", reason: "cross-site" });
        await attacker.close();
        await page.reload();
        assert.match((await page.textContent("p")) ?? "", /Signed out/, "nobody was signed in");

        await page.fill('input[name="user"]', "alice");
        await page.fill('input[name="password"]', "pw");
        await Promise.all([page.waitForURL(`${url}/`), page.click("button")]);
        assert.match((await page.textContent("p")) ?? "", /Signed in as alice/);
        assert.ok((await context.cookies(url)).some((c) => c.name === "__Host-session"));

        await Promise.all([page.waitForURL(`${url}/`), page.click("button")]);
        assert.match((await page.textContent("p")) ?? "", /Signed out/);
      } finally {
        await context.close();
      }
    });
  }
});
