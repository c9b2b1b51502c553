// The zero-downtime cutover in a real browser (Debian Chromium): a user signs in through the
// form of an express-session + connect-redis (node-redis) + Passport app, that server is stopped
// and a latchkey app with `latchkey/migrate` takes its port on the same Redis, and the same
// browser, with nothing but the cookies in its jar, is still signed in.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectRedisSessions, expressSessionReader } from "latchkey/migrate";
import { redisStore } from "latchkey/stores/redis";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createClient, type RedisClientType } from "redis";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import {
  dropRedisPrefix,
  REDIS_URL,
  redisUnreachable,
  runId,
  skipReason,
} from "../stores/support/services.ts";
import { latchkeyCutoverApp } from "./cutover/latchkey-app.ts";
import { LEGACY_SECRET, legacyExpressApp, PASSWORD } from "./cutover/legacy-express.ts";

const skip = skipReason(
  chromiumAvailable() ? await redisUnreachable() : "Chromium not found at /usr/bin/chromium",
);

async function signInOnLegacyForm(page: Page, origin: string, name: string) {
  await page.goto(`${origin}/login`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${origin}/account`), page.click("button[type=submit]")]);
  assert.equal(await page.textContent("#who"), `Signed in as ${name}`);
}

/** The jar's cookies for the origin, by name. */
async function jar(context: BrowserContext, origin: string) {
  return new Map((await context.cookies(origin)).map((c) => [c.name, c]));
}

/** The names in a Cookie header (the values are credentials, kept out of failure messages). */
function cookieNames(header: string | undefined): string[] {
  return (header ?? "").split(";").map((pair) => pair.slice(0, pair.indexOf("=")).trim());
}

/** The express-session id inside a connect.sid cookie value (`s:<sid>.<signature>`, URL-encoded). */
function sidOf(jarValue: string): { sid: string; signature: string } {
  const value = decodeURIComponent(jarValue);
  const dot = value.lastIndexOf(".");
  return { sid: value.slice(2, dot), signature: value.slice(dot + 1) };
}

describe("cutover from express-session to latchkey in Chromium", {
  skip: skip ?? false,
  timeout: 60_000,
}, () => {
  const prefix = `${runId("cutover")}:`;
  const legacyPrefix = `${prefix}sess:`;
  const latchkeyPrefix = `${prefix}latchkey:`;
  let browser: Browser;
  let client: RedisClientType;
  // Every server a test starts, closed at the end even when the test failed before its cutover.
  const servers: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    browser = await launchChromium();
    client = createClient({ url: REDIS_URL });
    await client.connect();
  });
  after(async () => {
    for (const server of servers) await server.close();
    await browser?.close();
    await client?.quit();
    await dropRedisPrefix(REDIS_URL, prefix);
  });

  /** Stops the legacy server and starts the latchkey app on its port, the same Redis. */
  async function cutover(legacy: { port: number; close(): Promise<void> }) {
    await legacy.close();
    const app = await latchkeyCutoverApp({
      from: expressSessionReader({
        secrets: [LEGACY_SECRET],
        store: connectRedisSessions(client, { prefix: legacyPrefix }),
      }),
      store: redisStore({ client, prefix: latchkeyPrefix }),
      port: legacy.port,
    });
    servers.push(app);
    return app;
  }

  it("keeps the user signed in: the jar ends with latchkey's cookie only, the session in latchkey's store", async () => {
    const legacy = await legacyExpressApp(client, legacyPrefix, 0);
    servers.push(legacy);
    const origin = legacy.url;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInOnLegacyForm(page, origin, "alice");
    const legacyCookie = (await jar(context, origin)).get("connect.sid");
    assert.ok(legacyCookie, "the browser keeps express-session's cookie");
    assert.deepEqual([...(await jar(context, origin)).keys()], ["connect.sid"]);
    const { sid } = sidOf(legacyCookie.value);
    assert.equal(await client.exists(`${legacyPrefix}${sid}`), 1);

    const app = await cutover(legacy);
    assert.equal(app.url, origin, "the same origin, so the browser sends its jar");

    const first = await page.goto(`${origin}/account`);
    assert.equal(first?.status(), 200);
    assert.equal(await page.textContent("#who"), "Signed in as alice");
    assert.equal(await page.textContent("#cart"), JSON.stringify(["book", "lamp"]));
    const cookies = await jar(context, origin);
    assert.deepEqual([...cookies.keys()], ["__Host-session"], "the legacy cookie was removed");
    const latchkey = cookies.get("__Host-session");
    assert.equal(latchkey?.secure, true);
    assert.equal(latchkey?.httpOnly, true);
    assert.ok((latchkey?.expires ?? -1) > 0, "express-session's cookie was persistent: so is this");
    assert.deepEqual(
      app.events.filter((e) => e.type === "login").map((e) => e.userId),
      ["alice"],
    );

    // latchkey's store holds the imported session, with the user and the data; the legacy
    // record is gone, so a copy of the old cookie could not be imported again.
    assert.equal((await app.sessions.listSessions("alice")).length, 1);
    const keys = await client.keys(`${latchkeyPrefix}s:*`);
    assert.equal(keys.length, 1, `latchkey's sessions: ${keys.length}`);
    const stored = await client.hGetAll(keys[0] as string);
    assert.equal(JSON.parse(stored.m as string).userId, "alice");
    assert.equal(stored["d:cart"], JSON.stringify(["book", "lamp"]));
    assert.equal(await client.exists(`${legacyPrefix}${sid}`), 0);

    // The next navigation sends latchkey's cookie alone and changes nothing.
    const [second] = await Promise.all([
      page.waitForRequest(`${origin}/account`),
      page.goto(`${origin}/account`),
    ]);
    assert.deepEqual(cookieNames((await second.allHeaders()).cookie), ["__Host-session"]);
    assert.equal(await page.textContent("#who"), "Signed in as alice");
    assert.deepEqual([...(await jar(context, origin)).keys()], ["__Host-session"]);
    // Compared, not printed: a failure message would show a live token.
    const kept = (await jar(context, origin)).get("__Host-session")?.value;
    assert.ok(kept !== undefined && kept === latchkey?.value, "the same latchkey cookie");
    assert.equal(app.events.filter((e) => e.type === "login").length, 1, "not migrated again");
    assert.equal((await app.sessions.listSessions("alice")).length, 1);
    await context.close();
  });

  it("does not import a legacy cookie whose signature was altered in the jar: anonymous, tampered", async () => {
    const legacy = await legacyExpressApp(client, legacyPrefix, 0);
    servers.push(legacy);
    const origin = legacy.url;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInOnLegacyForm(page, origin, "mallory");
    const genuine = (await jar(context, origin)).get("connect.sid");
    assert.ok(genuine);
    const { sid, signature } = sidOf(genuine.value);
    const altered = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    await context.addCookies([
      {
        name: "connect.sid",
        value: encodeURIComponent(`s:${sid}.${altered}`),
        url: origin,
      },
    ]);
    const planted = await context.cookies(origin);
    assert.equal(planted.length, 1, "the altered cookie replaced the genuine one");

    const app = await cutover(legacy);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Not signed in");
    assert.deepEqual(
      app.events.filter((e) => e.type === "tampered").map((e) => e.reason),
      ["bad-mac"],
    );
    assert.ok(!app.events.some((e) => e.type === "login"));
    assert.ok(!(await jar(context, origin)).has("__Host-session"), "no latchkey session issued");
    assert.deepEqual(await app.sessions.listSessions("mallory"), []);
    assert.equal(await client.exists(`${legacyPrefix}${sid}`), 1, "the record was not retired");

    // The same record under its genuine signature does move: the refusal was the signature's.
    await context.addCookies([{ name: "connect.sid", value: genuine.value, url: origin }]);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Signed in as mallory");
    assert.deepEqual([...(await jar(context, origin)).keys()], ["__Host-session"]);
    await context.close();
  });
});
