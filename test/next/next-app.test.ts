// examples/next built with `next build` and served by `next start`, driven by Chromium: what the
// App Router adapter does in a real Next.js app (Server Action sign-in, the cookie the browser
// keeps, the Origin rules, logout and revocation ending sessions in the store). One build per
// test run, in `before`; it takes a minute or more.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  buildNext,
  type NextProcess,
  nextBin,
  nextEnv,
  sessionCookie,
  startNext,
} from "./support/next-app.ts";
import { storeOutageSuite } from "./support/store-outage-suite.ts";

const APP = fileURLToPath(new URL("../../examples/next/", import.meta.url));
const EMAIL = "ada@example.com";
const PASSWORD = "correct horse battery staple";

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/signin`);
  await page.fill('input[name="email"]', EMAIL);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/account`), page.click("button:has-text('Sign in')")]);
  await page.waitForSelector("h1:has-text('Signed in as ada')");
}

/** GET /account with only `cookie`, no browser: 200 for a live session, a redirect otherwise. */
async function accountWith(url: string, cookie: { name: string; value: string }) {
  return fetch(`${url}/account`, {
    headers: { cookie: `${cookie.name}=${cookie.value}` },
    redirect: "manual",
  });
}

describe("examples/next built and served, in Chromium", { timeout: 420_000 }, () => {
  const started = Date.now();
  let skipReason: string | null = null;
  let url = "";
  let browser: Browser | undefined;
  let server: NextProcess | undefined;
  let bin = "";
  let attacker: RunningServer | undefined;
  let dataDir = "";
  let pages = new Map<string, string>();

  before(async () => {
    const next = nextBin(APP);
    if ("missing" in next) {
      skipReason = `Next.js app test: ${next.missing}`;
      return;
    }
    if (!chromiumAvailable()) {
      skipReason = "Chromium not found at /usr/bin/chromium (apt-get install chromium)";
      return;
    }
    bin = next.bin;
    dataDir = mkdtempSync(join(tmpdir(), "latchkey-next-"));
    const env = nextEnv({ SESSION_DB: join(dataDir, "sessions.db") });
    await buildNext(APP, bin, env, `Next ${next.version}`);
    ({ url, server } = await startNext(APP, bin, env));
    browser = await launchChromium();
    // Another origin on the same site (only the port differs): the browser sends the
    // SameSite=Lax cookie with its top-level POSTs, so only the Origin rules stand in the way.
    attacker = await listen((req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(pages.get(req.url ?? "") ?? "");
    });
  });

  after(async () => {
    await browser?.close();
    await attacker?.close();
    server?.child.kill();
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
    console.log(`  next app test total: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  function ready(t: TestContext): boolean {
    if (skipReason === null) return true;
    skipOrFail(t, skipReason);
    return false;
  }

  /** Serves `html` on the attacker's origin and returns the page's address there. */
  function attackPage(path: string, html: string): string {
    pages = new Map(pages).set(path, html);
    const address = attacker?.url ?? "";
    return `${address.replace("127.0.0.1", "localhost")}${path}`;
  }

  it("signs in through the Server Action, keeps the session over a reload, in a __Host- HttpOnly Secure SameSite=Lax cookie", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    await page.reload();
    await page.waitForSelector("h1:has-text('Signed in as ada')");
    const cookie = await sessionCookie(context, url);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/");
    assert.equal(cookie.domain, "localhost");
    assert.equal(String(await page.evaluate("document.cookie")), "", "scripts cannot read it");
    await context.close();
  });

  it("refuses the logout route and the Server Action when another origin posts to them", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    const before = await sessionCookie(context, url);
    // The real token: the refusal below comes from the Origin rule, not a missing token.
    const token = await page.locator('input[name="_csrf"]').getAttribute("value");
    // As the server rendered it (React drops the no-JS fields once the page hydrates).
    const rendered = await (await accountWith(url, before)).text();
    const actionField = rendered.match(/name="(\$ACTION_ID_[^"]+)"/)?.[1];
    assert.ok(token, "the account page carries a CSRF token");
    assert.ok(actionField, "the sign-out-others form carries its action id (no-JS form)");

    const logout = await Promise.all([
      page.waitForResponse((r) => r.url() === `${url}/logout`),
      page.goto(
        attackPage(
          "/logout",
          `<form method="post" action="${url}/logout"><input name="_csrf" value="${token}"></form>
           <script>document.forms[0].submit()</script>`,
        ),
      ),
    ]);
    assert.equal(logout[0].status(), 403);

    // The no-JS encoding of a Server Action: a multipart POST carrying $ACTION_ID_<id>.
    const action = await Promise.all([
      page.waitForResponse((r) => r.url() === `${url}/account` && r.request().method() === "POST"),
      page.goto(
        attackPage(
          "/action",
          `<form method="post" enctype="multipart/form-data" action="${url}/account">
             <input type="hidden" name="${actionField}" value=""></form>
           <script>document.forms[0].submit()</script>`,
        ),
      ),
    ]);
    assert.ok(action[0].status() >= 400, `the action was refused (status ${action[0].status()})`);

    // Neither ran: the session is the one from before (sign-out-others rotates it, logout ends it).
    const afterAttacks = await sessionCookie(context, url);
    assert.equal(afterAttacks.value, before.value);
    assert.equal((await accountWith(url, before)).status, 200);
    await context.close();
  });

  it("refuses a Server Action that Next's own check lets through: no Origin, Fetch Metadata cross-site", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    const cookie = await sessionCookie(context, url);
    await context.close();
    const rendered = await (await accountWith(url, cookie)).text();
    const actionId = rendered.match(/name="\$ACTION_ID_([^"]+)"/)?.[1];
    assert.ok(actionId, "the sign-out-others form carries its action id");
    // How React calls an action by fetch: its id in Next-Action, the arguments as the body.
    const callAction = (fetchSite: string) =>
      fetch(`${url}/account`, {
        method: "POST",
        headers: {
          cookie: `${cookie.name}=${cookie.value}`,
          "next-action": actionId,
          "sec-fetch-site": fetchSite,
          "content-type": "text/plain;charset=UTF-8",
        },
        body: "[]",
        redirect: "manual",
      });
    // Next compares Origin with Host only when there is an Origin; latchkey's rule refuses.
    const refused = await callAction("cross-site");
    assert.ok(refused.status >= 400, `refused (status ${refused.status})`);
    assert.equal(refused.headers.get("set-cookie"), null);
    assert.equal((await accountWith(url, cookie)).status, 200, "the session is untouched");
    // The same call from the same origin runs: sign-out-others gives this session a new id.
    const accepted = await callAction("same-origin");
    assert.match(accepted.headers.get("set-cookie") ?? "", new RegExp(`^${cookie.name}=`));
  });

  it("logout ends the session in the store: a copy of the cookie no longer works", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    const copied = await sessionCookie(context, url);
    assert.equal((await accountWith(url, copied)).status, 200, "the copy works before logout");
    await Promise.all([page.waitForURL(`${url}/`), page.click("button:text-is('Sign out')")]);
    await page.waitForSelector("text=You are not signed in.");
    const refused = await accountWith(url, copied);
    assert.equal(refused.status, 307);
    assert.equal(new URL(refused.headers.get("location") ?? "", url).pathname, "/signin");
    await context.close();
  });

  it("signing out other devices from a second browser logs the first out on its next navigation", async (t) => {
    if (!ready(t) || !browser) return;
    const first = await browser.newContext();
    const second = await browser.newContext();
    const firstPage = await first.newPage();
    const secondPage = await second.newPage();
    await signIn(firstPage, url);
    await signIn(secondPage, url);
    const firstCookie = await sessionCookie(first, url);
    assert.ok((await secondPage.locator("li[data-current]").count()) >= 2, "both sessions listed");
    const secondBefore = await sessionCookie(second, url);
    await Promise.all([
      secondPage.waitForResponse((r) => r.request().method() === "POST"),
      secondPage.click("button:has-text('Sign out other devices')"),
    ]);
    // The device that asked keeps its session, under a new id.
    await secondPage.reload();
    await secondPage.waitForSelector("h1:has-text('Signed in as ada')");
    assert.notEqual((await sessionCookie(second, url)).value, secondBefore.value);

    await firstPage.goto(`${url}/account`);
    await firstPage.waitForURL(`${url}/signin`);
    assert.notEqual((await accountWith(url, firstCookie)).status, 200);
    await first.close();
    await second.close();
  });

  storeOutageSuite({
    skipReason: () => skipReason,
    app: APP,
    bin: () => bin,
    browser: () => browser,
    signIn,
  });
});
