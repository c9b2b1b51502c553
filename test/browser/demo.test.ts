// The demo in a real browser (Debian Chromium): what the browser does with latchkey's cookies.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startSnippet } from "../helpers/snippets.ts";

const ARTIFACTS = join("test-artifacts", "browser");
const PASSWORD = "correct horse battery";

async function startDemo(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-demo-browser-"));
  const started = await startSnippet("examples/demo/server.ts", {
    PORT: "0",
    DEMO_DB: join(dir, "demo.db"),
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    ...env,
  });
  // The browser talks to it as http://localhost: a secure context, where Secure cookies work.
  return {
    child: started.child,
    url: started.url.replace("127.0.0.1", "localhost"),
    output: started.output,
  };
}

async function signUp(page: Page, url: string, name: string) {
  await page.goto(`${url}/signup`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/`), page.click("button:has-text('Create account')")]);
}

async function logIn(page: Page, url: string, name: string) {
  await page.goto(`${url}/login`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/`), page.click("main button:has-text('Log in')")]);
}

async function sessionCookie(context: BrowserContext, url: string) {
  return (await context.cookies(url)).find((c) => c.name === "__Host-session");
}

describe("the demo in Chromium", { timeout: 120_000 }, () => {
  let browser: Browser | undefined;
  let demo: { child: ChildProcess; url: string; output: () => string } | undefined;
  const children: ChildProcess[] = [];
  const servers: RunningServer[] = [];

  before(async () => {
    if (!chromiumAvailable()) return;
    browser = await launchChromium();
    demo = await startDemo();
    children.push(demo.child);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    for (const c of children) c.kill();
    for (const s of servers) await s.close();
  });

  it("keeps the session cookie away from scripts, and stores a Secure __Host- cookie on http://localhost", async (t) => {
    if (!browser || !demo)
      return skipOrFail(t, "Chromium not found at /usr/bin/chromium (apt-get install chromium)");
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, demo.url, "httponly");
    const cookie = await sessionCookie(context, demo.url);
    assert.ok(cookie, "the browser stored the session cookie");
    assert.equal(cookie.secure, true);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/");
    assert.equal(cookie.domain, "localhost", "host-only");
    assert.equal(cookie.expires, -1, "a browser-session cookie");
    const visible = String(await page.evaluate("document.cookie"));
    assert.ok(!visible.includes("__Host-session"), `document.cookie shows: ${visible}`);
    // …and the browser sends it back: the next page knows who we are.
    await page.goto(`${demo.url}/`);
    assert.match((await page.textContent("main")) ?? "", /Logged in ashttponly/);
    await context.close();
  });

  it("login changes the cookie value; logout removes it and the old value no longer works", async (t) => {
    if (!browser || !demo) return skipOrFail(t, "Chromium not found");
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, demo.url, "rotator");
    await page.click("header button:has-text('Log out')");
    await page.waitForURL(`${demo.url}/`);
    assert.equal(await sessionCookie(context, demo.url), undefined, "logout removed the cookie");

    // A visit with notes creates an anonymous session first; login must replace its value.
    await page.goto(`${demo.url}/`);
    const anonymous = await sessionCookie(context, demo.url);
    await logIn(page, demo.url, "rotator");
    const loggedIn = await sessionCookie(context, demo.url);
    assert.ok(loggedIn);
    assert.notEqual(loggedIn.value, anonymous?.value);

    await page.click("header button:has-text('Log out')");
    await page.waitForURL(`${demo.url}/`);
    assert.equal(await sessionCookie(context, demo.url), undefined);
    const replay = await request(`${demo.url.replace("localhost", "127.0.0.1")}/`, {
      cookie: `__Host-session=${loggedIn.value}`,
    });
    assert.match(replay.body, /Logged in as<\/th><td>nobody/);
    await context.close();
  });

  it("a page on another site can neither post a form nor fetch() a change: 403, nothing changes", async (t) => {
    if (!browser || !demo) return skipOrFail(t, "Chromium not found");
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, demo.url, "victim");
    const target = `${demo.url}/notes`;
    const evil = await listen(
      createServer((req, res) => {
        res.setHeader("content-type", "text/html");
        if (req.url === "/form") {
          res.end(`<form id="f" method="post" action="${target}"><input name="note" value="forged by form"></form>
<script>document.getElementById("f").submit()</script>`);
        } else {
          res.end(`<script>
window.result = fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", mode: "no-cors",
  headers: { "content-type": "application/x-www-form-urlencoded" }, body: "note=forged+by+fetch" }).then(() => "sent", (e) => String(e));
</script>`);
        }
      }),
    );
    servers.push(evil);
    const attacker = await context.newPage();
    const [formResponse] = await Promise.all([
      attacker.waitForResponse((r) => r.url() === target && r.request().method() === "POST"),
      attacker.goto(`${evil.url}/form`),
    ]);
    assert.equal(formResponse.status(), 403);

    // fetch(): the request is sent, the demo refuses it, and the browser does not even let the
    // attacker read the refusal (Cross-Origin-Resource-Policy: same-origin).
    const refusalsBefore = (demo.output().match(/csrf-refused/g) ?? []).length;
    const fetchPage = await context.newPage();
    await fetchPage.goto(`${evil.url}/fetch`);
    assert.match(String(await fetchPage.evaluate("window.result")), /Failed to fetch/);
    // The demo's log line travels through a pipe: give it a moment.
    const refusals = () => (demo?.output().match(/csrf-refused/g) ?? []).length;
    for (let i = 0; i < 40 && refusals() === refusalsBefore; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(refusals(), refusalsBefore + 1, "the demo logged one more CSRF refusal (its 403)");

    await page.goto(target);
    const notes = await page.textContent("#notes");
    assert.equal(notes?.trim(), "", "no note was added");
    await context.close();
  });

  it("two devices: 'log out everywhere else' in one logs the other out on its next request", async (t) => {
    if (!browser || !demo) return skipOrFail(t, "Chromium not found");
    const laptop = await browser.newContext({ userAgent: "Laptop Chromium" });
    const phone = await browser.newContext({ userAgent: "Phone Chromium" });
    const laptopPage = await laptop.newPage();
    const phonePage = await phone.newPage();
    await signUp(laptopPage, demo.url, "twodevices");
    await logIn(phonePage, demo.url, "twodevices");

    await laptopPage.goto(`${demo.url}/devices`);
    assert.equal(await laptopPage.locator(".devices li").count(), 2);
    await laptopPage.screenshot({
      path: join(ARTIFACTS, "devices-two-sessions.png"),
      fullPage: true,
    });
    await Promise.all([
      laptopPage.waitForURL(`${demo.url}/devices`),
      laptopPage.click("button:has-text('Log out everywhere else')"),
    ]);
    assert.equal(await laptopPage.locator(".devices li").count(), 1);
    await laptopPage.screenshot({
      path: join(ARTIFACTS, "devices-after-revoke-others.png"),
      fullPage: true,
    });

    await phonePage.goto(`${demo.url}/`);
    assert.match((await phonePage.textContent("main")) ?? "", /Logged in asnobody/);
    await laptopPage.goto(`${demo.url}/`);
    assert.match((await laptopPage.textContent("main")) ?? "", /Logged in astwodevices/);
    await laptop.close();
    await phone.close();
  });

  it("a short idle timeout logs the user out", async (t) => {
    if (!browser) return skipOrFail(t, "Chromium not found");
    const shortIdle = await startDemo({ DEMO_IDLE_TIMEOUT: "2s" });
    children.push(shortIdle.child);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, shortIdle.url, "sleepy");
    assert.match((await page.textContent("main")) ?? "", /Logged in assleepy/);
    await new Promise((r) => setTimeout(r, 2500));
    await page.goto(`${shortIdle.url}/`);
    assert.match((await page.textContent("main")) ?? "", /Logged in asnobody/);
    await context.close();
  });
});
