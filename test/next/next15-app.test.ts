// examples/next15 built with Next.js 15.5's own `next build` (webpack, its default) and served by
// `next start`, driven by Chromium: latchkey/next in a 15.5 `middleware.ts` on the Node.js
// runtime (it opens SQLite, which the Edge runtime could not), a Server Action signing in with
// redirect() inside withSession, a Server Component reading the session, and the middleware
// carrying the periodic rotation. The full app on Next 16 is next-app.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  buildNext,
  type NextProcess,
  nextBin,
  nextEnv,
  sessionCookie,
  startNext,
} from "./support/next-app.ts";

const APP = fileURLToPath(new URL("../../examples/next15/", import.meta.url));
const ROTATE_EVERY_MS = 8_000;
const GRACE_MS = ROTATE_EVERY_MS / 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('input[name="password"]', "correct horse battery staple");
  await Promise.all([page.waitForURL(`${url}/account`), page.click("button:has-text('Sign in')")]);
  await page.waitForSelector("h1:has-text('Signed in as ada')");
}

describe("examples/next15 (Next.js 15.5, middleware.ts) built and served, in Chromium", {
  timeout: 420_000,
}, () => {
  const started = Date.now();
  let skipReason: string | null = null;
  let url = "";
  let browser: Browser | undefined;
  let server: NextProcess | undefined;
  let dataDir = "";

  before(async () => {
    const next = nextBin(APP);
    if ("missing" in next || !next.version.startsWith("15.")) {
      skipReason = `Next.js 15.5 app test: examples/next15 has no Next 15 of its own (npm install)`;
      return;
    }
    if (!chromiumAvailable()) {
      skipReason = "Chromium not found at /usr/bin/chromium (apt-get install chromium)";
      return;
    }
    dataDir = mkdtempSync(join(tmpdir(), "latchkey-next15-"));
    const env = nextEnv({
      SESSION_DB: join(dataDir, "sessions.db"),
      SESSION_ROTATE_EVERY: `${ROTATE_EVERY_MS}ms`,
    });
    await buildNext(APP, next.bin, env, `Next ${next.version}`);
    ({ url, server } = await startNext(APP, next.bin, env));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    server?.child.kill();
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
    console.log(`  next15 app test total: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  function ready(t: TestContext): boolean {
    if (skipReason === null) return true;
    skipOrFail(t, skipReason);
    return false;
  }

  const account = (cookie: string) =>
    fetch(`${url}/account`, { headers: { cookie }, redirect: "manual" });

  it("builds the middleware for the Node.js runtime, and it sends the signed-out away from /account", async (t) => {
    if (!ready(t)) return;
    const manifest = JSON.parse(
      readFileSync(join(APP, ".next/server/functions-config-manifest.json"), "utf8"),
    );
    assert.equal(manifest.functions["/_middleware"]?.runtime, "nodejs");
    const signedOut = await account("");
    assert.equal(signedOut.status, 307);
    assert.equal(new URL(signedOut.headers.get("location") ?? "", url).pathname, "/");
    assert.equal(signedOut.headers.get("set-cookie"), null, "no session for a visitor");
  });

  it("signs in through the Server Action (redirect() inside withSession): the cookie arrives with the redirect and the page reads it", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    const cookie = await sessionCookie(context, url);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, "Lax");
    const copy = await account(`${cookie.name}=${cookie.value}`);
    assert.equal(copy.status, 200);
    assert.match(await copy.text(), /Signed in as (<!-- -->)?ada/);
    await context.close();
  });

  it("the middleware carries the periodic rotation: Chromium keeps the new cookie, the old one ends after the grace window", async (t) => {
    if (!ready(t) || !browser) return;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, url);
    const signedInAt = Date.now();
    const first = await sessionCookie(context, url);
    await sleep(Math.max(0, signedInAt + ROTATE_EVERY_MS + 500 - Date.now()));
    await page.goto(`${url}/account`);
    await page.waitForSelector("h1:has-text('Signed in as ada')");
    const rotatedAt = Date.now();
    const rotated = await sessionCookie(context, url);
    assert.notEqual(rotated.value, first.value, "the browser holds a new session id");
    await sleep(Math.max(0, rotatedAt + GRACE_MS + 500 - Date.now()));
    const late = await account(`${first.name}=${first.value}`);
    assert.equal(late.status, 307, "the old id is refused once the grace window is over");
    await page.reload();
    await page.waitForSelector("h1:has-text('Signed in as ada')");
    await context.close();
  });
});
