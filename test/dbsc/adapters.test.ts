// The DBSC scenario on every adapter, both algorithms, memory store.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextSessions } from "../../packages/latchkey/src/adapters/next.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { handle } from "../adapters/app.ts";
import { type Mount, mounts } from "../adapters/mounts.ts";
import { fetchServer } from "../adapters/web-servers.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, deviceKey } from "./client.ts";
import { DEVICE_BOUND, runBoundScenario } from "./flow.ts";

// Next.js route handlers: route() is the fetch adapter plus CSRF (on by default), one catch-all.
const nextRoute: Mount = async (sessions) => {
  const { route } = nextSessions(sessions);
  return fetchServer(
    route(async (request, session) => {
      const reply = await handle(session as never, request.method, new URL(request.url));
      return Response.json(reply.body, { status: reply.status, headers: reply.headers ?? {} });
    }),
  );
};

for (const [name, mount] of Object.entries({ ...mounts, "next route()": nextRoute })) {
  describe(`DBSC on ${name}`, () => {
    for (const alg of ["ES256", "RS256"] as const) {
      it(`${alg}: registers, refreshes past expiry, refuses the stolen session cookie, ends at logout`, async () => {
        const clock = fakeClock();
        const sessions = createSessions<AppSession>({
          secrets: [testSecret()],
          store: memoryStore(),
          now: clock.now,
          deviceBound: DEVICE_BOUND,
        });
        const server = await mount(sessions);
        try {
          await runBoundScenario(server.url, clock, alg);
        } finally {
          await server.close();
          await sessions.close();
        }
      });
    }
  });
}

describe("DBSC and CSRF (Next route() with its CSRF guard)", () => {
  it("the DBSC requests pass without Fetch Metadata; a cross-site post and a look-alike path do not", async () => {
    const clock = fakeClock();
    const sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: memoryStore(),
      now: clock.now,
      deviceBound: DEVICE_BOUND,
    });
    const server = await nextRoute(sessions);
    try {
      const browser = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
      await browser.fetch("/login?user=alice", { method: "POST" });
      assert.ok(browser.session, "registered without Fetch Metadata");
      clock.advance(6 * MINUTE);
      assert.equal((await browser.fetch("/read")).status, 200);
      assert.equal(browser.refreshes, 1);
      const crossSite = { "sec-fetch-site": "cross-site" };
      const forged = await request(`${server.url}/count`, {
        method: "POST",
        cookie: browser.jar.header(),
        headers: crossSite,
      });
      assert.equal(forged.status, 403);
      assert.equal(JSON.parse(forged.body).error, "csrf-refused");
      const lookalike = await request(`${server.url}/dbsc/refresh/x`, {
        method: "POST",
        cookie: browser.jar.header(),
        headers: crossSite,
      });
      assert.equal(JSON.parse(lookalike.body).error, "csrf-refused");
    } finally {
      await server.close();
      await sessions.close();
    }
  });
});
