// The zero-downtime cutover from Flask in a real browser (Debian Chromium): a user signs in
// through the form of a Flask + Flask-Login app (Flask's signed cookie session), the Flask
// process is stopped and a latchkey app with `latchkey/migrate`'s flaskCookieReader takes its
// port, and the same browser is still signed in, as the user Flask-Login's `_user_id` named.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Store } from "latchkey";
import { flaskCookieReader } from "latchkey/migrate";
import { memoryStore } from "latchkey/stores/memory";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipReason } from "../stores/support/services.ts";
import { latchkeyCutoverApp } from "./cutover/latchkey-app.ts";
import { legacyFlaskApp } from "./cutover/legacy-flask.ts";

const python = ensurePython({ flask: "flask", flask_login: "flask-login" });
const skip = skipReason(
  !chromiumAvailable()
    ? "Chromium not found at /usr/bin/chromium"
    : python.ok
      ? null
      : `python3/flask not usable: ${python.reason}`,
);

const PASSWORD = "correct horse battery staple";

async function signInOnFlaskForm(page: Page, origin: string, name: string, remember = false) {
  await page.goto(`${origin}/login`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  if (remember) await page.check('input[name="remember"]');
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

describe("cutover from Flask (Flask-Login, signed cookie) to latchkey in Chromium", {
  skip: skip ?? false,
  timeout: 60_000,
}, () => {
  let browser: Browser;
  // Every server a test starts, closed at the end even when the test failed before its cutover.
  const servers: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    for (const server of servers) await server.close();
    await browser?.close();
  });

  /** A user signed in on a fresh Flask app, in a fresh browser context. */
  async function signedInOnFlask(name: string, cookieName?: string, remember = false) {
    const secretKey = randomBytes(24).toString("hex");
    const flask = await legacyFlaskApp({ secretKey, password: PASSWORD, cookieName });
    servers.push(flask);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInOnFlaskForm(page, flask.url, name, remember);
    return { flask, secretKey, context, page, origin: flask.url };
  }

  /** Stops Flask and starts the latchkey app on its port, reading Flask's cookie. */
  async function cutover(
    flask: { port: number; close(): Promise<void> },
    secretKey: string,
    cookieName?: string,
  ) {
    await flask.close();
    const store: Store = memoryStore();
    const app = await latchkeyCutoverApp({
      from: flaskCookieReader({ secretKey, cookieName }),
      store,
      port: flask.port,
    });
    servers.push(app);
    return { app, store };
  }

  it("keeps the user signed in as Flask-Login's _user_id; only latchkey's cookie remains", async () => {
    const { flask, secretKey, context, page, origin } = await signedInOnFlask("ada.lovelace");
    assert.deepEqual([...(await jar(context, origin)).keys()], ["session"], "Flask's cookie");

    const { app, store } = await cutover(flask, secretKey);
    assert.equal(app.url, origin);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Signed in as ada.lovelace");
    assert.equal(await page.textContent("#cart"), JSON.stringify(["book", "lamp"]));
    const cookies = await jar(context, origin);
    assert.deepEqual([...cookies.keys()], ["__Host-session"], "Flask's cookie was removed");
    assert.equal(cookies.get("__Host-session")?.secure, true);
    assert.equal(cookies.get("__Host-session")?.expires, -1, "Flask's was not permanent");
    assert.deepEqual(
      app.events.filter((e) => e.type === "login").map((e) => e.userId),
      ["ada.lovelace"],
    );

    // The store holds the session under the user Flask-Login named, with the app's data and
    // none of Flask-Login's bookkeeping (_user_id, _fresh, _id).
    const listed = await app.sessions.listSessions("ada.lovelace");
    assert.equal(listed.length, 1);
    const stored = await store.get((listed[0] as { ref: string }).ref);
    assert.equal(stored?.meta.userId, "ada.lovelace");
    assert.equal(stored?.data.cart, JSON.stringify(["book", "lamp"]));
    assert.deepEqual(
      Object.keys(stored?.data ?? {}).filter((key) => key.startsWith("_")),
      [],
    );

    // The next navigation sends latchkey's cookie alone, and is the same session.
    const [second] = await Promise.all([
      page.waitForRequest(`${origin}/account`),
      page.goto(`${origin}/account`),
    ]);
    assert.deepEqual(cookieNames((await second.allHeaders()).cookie), ["__Host-session"]);
    assert.equal(await page.textContent("#who"), "Signed in as ada.lovelace");
    assert.equal(app.events.filter((e) => e.type === "login").length, 1, "not migrated again");
    assert.equal((await app.sessions.listSessions("ada.lovelace")).length, 1);
    await context.close();
  });

  it("removes Flask-Login's remember_token with the session cookie: no legacy credential left in the jar", async () => {
    const { flask, secretKey, context, page, origin } = await signedInOnFlask(
      "mary.somerville",
      undefined,
      true,
    );
    assert.deepEqual(
      [...(await jar(context, origin)).keys()].sort(),
      ["remember_token", "session"],
      "Flask's cookie and Flask-Login's remember cookie",
    );
    await cutover(flask, secretKey);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Signed in as mary.somerville");
    assert.deepEqual([...(await jar(context, origin)).keys()], ["__Host-session"]);
    await context.close();
  });

  it("does not import a Flask cookie altered in the jar: anonymous, tampered", async () => {
    const { flask, secretKey, context, page, origin } = await signedInOnFlask("grace");
    const genuine = (await jar(context, origin)).get("session");
    assert.ok(genuine);
    // The payload keeps its signature, the user id inside is another one: itsdangerous's
    // HMAC no longer matches.
    // (`<payload>.<timestamp>.<signature>`, the payload led by a dot when zlib-compressed.)
    const timestamped = genuine.value.slice(
      genuine.value.lastIndexOf(".", genuine.value.lastIndexOf(".") - 1),
    );
    const payload = Buffer.from(JSON.stringify({ _user_id: "admin" })).toString("base64url");
    await context.addCookies([{ name: "session", value: payload + timestamped, url: origin }]);

    const { app } = await cutover(flask, secretKey);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Not signed in");
    assert.deepEqual(
      app.events.filter((e) => e.type === "tampered").map((e) => e.reason),
      ["bad-mac"],
    );
    assert.ok(!(await jar(context, origin)).has("__Host-session"));
    assert.deepEqual(await app.sessions.listSessions("admin"), []);
    await context.close();
  });

  it("removes a __Host- Flask cookie too, so revoking the user does not bring the Flask session back", async () => {
    const { flask, secretKey, context, page, origin } = await signedInOnFlask(
      "linus",
      "__Host-flask",
    );
    assert.equal((await jar(context, origin)).get("__Host-flask")?.secure, true);

    const { app } = await cutover(flask, secretKey, "__Host-flask");
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Signed in as linus");
    // A browser ignores a __Host- cookie without Secure, the expiring one included: had the
    // expiry lacked it, the signed Flask cookie would still be in the jar, importable again.
    assert.deepEqual([...(await jar(context, origin)).keys()], ["__Host-session"]);

    // After a password reset every session of the user ends; the browser is signed out.
    assert.equal(await app.sessions.revokeUser("linus"), 1);
    await page.goto(`${origin}/account`);
    assert.equal(await page.textContent("#who"), "Not signed in");
    assert.equal(app.events.filter((e) => e.type === "login").length, 1, "nothing re-imported");
    await context.close();
  });
});
