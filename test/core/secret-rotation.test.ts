// Rotating the configured secrets without logging anybody out, in server-store mode: a token
// whose id was minted under an older secret is re-issued under the newest on its next request,
// through the same claim as periodic rotation, so the old secret can later be removed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SessionEvent } from "../../packages/latchkey/src/core/events.ts";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { fakeClock, SECOND } from "../helpers/clock.ts";
import { countingStore } from "../helpers/counting-store.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
type Values = Record<string, unknown>;

/** The session cookie value a response sets, or undefined when it sets none. */
function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

/** One request: load with `token`, act, prepare and persist; the cookie the response sets. */
async function request(
  sessions: Sessions<Values>,
  token: string | undefined,
  act: (session: Awaited<ReturnType<Sessions<Values>["load"]>>) => Promise<void> | void = () => {},
) {
  const session = await sessions.load(token === undefined ? {} : { cookie: `${COOKIE}=${token}` });
  await act(session);
  const pending = sessions.prepare(session);
  await pending.persist();
  return { session, cookie: cookieOf(pending.headers?.setCookie) };
}

/** A deployment of the app over one shared store, configured with `secrets`. */
function deploy(store: Store, secrets: string[], clock = fakeClock(), events: SessionEvent[] = []) {
  return createSessions<Values>({
    secrets,
    store,
    now: clock.now,
    onEvent: (event) => events.push(event),
  });
}

/** Alice logged in under `secret`, with a value in her session: her cookie. */
async function loggedInUnder(store: Store, secret: string, clock = fakeClock()) {
  const login = await request(deploy(store, [secret], clock), undefined, async (session) => {
    await session.login("alice");
    session.set("theme", "dark");
  });
  return login.cookie as string;
}

describe("secret rotation, server store", () => {
  it("re-issues a token minted under an older secret; the new one outlives the old secret", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const store = memoryStore();
    const clock = fakeClock();
    const underA = await loggedInUnder(store, a, clock);
    const createdAt = (await request(deploy(store, [a], clock), underA)).session.createdAt;

    clock.advance(SECOND);
    const events: SessionEvent[] = [];
    const reissued = await request(deploy(store, [b, a], clock, events), underA);
    assert.ok(reissued.cookie, "a read-only request under an older secret sets a new cookie");
    assert.notEqual(reissued.cookie, underA);
    const rotated = events.find((e) => e.type === "rotated");
    assert.equal(rotated?.reason, "secret-rotation");

    clock.advance(SECOND);
    const onlyB = deploy(store, [b], clock);
    const after = await request(onlyB, reissued.cookie);
    assert.equal(after.session.userId, "alice");
    assert.equal(after.session.get("theme"), "dark", "values moved with the session");
    assert.equal(after.session.createdAt, createdAt, "the absolute clock did not restart");
    assert.equal(after.cookie, undefined, "a token under the newest secret is not re-issued");
    assert.equal((await request(onlyB, underA)).session.userId, null, "old token refused");
  });

  it("keeps the old token working for the grace window only", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const store = memoryStore();
    const clock = fakeClock();
    const underA = await loggedInUnder(store, a, clock);
    const both = deploy(store, [b, a], clock);
    const first = await request(both, underA);

    clock.advance(10 * SECOND);
    const inFlight = await request(both, underA);
    assert.equal(inFlight.session.userId, "alice", "a request in flight still reaches the session");
    assert.equal(inFlight.cookie, undefined, "and does not re-issue the successor again");

    clock.advance(30 * SECOND);
    assert.equal((await request(both, underA)).session.userId, null, "grace window over");
    assert.equal((await request(both, first.cookie)).session.userId, "alice");
  });

  it("re-issues with the request's own changes and persistent flag", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const store = memoryStore();
    const clock = fakeClock();
    const underA = await loggedInUnder(store, a, clock);
    const both = deploy(store, [b, a], clock);
    const changed = await request(both, underA, (session) => {
      session.set("cart", ["sku-1"]);
      session.persistent = true;
    });
    const later = await request(deploy(store, [b], clock), changed.cookie);
    assert.deepEqual(later.session.get("cart"), ["sku-1"]);
    assert.equal(later.session.persistent, true);
  });

  it("two requests racing with the old token: one successor, both writes kept", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const store = memoryStore();
    const clock = fakeClock();
    const underA = await loggedInUnder(store, a, clock);
    const both = deploy(store, [b, a], clock);
    const [one, two] = await Promise.all([
      both.load({ cookie: `${COOKIE}=${underA}` }),
      both.load({ cookie: `${COOKIE}=${underA}` }),
    ]);
    one.set("one", 1);
    two.set("two", 2);
    const pendings = [both.prepare(one), both.prepare(two)];
    await Promise.all(pendings.map((pending) => pending.persist()));
    const cookies = pendings.map((p) => cookieOf(p.headers?.setCookie)).filter(Boolean);
    assert.equal(cookies.length, 1, "only the claim's winner sends a new token");

    const live = (await store.listByUser("alice")).filter((e) => e.meta.successor === null);
    assert.equal(live.length, 1, "the session did not fork");
    const after = await request(deploy(store, [b], clock), cookies[0]);
    assert.equal(after.session.get("one"), 1);
    assert.equal(after.session.get("two"), 2);
  });

  it("costs nothing extra for a read-only request under the newest secret", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const counted = countingStore(memoryStore());
    const clock = fakeClock();
    const underA = await loggedInUnder(counted.store, a, clock);
    const both = deploy(counted.store, [b, a], clock);
    const { cookie: underB } = await request(both, underA);

    counted.reset();
    const readOnly = await request(both, underB);
    assert.equal(readOnly.session.userId, "alice");
    assert.equal(readOnly.cookie, undefined);
    assert.deepEqual(counted.calls, { get: 1, create: 0, update: 0, delete: 0 });
  });

  it("re-issues a token of an anonymous session too", async () => {
    const [a, b] = [testSecret(), testSecret()];
    const store = memoryStore();
    const clock = fakeClock();
    const created = await request(deploy(store, [a], clock), undefined, (session) => {
      session.set("theme", "light");
    });
    const reissued = await request(deploy(store, [b, a], clock), created.cookie);
    const after = await request(deploy(store, [b], clock), reissued.cookie);
    assert.equal(after.session.isNew, false);
    assert.equal(after.session.get("theme"), "light");
  });
});
