// A response that sets the pre-session CSRF cookie (a login form rendered before any session
// exists) carries Cache-Control: no-store on every adapter: a cached copy would hand one
// visitor's login-form binding, cookie and token, to the next.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { csrfMounts } from "./csrf-mounts.ts";

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: the pre-session CSRF cookie`, () => {
    let server: RunningServer;
    before(async () => {
      const sessions = createSessions<AppSession>({
        secrets: [testSecret()],
        store: memoryStore(),
        // Off, so that only the pre-session cookie can be what adds no-store here.
        authenticatedCacheControl: false,
      });
      server = await mount(sessions);
    });
    after(() => server.close());

    it("is set with Cache-Control: no-store", async () => {
      const form = await request(`${server.url}/csrf-token`);
      assert.equal(form.status, 200);
      assert.ok(form.setCookies.some((line) => line.startsWith("__Host-csrf=")));
      assert.equal(form.headers.get("cache-control"), "no-store");
    });

    it("a later form for the same browser, which sets no cookie, is left cacheable", async () => {
      const first = await request(`${server.url}/csrf-token`);
      const line = first.setCookies.find((l) => l.startsWith("__Host-csrf=")) ?? "";
      const cookie = line.slice(0, line.indexOf(";"));
      const again = await request(`${server.url}/csrf-token`, { cookie });
      assert.equal(again.status, 200);
      assert.deepEqual(again.setCookies, []);
      assert.equal(again.headers.get("cache-control"), null);
    });
  });
}
