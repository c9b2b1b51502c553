// A thief holding only the long-lived session cookie must not be able to move a session to his
// own device: not by registering again once it is bound (even with a challenge he obtained from
// the refresh endpoint, knowing the DBSC session id), not by fishing a registration challenge
// out of any other request before it is bound. The real device keeps its binding throughout.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DbscBrowser, deviceKey, parseChallenge, proof } from "./client.ts";
import { DEVICE_BOUND, SESSION_COOKIE } from "./flow.ts";

const clock = fakeClock();
let server: RunningServer;
const sessions = createSessions<AppSession>({
  secrets: [testSecret()],
  store: memoryStore(),
  now: clock.now,
  deviceBound: DEVICE_BOUND,
});

before(async () => {
  server = await (mounts.express as NonNullable<typeof mounts.express>)(sessions);
});
after(async () => {
  await server.close();
  await sessions.close();
});

const post = (path: string, cookie: string, headers: Record<string, string> = {}) =>
  request(`${server.url}${path}`, { method: "POST", cookie, headers });

describe("a cookie thief cannot rebind the session to his device", () => {
  it("once bound: registration refused whatever challenge he signs; the device keeps working", async () => {
    const victim = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
    await victim.fetch("/login?user=alice", { method: "POST" });
    assert.ok(victim.session, "registered");
    const stolen = victim.jar.header([SESSION_COOKIE]) as string;
    const id = `"${victim.session.id}"`;
    const thiefKey = await deviceKey("ES256");

    // Worst case: he knows the DBSC session id (malware read the browser's profile) and gets a
    // refresh challenge, then offers it, signed with his key, at the registration endpoint.
    const asked = await post("/dbsc/refresh", stolen, { "sec-secure-session-id": id });
    assert.equal(asked.status, 403);
    const challenge = parseChallenge(asked.headers.get("secure-session-challenge"));
    assert.ok(challenge);
    const signed = `"${await proof(thiefKey, challenge.challenge, true)}"`;
    const rebind = await post("/dbsc/register", stolen, { "secure-session-response": signed });
    assert.equal(rebind.status, 400);
    assert.equal(JSON.parse(rebind.body).reason, "already-bound");
    assert.ok(
      !rebind.setCookies.some((line) => line.startsWith("__Host-dbsc=")),
      "no bound cookie",
    );
    // At the refresh endpoint his key proves nothing either.
    const refresh = await post("/dbsc/refresh", stolen, {
      "sec-secure-session-id": id,
      "secure-session-response": `"${await proof(thiefKey, challenge.challenge, false)}"`,
    });
    assert.equal(refresh.status, 400);
    assert.equal(JSON.parse(refresh.body).reason, "signature-invalid");
    // Still refused at the application.
    assert.equal((await request(`${server.url}/read`, { cookie: stolen })).status, 403);

    // The victim's device is still the one bound: it refreshes with its own key.
    clock.advance(6 * MINUTE);
    const read = await victim.fetch("/read");
    assert.equal(read.status, 200);
    assert.equal(JSON.parse(read.body).userId, "alice");
    assert.equal(victim.refreshes, 1);
  });

  it("before binding: no request but the login answer carries a registration challenge", async () => {
    // A browser without DBSC: logged in, never registers, so the session stays unbound.
    const login = await request(`${server.url}/login?user=bob`, { method: "POST" });
    assert.ok(login.headers.get("secure-session-registration"), "offered to the login answer");
    const stolen = (login.setCookies[0] as string).split(";")[0] as string;
    const thiefKey = await deviceKey("ES256");
    for (const reply of [
      await request(`${server.url}/read`, { cookie: stolen }),
      await post("/count", stolen, { "sec-fetch-site": "same-origin" }),
      await post("/dbsc/refresh", stolen, { "sec-secure-session-id": '"AAAAAAAAAAAAAAAAAAAAAA"' }),
      await post("/dbsc/register", stolen),
    ]) {
      assert.equal(reply.headers.get("secure-session-registration"), null);
      assert.equal(reply.headers.get("secure-session-challenge"), null);
    }
    // His own login's challenge is his session's, not bob's.
    const own = await request(`${server.url}/login?user=mallory`, { method: "POST" });
    const ownChallenge = /challenge="([^"]+)"/.exec(
      own.headers.get("secure-session-registration") ?? "",
    )?.[1];
    assert.ok(ownChallenge);
    const signed = `"${await proof(thiefKey, ownChallenge, true)}"`;
    const reply = await post("/dbsc/register", stolen, { "secure-session-response": signed });
    assert.equal(reply.status, 400);
    assert.equal(JSON.parse(reply.body).reason, "challenge-invalid");
    // Bob's session is still unbound: the plain cookie keeps working.
    assert.equal(
      JSON.parse((await request(`${server.url}/read`, { cookie: stolen })).body).userId,
      "bob",
    );
  });
});
