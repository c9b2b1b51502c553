// The DBSC scenario every adapter and every store must pass, over real HTTP: login offers
// registration, a DBSC browser registers and keeps working across refreshes, and the session
// cookie alone — copied to another machine — is refused.
import assert from "node:assert/strict";
import { MINUTE } from "../helpers/clock.ts";
import { request } from "../helpers/http.ts";
import { type Alg, DbscBrowser, deviceKey, parseRegistration } from "./client.ts";

export const DEVICE_BOUND = {
  registrationPath: "/dbsc/register",
  refreshPath: "/dbsc/refresh",
  boundCookieLifetime: "5m",
} as const;

export const SESSION_COOKIE = "__Host-session";
export const BOUND_COOKIE = "__Host-dbsc";

export async function runBoundScenario(
  base: string,
  clock: { now: () => number; advance(ms: number): void },
  alg: Alg,
): Promise<void> {
  const browser = new DbscBrowser(base, await deviceKey(alg), clock.now);

  // An anonymous request is untouched and offers nothing.
  const anonymous = await browser.fetch("/read");
  assert.equal(anonymous.status, 200);
  assert.equal(anonymous.headers.get("secure-session-registration"), null);

  // Login: the response offers registration with both algorithms and a challenge; the client
  // registers at once, as Chrome does.
  const login = await browser.fetch("/login?user=alice", { method: "POST" });
  assert.equal(login.status, 200);
  const offer = parseRegistration(login.headers.get("secure-session-registration"));
  assert.ok(offer, `offer: ${login.headers.get("secure-session-registration")}`);
  assert.deepEqual(offer.algorithms, ["ES256", "RS256"]);
  assert.ok(browser.session, "registered");
  assert.equal(browser.session.refreshUrl, "/dbsc/refresh");
  assert.equal(browser.session.cookieName, BOUND_COOKIE);
  assert.ok(browser.jar.has(BOUND_COOKIE), "bound cookie set at registration");

  // The browser with both cookies works.
  const read = await browser.fetch("/read");
  assert.equal(read.status, 200);
  assert.equal(JSON.parse(read.body).userId, "alice");

  // The session cookie alone (stolen) is refused, and its holder is told to drop it.
  const stolen = browser.jar.header([SESSION_COOKIE]);
  assert.ok(stolen);
  const thief = await request(`${base}/read`, { cookie: stolen });
  assert.equal(thief.status, 403);
  assert.deepEqual(JSON.parse(thief.body), {
    error: "device-bound-refused",
    reason: "bound-cookie-missing",
  });
  assert.ok(
    thief.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=;`)),
    "session cookie expired",
  );

  // The victim is unaffected by the thief's attempt.
  assert.equal((await browser.fetch("/read")).status, 200);

  // Past the bound cookie's lifetime: the browser refreshes (403 + challenge, signed retry) and
  // goes on; a copy of both cookies taken before is dead.
  const copied = browser.jar.header();
  clock.advance(6 * MINUTE);
  const afterExpiry = await browser.fetch("/read");
  assert.equal(browser.refreshes, 1);
  assert.equal(afterExpiry.status, 200);
  assert.equal(JSON.parse(afterExpiry.body).userId, "alice");
  const late = await request(`${base}/read`, { cookie: copied });
  assert.equal(late.status, 403);
  assert.equal(JSON.parse(late.body).reason, "bound-cookie-expired");

  // Several lifetimes in a row: one refresh each.
  for (let i = 0; i < 3; i++) {
    clock.advance(6 * MINUTE);
    assert.equal((await browser.fetch("/count", { method: "POST" })).status, 200);
  }
  assert.equal(browser.refreshes, 4);

  // Logout ends the binding: the refresh endpoint no longer knows the session (401 ends the
  // browser's DBSC session, as the spec says for a 4xx other than 403).
  assert.equal((await browser.fetch("/logout", { method: "POST" })).status, 200);
  clock.advance(6 * MINUTE);
  const refresh = await browser.refresh();
  assert.equal(refresh.status, 401);
  assert.equal(browser.session, null);
  const anonymousAgain = await browser.fetch("/read");
  assert.equal(anonymousAgain.status, 200);
  assert.equal(JSON.parse(anonymousAgain.body).userId, null);
}
