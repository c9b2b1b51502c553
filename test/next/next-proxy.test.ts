// proxy() with Next's own NextRequest and NextResponse: the housekeeping a page cannot do (it may
// not set cookies) happens here. A navigation refreshes the idle clock and carries the periodic
// rotation's new cookie; the rotated cookie works on the next request, the old one only within
// the grace window; a store that is down is a 503 without a cookie. The built app shows the same
// in next-app.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NextRequest, NextResponse } from "next/server.js";
import { nextSessions } from "../../packages/latchkey/src/adapters/next.ts";
import { createSessions, type SessionEvent } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { fakeClock, MINUTE, SECOND } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const ORIGIN = "https://shop.example";

/** A memory store that can be taken down: every call then fails as a lost connection does. */
/** Also counts the calls that write (everything but reads), to show what was saved. */
function switchableStore(): { store: Store; down(on: boolean): void; writes(): number } {
  const inner = memoryStore();
  let down = false;
  let writes = 0;
  const reads = new Set(["get", "listByUser", "revokedSince", "close"]);
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "close") return value;
      return (...args: unknown[]) => {
        if (down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
        if (!reads.has(String(property))) writes++;
        return value.apply(target, args);
      };
    },
  });
  return { store, down: (on) => (down = on), writes: () => writes };
}

function setup({ rotate = true } = {}) {
  const clock = fakeClock();
  const { store, down, writes } = switchableStore();
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    secrets: [testSecret()],
    store,
    idleTimeout: "30m",
    absoluteTimeout: "12h",
    touchInterval: "1m",
    ...(rotate ? { rotateEvery: "10m", rotationGrace: "20s" } : {}),
    now: clock.now,
    onEvent: (event) => events.push(event),
  });
  const seen: (string | null)[] = [];
  // The example's proxy: signed-out visitors are sent to /signin from /account.
  const proxy = nextSessions(sessions).proxy((request, session) => {
    seen.push(session.userId);
    return session.userId === null && request.nextUrl.pathname.startsWith("/account")
      ? NextResponse.redirect(new URL("/signin", request.url))
      : NextResponse.next();
  });
  return { clock, sessions, proxy, seen, events, down, writes };
}

/** A signed-in session's cookie, as the Server Action that signed in left it. */
async function signedIn(sessions: ReturnType<typeof setup>["sessions"]): Promise<string> {
  const session = await sessions.load({ cookie: null, userAgent: "test" });
  await session.login("ada");
  const headers = await sessions.commit(session);
  assert.ok(headers !== null);
  return cookiePair(headers.setCookie);
}

/** `name=value` of a Set-Cookie line. */
function cookiePair(setCookie: string): string {
  return setCookie.split(";", 1)[0] ?? "";
}

function navigate(
  cookie: string,
  path = "/account",
  method = "GET",
  extra: Record<string, string> = {},
): NextRequest {
  return new NextRequest(`${ORIGIN}${path}`, {
    method,
    headers: { cookie, "user-agent": "test", "sec-fetch-site": "same-origin", ...extra },
  });
}

describe("proxy(): housekeeping on navigations, with Next's NextRequest and NextResponse", () => {
  it("refreshes the idle clock: a user who keeps navigating outlives the first idle deadline", async () => {
    // No periodic rotation here: the same cookie all along, so only the idle clock is at work.
    const { clock, sessions, proxy, seen } = setup({ rotate: false });
    const cookie = await signedIn(sessions);
    // Every 20 minutes a navigation: without the proxy's touches, 30 idle minutes end it.
    for (let step = 0; step < 4; step++) {
      clock.advance(20 * MINUTE);
      const response = await proxy(navigate(cookie, "/"));
      assert.equal(response.headers.get("x-middleware-next"), "1", "the page is rendered");
      assert.equal(seen.at(-1), "ada", `still signed in after ${(step + 1) * 20} minutes`);
      assert.equal(cookieSet(response), null, "a session cookie without Max-Age is not resent");
    }
    const [listed] = await sessions.listSessions("ada");
    assert.equal(listed?.lastSeenAt, clock.now(), "the store saw the last navigation");
  });

  it("does not refresh the idle clock on requests that are not navigations (actions save their own)", async () => {
    const { clock, sessions, proxy, seen } = setup();
    const cookie = await signedIn(sessions);
    clock.advance(20 * MINUTE);
    await proxy(navigate(cookie, "/account", "POST"));
    assert.equal(seen.at(-1), "ada");
    clock.advance(15 * MINUTE);
    const response = await proxy(navigate(cookie));
    assert.equal(seen.at(-1), null, "35 minutes without a navigation: the session idled out");
    assert.equal(response.status, 307);
    assert.equal(new URL(response.headers.get("location") ?? "").pathname, "/signin");
  });

  it("rotates on a navigation once the period is over, carrying the new cookie on NextResponse.next()", async () => {
    const { clock, sessions, proxy, seen, events } = setup();
    const old = await signedIn(sessions);
    clock.advance(5 * MINUTE);
    const early = await proxy(navigate(old));
    assert.equal(cookieSet(early), null, "no rotation before the period");

    clock.advance(5 * MINUTE);
    const rotating = await proxy(navigate(old));
    assert.equal(rotating.headers.get("x-middleware-next"), "1");
    const line = cookieSet(rotating);
    assert.ok(line, "the rotation's cookie is on the proxy's response");
    assert.match(line, /; Secure/);
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; SameSite=Lax/i);
    assert.equal(rotating.headers.get("cache-control"), "no-store");
    const rotated = cookiePair(line);
    assert.notEqual(rotated, old);
    assert.ok(events.some((e) => e.type === "rotated"));

    // The next request with the new cookie: signed in, nothing more to write.
    const next = await proxy(navigate(rotated));
    assert.equal(seen.at(-1), "ada");
    assert.equal(cookieSet(next), null);

    // A request that left with the old cookie before the rotation arrived: let through.
    clock.advance(10 * SECOND);
    await proxy(navigate(old));
    assert.equal(seen.at(-1), "ada", "the old cookie works within the grace window");

    clock.advance(15 * SECOND);
    const late = await proxy(navigate(old));
    assert.equal(seen.at(-1), null, "the old cookie is refused after the grace window");
    assert.equal(late.status, 307);
    await proxy(navigate(rotated));
    assert.equal(seen.at(-1), "ada", "the rotated cookie still works");
  });

  it("carries the rotation on the handler's redirect too, and never rotates on other methods", async () => {
    const { clock, sessions, proxy, seen } = setup();
    const old = await signedIn(sessions);
    clock.advance(11 * MINUTE);
    const post = await proxy(navigate(old, "/account", "POST"));
    assert.equal(
      cookieSet(post),
      null,
      "a Server Action saves its own cookie; the proxy adds none",
    );
    assert.equal(seen.at(-1), "ada");

    // A redirect answered by the proxy's handler still carries the rotation.
    const signedOutRedirect = nextSessions(sessions).proxy(() =>
      NextResponse.redirect(new URL("/elsewhere", ORIGIN)),
    );
    const redirected = await signedOutRedirect(navigate(old));
    assert.equal(redirected.status, 307);
    const line = cookieSet(redirected);
    assert.ok(line);
    assert.notEqual(cookiePair(line), old);
  });

  it("writes nothing on a prefetch, even one its matcher lets through, and rotates on the next navigation", async () => {
    const { clock, sessions, proxy, seen, writes } = setup();
    const cookie = await signedIn(sessions);
    clock.advance(11 * MINUTE); // a touch and a rotation are both due
    const before = writes();
    const prefetches: Record<string, string>[] = [
      { "next-router-prefetch": "1" }, // Next's <Link>
      { "next-router-prefetch": "1", "next-router-segment-prefetch": "/_tree" },
      { purpose: "prefetch" }, // <link rel=prefetch> in older browsers
      { "sec-purpose": "prefetch" }, // speculation rules
      { "sec-purpose": "prefetch;prerender" },
    ];
    for (const headers of prefetches) {
      const response = await proxy(navigate(cookie, "/account", "GET", headers));
      const label = JSON.stringify(headers);
      assert.equal(seen.at(-1), "ada", `${label}: the handler sees the session`);
      assert.equal(response.headers.get("x-middleware-next"), "1", label);
      assert.equal(cookieSet(response), null, `${label}: no rotation's cookie`);
      assert.equal(writes(), before, `${label}: the store is not written`);
    }
    const [listed] = await sessions.listSessions("ada");
    assert.equal(listed?.lastSeenAt, clock.now() - 11 * MINUTE, "prefetches are no activity");

    // A header that only looks alike is a navigation.
    const navigation = await proxy(navigate(cookie, "/account", "GET", { purpose: "prefetching" }));
    assert.ok(cookieSet(navigation), "the navigation rotates");
    assert.ok(writes() > before);
  });

  it("touches the store at most once per touchInterval however often the user navigates", async () => {
    const { clock, sessions, proxy, seen, writes } = setup({ rotate: false });
    const cookie = await signedIn(sessions);
    clock.advance(2 * MINUTE);
    const before = writes();
    await proxy(navigate(cookie, "/"));
    assert.equal(writes(), before + 1, "the first navigation after the interval touches");
    for (let step = 0; step < 5; step++) {
      clock.advance(10 * SECOND);
      await proxy(navigate(cookie, "/"));
      assert.equal(seen.at(-1), "ada");
    }
    assert.equal(writes(), before + 1, "50 seconds of navigations: no second touch");
    clock.advance(10 * SECOND);
    await proxy(navigate(cookie, "/"));
    assert.equal(writes(), before + 2, "a minute after the last touch: the next one");
  });

  it("answers 503 without a cookie when the store is down, for navigations and for actions", async () => {
    const { clock, sessions, proxy, seen, down } = setup();
    const cookie = await signedIn(sessions);
    clock.advance(11 * MINUTE); // a rotation would be due
    down(true);
    for (const method of ["GET", "POST"]) {
      const response = await proxy(navigate(cookie, "/account", method));
      assert.equal(response.status, 503, method);
      assert.equal(response.headers.get("retry-after"), "5");
      assert.equal(response.headers.get("cache-control"), "no-store");
      assert.equal(cookieSet(response), null, method);
      assert.equal(response.headers.get("x-middleware-next"), null, `${method}: not let through`);
    }
    assert.deepEqual(seen, [], "the handler never ran without a session");
    // Back up: the same cookie works (nothing was dropped or overwritten), and it rotates now.
    down(false);
    const response = await proxy(navigate(cookie));
    assert.equal(seen.at(-1), "ada");
    assert.ok(cookieSet(response));
  });

  it("answers 503 when the store fails while saving the rotation (a page never renders with a lost cookie)", async () => {
    const { clock, sessions, proxy, seen, down } = setup();
    const cookie = await signedIn(sessions);
    clock.advance(11 * MINUTE);
    // The load succeeds; the rotation's write fails.
    const failOnSave = nextSessions(sessions).proxy((_request, session) => {
      seen.push(session.userId);
      down(true);
      return NextResponse.next();
    });
    const response = await failOnSave(navigate(cookie));
    assert.equal(seen.at(-1), "ada");
    assert.equal(response.status, 503);
    assert.equal(cookieSet(response), null);
    assert.equal(response.headers.get("x-middleware-next"), null);
    down(false);
    await proxy(navigate(cookie));
    assert.equal(seen.at(-1), "ada", "the old cookie is still the session's");
  });
});

function cookieSet(response: Response): string | null {
  return response.headers.get("set-cookie");
}
