// A second `next start` of examples/next's build (no second build), on a private redis-server the
// test stops and starts again, rotating sessions every 10 s: Proxy carries the periodic rotation
// to the browser, and a store that goes down fails closed in Proxy, in a Server Component, in a
// Server Action and in a Route Handler, with no Set-Cookie, and nothing is lost once it is back.
// Requests that Proxy's matcher skips (Next's documented `missing` rule for prefetches) reach the
// page, the action and the route handler without Proxy, so each is shown failing closed itself.
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import type { Browser, Page } from "playwright-core";
import { skipOrFail } from "../../helpers/service.ts";
import {
  type RedisProcess,
  redisServerMissing,
  startRedisServer,
} from "../../stores/support/redis-server.ts";
import {
  type NextProcess,
  nextEnv,
  sessionCookie,
  sessionSetCookie,
  startNext,
} from "./next-app.ts";

export interface BuiltApp {
  /** Why the built app is not there (no Next, no Chromium), or null. */
  skipReason(): string | null;
  app: string;
  bin(): string;
  browser(): Browser | undefined;
  signIn(page: Page, url: string): Promise<void>;
}

const ROTATE_EVERY_MS = 10_000;
// rotationGrace left unset: half the period, at most 30 s.
const GRACE_MS = ROTATE_EVERY_MS / 2;
// Next's matcher skips these requests (see examples/next/proxy.ts).
const PREFETCH = { purpose: "prefetch" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function storeOutageSuite(built: BuiltApp): void {
  describe("on Redis: rotation through Proxy, and the store going down", () => {
    let redis: RedisProcess | undefined;
    let started: { url: string; server: NextProcess } | undefined;
    let skipReason: string | null = null;

    before(async () => {
      skipReason = built.skipReason() ?? redisServerMissing();
      if (skipReason !== null) return;
      redis = await startRedisServer();
      started = await startNext(
        built.app,
        built.bin(),
        nextEnv({ SESSION_REDIS_URL: redis.url, SESSION_ROTATE_EVERY: `${ROTATE_EVERY_MS}ms` }),
      );
    });

    after(async () => {
      started?.server.child.kill();
      await redis?.destroy();
    });

    function ready(t: TestContext): boolean {
      if (skipReason === null) return true;
      skipOrFail(t, skipReason);
      return false;
    }

    const account = (cookie: string, headers: Record<string, string> = {}) =>
      fetch(`${started?.url}/account`, { headers: { cookie, ...headers }, redirect: "manual" });

    it("Proxy carries the periodic rotation: Chromium keeps the new cookie, the old one works only within the grace window", async (t) => {
      const browser = built.browser();
      if (!ready(t) || !browser || !started) return;
      const { url } = started;
      const context = await browser.newContext();
      const page = await context.newPage();
      await built.signIn(page, url);
      const signedInAt = Date.now();
      const first = await sessionCookie(context, url);
      const old = `${first.name}=${first.value}`;

      await sleep(Math.max(0, signedInAt + ROTATE_EVERY_MS + 500 - Date.now()));
      // A navigation: Proxy rotates (the page could not set the cookie) and Chromium takes it.
      await page.goto(`${url}/account`);
      await page.waitForSelector("h1:has-text('Signed in as ada')");
      const rotatedAt = Date.now();
      const rotated = await sessionCookie(context, url);
      assert.notEqual(rotated.value, first.value, "the browser holds a new session id");
      assert.equal(rotated.httpOnly && rotated.secure && rotated.sameSite === "Lax", true);

      // A request that left with the old cookie a moment ago still gets through…
      const inGrace = await account(old);
      if (Date.now() - rotatedAt < GRACE_MS) assert.equal(inGrace.status, 200);
      else t.diagnostic("the machine was too slow to ask within the grace window");
      // …and not once the grace window has passed; the browser's new cookie goes on working.
      await sleep(Math.max(0, rotatedAt + GRACE_MS + 500 - Date.now()));
      const late = await account(old);
      assert.equal(late.status, 307);
      assert.equal(new URL(late.headers.get("location") ?? "", url).pathname, "/signin");
      await page.reload();
      await page.waitForSelector("h1:has-text('Signed in as ada')");
      await context.close();
    });

    it("fails closed while Redis is down: Proxy 503, the page never renders signed in, the action and the route handler refuse, no cookie", async (t) => {
      const browser = built.browser();
      if (!ready(t) || !browser || !started || !redis) return;
      const { url } = started;
      const context = await browser.newContext();
      const page = await context.newPage();
      await built.signIn(page, url);
      const jar = await sessionCookie(context, url);
      await context.close();
      let cookie = `${jar.name}=${jar.value}`;
      const first = await account(cookie);
      // On a slow machine the period may be over already: follow the rotation as a browser would.
      cookie = sessionSetCookie(first)?.split(";", 1)[0] ?? cookie;
      const rendered = await first.text();
      const actionId = rendered.match(/name="\$ACTION_ID_([^"]+)"/)?.[1];
      const token = rendered.match(/name="_csrf" value="([^"]+)"/)?.[1];
      assert.ok(actionId && token, "the account page carries the action id and a CSRF token");

      await redis.stop();
      const answers: [string, Response][] = [];
      const ask = async (what: string, response: Promise<Response>) => {
        const answered = await response;
        answers.push([what, answered]);
        return answered;
      };

      // Proxy answers first, for every request its matcher takes.
      const viaProxy = await ask("page through Proxy", account(cookie));
      assert.equal(viaProxy.status, 503);
      assert.equal(viaProxy.headers.get("retry-after"), "5");

      // The Server Component without Proxy: getSession() throws, Next renders its error page.
      const page500 = await ask("page without Proxy", account(cookie, PREFETCH));
      assert.equal(page500.status, 500);
      assert.doesNotMatch(await page500.text(), /Signed in as/);

      // The Server Action ("sign out other devices"), with and without Proxy.
      const callAction = (headers: Record<string, string>) =>
        fetch(`${url}/account`, {
          method: "POST",
          headers: {
            cookie,
            "next-action": actionId,
            "sec-fetch-site": "same-origin",
            "content-type": "text/plain;charset=UTF-8",
            ...headers,
          },
          body: "[]",
          redirect: "manual",
        });
      assert.equal((await ask("action through Proxy", callAction({}))).status, 503);
      const action = await ask("action without Proxy", callAction(PREFETCH));
      assert.ok(action.status >= 500, `the action failed (status ${action.status})`);

      // The logout Route Handler, with its CSRF token: a 503 of its own without Proxy.
      const logout = (headers: Record<string, string>) =>
        fetch(`${url}/logout`, {
          method: "POST",
          headers: {
            cookie,
            "sec-fetch-site": "same-origin",
            "content-type": "application/x-www-form-urlencoded",
            ...headers,
          },
          body: `_csrf=${encodeURIComponent(token)}`,
          redirect: "manual",
        });
      assert.equal((await ask("logout through Proxy", logout({}))).status, 503);
      const routeAnswer = await ask("logout without Proxy", logout(PREFETCH));
      assert.equal(routeAnswer.status, 503);
      assert.equal(routeAnswer.headers.get("retry-after"), "5");

      // Not one answer issued, changed or expired a session cookie.
      for (const [what, response] of answers) {
        assert.equal(sessionSetCookie(response), null, what);
      }

      // Redis back with its data: the same cookie is the same signed-in session.
      await redis.start();
      const deadline = Date.now() + 30_000;
      let back = await account(cookie);
      while (back.status === 503 && Date.now() < deadline) {
        await sleep(250);
        back = await account(cookie);
      }
      assert.equal(back.status, 200);
      assert.match(await back.text(), /Signed in as <!-- -->ada|Signed in as ada/);
    });
  });
}
