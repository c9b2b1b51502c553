// Sealed cookie sessions carry their binding inside the seal, so the seal the login answered with
// (before the browser registered) says nothing of a binding. A copy of it — a HAR file of the
// login, a proxy log, an infostealer that ran during sign-in — must not stay a way around DBSC:
// registration retires every earlier seal of the session, after the rotation grace window that
// spares the browser's own requests already in flight.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock } from "../helpers/clock.ts";
import { request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, deviceKey } from "./client.ts";
import { DEVICE_BOUND, SESSION_COOKIE } from "./flow.ts";

describe("sealed cookie sessions: the seal from before registration", () => {
  it("works through the grace window only, then is no session; the bound browser goes on", async () => {
    const clock = fakeClock();
    const sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: cookieStore({ revocation: memoryStore() }),
      now: clock.now,
      rotationGrace: "30s",
      deviceBound: DEVICE_BOUND,
    });
    const server = await (mounts.express as NonNullable<typeof mounts.express>)(sessions);
    try {
      const login = await request(`${server.url}/login?user=alice`, { method: "POST" });
      const preBinding = (login.setCookies[0] as string).split(";")[0] as string;
      assert.ok(preBinding.startsWith(`${SESSION_COOKIE}=`));
      // The browser registers with the challenge of that same login answer.
      const browser = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
      browser.jar.take(login);
      const offer = /challenge="([^"]+)"/.exec(
        login.headers.get("secure-session-registration") ?? "",
      )?.[1];
      assert.ok(offer);
      const registered = await browser.register({
        path: DEVICE_BOUND.registrationPath,
        challenge: offer,
      });
      assert.equal(registered.status, 200);
      assert.notEqual(browser.jar.header([SESSION_COOKIE]), preBinding, "a new seal");

      // In flight at registration (the page the login redirected to): still served, and told
      // nothing that would clear the browser's newer cookie.
      const inFlight = await request(`${server.url}/read`, { cookie: preBinding });
      assert.equal(JSON.parse(inFlight.body).userId, "alice");
      assert.ok(!inFlight.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=`)));

      // Past the grace window the copy is no session at all.
      clock.advance(31_000);
      const copy = await request(`${server.url}/read`, { cookie: preBinding });
      const who = copy.status === 200 ? JSON.parse(copy.body).userId : null;
      assert.equal(who, null, `status ${copy.status}`);

      // The bound browser is unaffected.
      const read = await browser.fetch("/read");
      assert.equal(read.status, 200);
      assert.equal(JSON.parse(read.body).userId, "alice");
    } finally {
      await server.close();
      await sessions.close();
    }
  });
});
