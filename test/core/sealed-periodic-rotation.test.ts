// Periodic rotation of a sealed cookie with a revocation store: the pre-rotation cookie (and every
// copy of it) ends when its grace window does, requests in flight during the rotation are not
// logged out, and a revocation after the rotation ends the old and the new cookie at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
const ROTATE = 10 * MINUTE;
const GRACE = 30_000;

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

/** A sealed-cookie app whose marks live in a memory store that counts mark lookups. */
function app() {
  const clock = fakeClock();
  const marks = memoryStore();
  const lookups = { count: 0 };
  const revocation = {
    ...marks,
    revokedSince(keys: readonly string[]) {
      lookups.count++;
      return marks.revokedSince(keys);
    },
  };
  const sessions = createSessions({
    secrets: [testSecret()],
    store: cookieStore({ revocation }),
    now: clock.now,
    rotateEvery: ROTATE,
    rotationGrace: GRACE,
    idleTimeout: "1d",
    absoluteTimeout: "30d",
  });
  return { clock, sessions, lookups };
}

const open = (sessions: Sessions, cookie: string) =>
  sessions.load({ cookie: `${COOKIE}=${cookie}` });

/** Alice logs in, the rotation period passes, and a request rotates her cookie. */
async function rotated() {
  const { clock, sessions, lookups } = app();
  const first = await sessions.load({});
  await first.login("alice");
  const old = cookieOf((await sessions.commit(first))?.setCookie) as string;
  clock.advance(ROTATE + MINUTE);
  const rotating = await open(sessions, old);
  const next = cookieOf((await sessions.commit(rotating))?.setCookie);
  assert.ok(next !== undefined && next !== old, "the request rotated the cookie");
  return { clock, sessions, lookups, old, next, rotatedAt: clock.now() };
}

describe("sealed cookies: periodic rotation with a revocation store", () => {
  it("a copy of the pre-rotation cookie stops working when its grace window ends", async () => {
    const { clock, sessions, old, next, rotatedAt } = await rotated();
    clock.advance(rotatedAt + GRACE - 1 - clock.now());
    assert.equal((await open(sessions, old)).userId, "alice", "inside the window");
    clock.advance(1);
    assert.equal((await open(sessions, old)).userId, null, "after the window");
    assert.equal((await open(sessions, next)).userId, "alice", "the new cookie lives on");
  });

  it("inside the grace window a request with the old cookie is served and sends no seal", async () => {
    const { clock, sessions, old, next } = await rotated();
    clock.advance(GRACE / 2);
    const late = await open(sessions, old);
    assert.equal(late.userId, "alice", "not logged out");
    late.set("late" as never, 1 as never);
    assert.equal(await sessions.commit(late), null, "no new seal, no cleared cookie");
    assert.equal((await open(sessions, next)).userId, "alice");
  });

  it("a request loaded before the rotation and committed after it is not logged out", async () => {
    const { clock, sessions } = app();
    const first = await sessions.load({});
    await first.login("alice");
    const old = cookieOf((await sessions.commit(first))?.setCookie) as string;
    clock.advance(ROTATE + MINUTE);
    const [a, b] = [await open(sessions, old), await open(sessions, old)];
    const fromA = cookieOf((await sessions.commit(a))?.setCookie) as string;
    clock.advance(5);
    const fromB = cookieOf((await sessions.commit(b))?.setCookie) as string;
    assert.ok(fromA && fromB && fromA !== old && fromB !== old, "both rotated");
    clock.advance(GRACE);
    assert.equal((await open(sessions, fromA)).userId, "alice", "the first rotation's cookie");
    assert.equal((await open(sessions, fromB)).userId, "alice", "the second rotation's cookie");
    assert.equal((await open(sessions, old)).userId, null, "the rotated-away cookie");
  });

  it("logout after a periodic rotation ends the old and the new cookie at once", async () => {
    const { clock, sessions, old, next } = await rotated();
    clock.advance(1_000);
    const leaving = await open(sessions, next);
    await leaving.logout();
    await sessions.commit(leaving);
    assert.equal((await open(sessions, next)).userId, null, "the new cookie");
    assert.equal((await open(sessions, old)).userId, null, "the old one, inside its window");
  });

  it("revokeUser() after a periodic rotation ends the old and the new cookie", async () => {
    const { clock, sessions, old, next } = await rotated();
    clock.advance(1_000);
    await sessions.revokeUser("alice");
    assert.equal((await open(sessions, next)).userId, null, "the new cookie");
    assert.equal((await open(sessions, old)).userId, null, "the old one, inside its window");
  });

  it("a request with the current cookie still checks the marks in one round trip", async () => {
    const { clock, sessions, lookups, next } = await rotated();
    clock.advance(1_000);
    lookups.count = 0;
    const session = await open(sessions, next);
    assert.equal(session.userId, "alice");
    assert.equal(await sessions.commit(session), null);
    assert.equal(lookups.count, 1);
  });
});
