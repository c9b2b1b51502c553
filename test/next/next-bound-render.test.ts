// latchkey/next with deviceBound: a Server Action that rotates a bound session, then the page
// Next renders in the same request. That render loads the session from the Cookie header the
// request came with, the session cookie's value replaced by the one the action set
// (sessionCookieHeader); the bound cookie the browser sent must stay in it, or the rotated (still
// bound) session is seen signed out. The session is bound for real: a DBSC client registers
// through route(), served over HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sessionCookieHeader } from "../../packages/latchkey/src/adapters/next/request-cookie.ts";
import { nextSessions } from "../../packages/latchkey/src/adapters/next.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fetchServer } from "../adapters/web-servers.ts";
import { DbscBrowser, deviceKey } from "../dbsc/client.ts";
import { BOUND_COOKIE, DEVICE_BOUND, SESSION_COOKIE } from "../dbsc/flow.ts";
import { fakeClock } from "../helpers/clock.ts";
import { type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const clock = fakeClock();
const sessions = createSessions({
  secrets: [testSecret()],
  store: memoryStore(),
  now: clock.now,
  deviceBound: DEVICE_BOUND,
});
const next = nextSessions(sessions);
let server: RunningServer;

before(async () => {
  // One catch-all route handler, as docs/dbsc.md tells Next apps to mount the DBSC endpoints.
  const handler = next.route(
    async (req, session) => {
      if (new URL(req.url).pathname === "/login") await session.login("alice");
      return Response.json({ userId: session.userId });
    },
    { csrf: false },
  );
  server = await fetchServer(handler);
});
after(async () => {
  await server.close();
  await sessions.close();
});

/** What `cookies().get(name)` holds after the action saved the Set-Cookie line. */
const cookieValue = (line: string) => line.slice(line.indexOf("=") + 1).split(";")[0] as string;

describe("latchkey/next: the render after a Server Action rotated a bound session", () => {
  it("sees the user signed in, and the session cookie alone is still refused", async () => {
    const browser = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
    await browser.fetch("/login", { method: "POST" });
    assert.ok(browser.session, "registered");
    const raw = browser.jar.header() as string;
    assert.ok(raw.includes(`${BOUND_COOKIE}=`));

    // cookies() at the start of the request: the value the browser sent.
    const current = cookieValue(
      raw.split("; ").find((p) => p.startsWith(`${SESSION_COOKIE}=`)) ?? "",
    );
    // The Server Action: loads from the request's header, rotates, saves (cookies().set()).
    const action = await sessions.load({
      cookie: sessionCookieHeader(raw, SESSION_COOKIE, current),
      userAgent: null,
    });
    assert.equal(action.userId, "alice");
    await action.rotate();
    const saved = await sessions.commit(action);
    assert.ok(saved !== null);
    const rotated = cookieValue(saved.setCookie);
    assert.notEqual(rotated, "");

    // The render in the same request: frozen raw header, cookies() with the new value.
    const render = await sessions.load({
      cookie: sessionCookieHeader(raw, SESSION_COOKIE, rotated),
      userAgent: null,
    });
    assert.equal(render.userId, "alice");

    // Still bound: the new session cookie without the bound cookie is refused.
    const alone = await request(`${server.url}/read`, { cookie: `${SESSION_COOKIE}=${rotated}` });
    assert.equal(alone.status, 403);
    assert.equal(JSON.parse(alone.body).reason, "bound-cookie-missing");
    const alsoAlone = await sessions.load({
      cookie: `${SESSION_COOKIE}=${rotated}`,
      userAgent: null,
    });
    assert.equal(alsoAlone.userId, null);
  });
});
