// Login CSRF (the pre-session token, replaced at login), token lifetime across reauthentication
// and logout, and the requireFreshAuth step-up guard, over real HTTP on every adapter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MINUTE } from "../helpers/clock.ts";
import { parseSetCookie } from "../helpers/http.ts";
import { Browser, json, PRE_SESSION, reasonOf, SESSION, setup } from "./csrf-client.ts";
import { csrfMounts } from "./csrf-mounts.ts";

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: login CSRF (pre-session token)`, () => {
    const t = setup(mount);
    it("a token before any session sets a small pre-session cookie; the token works until login and is replaced then", async () => {
      const browser = new Browser();
      const page = await t.send("/csrf-token", { browser });
      assert.equal(page.setCookies.length, 1, "only the pre-session cookie, no session");
      const cookie = parseSetCookie(page.setCookies[0] as string);
      assert.equal(cookie.name, PRE_SESSION);
      assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual([...cookie.attributes.keys()].sort(), [
        "httponly",
        "path",
        "samesite",
        "secure",
      ]);
      assert.equal(cookie.attributes.get("samesite"), "Lax");
      assert.equal(cookie.attributes.get("path"), "/");
      const preToken = json(page).token as string;
      assert.equal((await t.send("/csrf-token", { browser })).setCookies.length, 0, "set once");

      const form = (token: string, who = browser) =>
        t.send("/login?user=alice", {
          method: "POST",
          browser: who,
          headers: { origin: t.origin(), "content-type": "application/x-www-form-urlencoded" },
          body: `user=alice&_csrf=${encodeURIComponent(token)}`,
        });
      // Another browser (no or another pre-session cookie) cannot use this browser's token.
      assert.equal(reasonOf(await form(preToken, new Browser())), "token-invalid");
      const stranger = new Browser();
      await t.send("/csrf-token", { browser: stranger });
      assert.equal(reasonOf(await form(preToken, stranger)), "token-invalid");
      assert.equal(reasonOf(await form("")), "token-missing");

      const login = await form(preToken);
      assert.equal(reasonOf(login), null);
      assert.equal(json(login).userId, "alice");
      assert.ok(browser.cookies.has(SESSION));

      const echo = (token: string) =>
        t.send("/echo", {
          method: "POST",
          browser,
          headers: {
            origin: t.origin(),
            "content-type": "application/x-www-form-urlencoded",
            "x-csrf-token": token,
          },
          body: "a=1",
        });
      assert.equal(reasonOf(await echo(preToken)), "token-invalid", "replaced at login");
      assert.equal(
        reasonOf(await echo(json(login).token)),
        null,
        "the token issued at login works",
      );
      const fresh = await t.send("/csrf-token", { browser });
      assert.equal(fresh.setCookies.length, 0, "no pre-session cookie once a session exists");
      assert.equal(reasonOf(await echo(json(fresh).token)), null);
    });

    it("a token from a page that also created the session keeps working on the next request", async () => {
      const browser = new Browser();
      const token = await t.token(browser);
      await t.sameOrigin("/count", browser); // the session now exists, nobody logged in
      const reply = await t.send("/echo", {
        method: "POST",
        browser,
        headers: { origin: t.origin(), "content-type": "text/plain", "x-csrf-token": token },
        body: "x",
      });
      assert.equal(reasonOf(reply), null);
    });

    it("reauthentication and logout replace the token; rotation keeps it", async () => {
      const browser = new Browser();
      await t.sameOrigin("/login?user=bob", browser);
      const before = await t.token(browser);
      const post = (token: string) =>
        t.send("/echo", {
          method: "POST",
          browser,
          headers: {
            "sec-fetch-site": "same-origin",
            "content-type": "text/plain",
            "x-csrf-token": token,
          },
          body: "x",
        });
      assert.equal(reasonOf(await post(before)), null);
      await t.sameOrigin("/reauthenticate", browser);
      assert.equal(reasonOf(await post(before)), "token-invalid");
      const after = await t.token(browser);
      assert.equal(reasonOf(await post(after)), null);
      await t.sameOrigin("/logout", browser);
      assert.equal(reasonOf(await post(after)), "token-invalid");
    });

    it("a read-only page that asks for no token sets no cookie", async () => {
      const reply = await t.send("/echo");
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.setCookies, []);
    });
  });

  describe(`${adapter}: requireFreshAuth`, () => {
    const t = setup(mount);
    it("403 with a machine-readable reason until the user (re)authenticated within maxAge", async () => {
      const browser = new Browser();
      const sensitive = () =>
        t.send("/sensitive", {
          method: "POST",
          browser,
          headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
          body: "{}",
        });
      const anonymous = await sensitive();
      assert.equal(anonymous.status, 403);
      assert.deepEqual(json(anonymous), {
        error: "fresh-auth-required",
        reason: "not-authenticated",
        maxAge: 300,
      });
      await t.sameOrigin("/login?user=carol", browser);
      assert.equal((await sensitive()).status, 200);
      t.clock.advance(6 * MINUTE);
      const stale = await sensitive();
      assert.equal(stale.status, 403);
      assert.equal(json(stale).reason, "reauthentication-required");
      await t.sameOrigin("/reauthenticate", browser);
      assert.equal((await sensitive()).status, 200);
    });
  });
}
