// Cache-Control on an authenticated session's responses, over real HTTP on every adapter: a
// logged-in page is one user's data even when it sets no cookie, so shared caches and the
// back/forward cache must not keep it; anonymous pages stay cacheable.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSessions, type SessionsOptions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { CookieJar, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { type Mount, mounts } from "./mounts.ts";

function started(mount: Mount, options: Partial<SessionsOptions>) {
  const state = {} as { server: RunningServer };
  before(async () => {
    const sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: memoryStore(),
      ...options,
    });
    state.server = await mount(sessions);
  });
  after(() => state.server.close());
  const call = (method: string, path: string, jar?: CookieJar) =>
    request(state.server.url + path, { method, cookie: jar?.header });
  /** A jar holding a logged-in session's cookie. */
  const loggedIn = async () => {
    const jar = new CookieJar("__Host-session");
    const login = await call("POST", "/login", jar);
    assert.equal(login.status, 200);
    jar.take(login);
    assert.ok(jar.value, "login set the session cookie");
    return jar;
  };
  return { call, loggedIn };
}

const stores = {
  "server store": () => ({ store: memoryStore() }),
  "sealed cookie": () => ({ store: cookieStore() }),
};

for (const [adapter, mount] of Object.entries(mounts)) {
  for (const [mode, store] of Object.entries(stores)) {
    describe(`${adapter}, ${mode}: Cache-Control by default`, () => {
      const t = started(mount, store());

      it("a logged-in GET that changes nothing carries no-store, and no cookie", async () => {
        const jar = await t.loggedIn();
        const page = await t.call("GET", "/read", jar);
        assert.equal(JSON.parse(page.body).userId, "alice");
        assert.deepEqual(page.setCookies, []);
        assert.equal(page.headers.get("cache-control"), "no-store");
      });

      it("an anonymous GET carries none: public pages stay cacheable", async () => {
        const page = await t.call("GET", "/read");
        assert.equal(JSON.parse(page.body).userId, null);
        assert.equal(page.headers.get("cache-control"), null);
        const own = await t.call("GET", `/cached?cc=${encodeURIComponent("public, max-age=600")}`);
        assert.equal(own.headers.get("cache-control"), "public, max-age=600");
      });

      it("an anonymous session that holds data but no user is not marked", async () => {
        const jar = new CookieJar("__Host-session");
        jar.take(await t.call("POST", "/count", jar));
        const page = await t.call("GET", "/read", jar);
        assert.equal(JSON.parse(page.body).count, 1);
        assert.equal(page.headers.get("cache-control"), null);
      });

      it("the logout response is no-store", async () => {
        const jar = await t.loggedIn();
        const logout = await t.call("POST", "/logout", jar);
        assert.equal(logout.status, 200);
        assert.equal(logout.headers.get("cache-control"), "no-store");
      });
    });
  }

  describe(`${adapter}: a Cache-Control the application set on a logged-in page`, () => {
    const t = started(mount, {});
    const pageWith = async (cacheControl: string) => {
      const jar = await t.loggedIn();
      const page = await t.call("GET", `/cached?cc=${encodeURIComponent(cacheControl)}`, jar);
      assert.equal(JSON.parse(page.body).userId, "alice");
      return page.headers.get("cache-control");
    };

    for (const kept of [
      "no-store",
      "private, no-cache",
      "Private, max-age=60",
      "no-cache, NO-STORE",
    ]) {
      it(`"${kept}" already keeps shared caches out: left alone`, async () => {
        assert.equal(await pageWith(kept), kept);
      });
    }

    for (const replaced of [
      "public, max-age=600",
      "max-age=3600",
      "s-maxage=60",
      "no-cache",
      'private="set-cookie", max-age=60',
      'no-cache="x, no-store, y"',
    ]) {
      it(`"${replaced}" would let a shared cache keep it: replaced with no-store`, async () => {
        assert.equal(await pageWith(replaced), "no-store");
      });
    }
  });

  describe(`${adapter}: authenticatedCacheControl: false`, () => {
    const t = started(mount, { authenticatedCacheControl: false });

    it("a logged-in GET carries no Cache-Control; responses that set the cookie still do", async () => {
      const jar = await t.loggedIn();
      const page = await t.call("GET", "/read", jar);
      assert.equal(JSON.parse(page.body).userId, "alice");
      assert.equal(page.headers.get("cache-control"), null);
      const logout = await t.call("POST", "/logout", jar);
      assert.equal(logout.headers.get("cache-control"), "no-store");
    });
  });
}

describe("authenticatedCacheControl option", () => {
  it('accepts "no-store" and false, and refuses anything else with the fix', () => {
    const base = { secrets: [testSecret()], store: memoryStore() };
    assert.equal(createSessions(base).authenticatedCacheControl, "no-store");
    assert.equal(
      createSessions({ ...base, authenticatedCacheControl: "no-store" }).authenticatedCacheControl,
      "no-store",
    );
    assert.equal(
      createSessions({ ...base, authenticatedCacheControl: false }).authenticatedCacheControl,
      null,
    );
    assert.throws(
      () => createSessions({ ...base, authenticatedCacheControl: "private" as never }),
      (error: { code?: string; message?: string }) =>
        error.code === "config-invalid" && /authenticatedCacheControl/.test(error.message ?? ""),
    );
  });
});
