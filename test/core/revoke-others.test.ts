// revokeOthers() means one thing in both modes: every other session of the user ends, and so does
// every copy of the current session's cookie; the current session goes on under the new cookie the
// response carries. On every store, including the races with another holder of the same cookie.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";
import { type MadeStore, targets } from "../stores/support/targets.ts";

const COOKIE = "__Host-session";
const clock = fakeClock();

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

function engine(store: Store | ReturnType<typeof cookieStore>): Sessions {
  return createSessions({
    secrets: [testSecret()],
    store,
    now: clock.now,
    rotateEvery: "10m",
    rotationGrace: "10s",
  });
}

async function loginAs(sessions: Sessions, userId: string): Promise<string> {
  const session = await sessions.load({});
  await session.login(userId);
  return cookieOf((await sessions.commit(session))?.setCookie) as string;
}

async function whoIs(sessions: Sessions, cookie: string): Promise<string | null> {
  return (await sessions.load({ cookie: `${COOKIE}=${cookie}` })).userId;
}

/** revokeOthers() from the session of `cookie`: how many it removed and the cookie it was given. */
async function revokeOthersFrom(sessions: Sessions, cookie: string) {
  const session = await sessions.load({ cookie: `${COOKIE}=${cookie}` });
  const removed = await sessions.revokeOthers(session);
  return { removed, issued: cookieOf((await sessions.commit(session))?.setCookie) as string };
}

const made: MadeStore[] = [];
after(async () => {
  for (const m of made) await m.cleanup();
});

for (const target of targets.filter((t) => t.name !== "redis cluster")) {
  describe(`revokeOthers() on ${target.name}`, async () => {
    const skip = (await target.unavailable()) ?? false;

    it("ends the other sessions and every copy of this one; the new cookie goes on", {
      skip,
    }, async () => {
      const m = await target.make();
      made.push(m);
      const sessions = engine(m.store);
      const laptop = await loginAs(sessions, "alice");
      const phone = await loginAs(sessions, "alice");
      const bob = await loginAs(sessions, "bob");
      const copy = laptop; // taken before revokeOthers, e.g. by malware

      const { removed, issued } = await revokeOthersFrom(sessions, laptop);
      assert.equal(removed, 1);
      assert.ok(issued !== undefined && issued !== laptop, "the response carries a new cookie");
      assert.equal(await whoIs(sessions, issued), "alice");
      assert.equal(await whoIs(sessions, copy), null, "a copy of the current cookie");
      assert.equal(await whoIs(sessions, phone), null, "the other device");
      assert.equal(await whoIs(sessions, bob), "bob", "another user");
    });

    it("a rotation by another holder of the cookie, before or after, leaves only the new cookie", {
      skip,
    }, async () => {
      const m = await target.make();
      made.push(m);
      const sessions = engine(m.store);
      const laptop = await loginAs(sessions, "alice");
      clock.advance(11 * MINUTE); // the next writes rotate periodically

      // The copy's request rotates first: revokeOthers() then replaces the rotation's successor.
      const copyRequest = await sessions.load({ cookie: `${COOKIE}=${laptop}` });
      copyRequest.set("from" as never, "copy" as never);
      const rotated = cookieOf((await sessions.commit(copyRequest))?.setCookie) as string;
      assert.ok(rotated !== undefined && rotated !== laptop);
      const ours = await sessions.load({ cookie: `${COOKIE}=${laptop}` }); // inside the grace window
      // Another request of the copy, loaded before revokeOthers() and committed after it.
      const late = await sessions.load({ cookie: `${COOKIE}=${rotated}` });
      await sessions.revokeOthers(ours);
      const issued = cookieOf((await sessions.commit(ours))?.setCookie) as string;
      late.set("late" as never, true as never);
      clock.advance(11 * MINUTE);
      const lateCookie = cookieOf((await sessions.commit(late))?.setCookie);

      assert.equal(await whoIs(sessions, issued), "alice");
      assert.equal(await whoIs(sessions, laptop), null);
      assert.equal(await whoIs(sessions, rotated), null);
      if (lateCookie !== undefined) assert.equal(await whoIs(sessions, lateCookie), null);
      const survivor = await sessions.load({ cookie: `${COOKIE}=${issued}` });
      assert.equal(survivor.get("from" as never), "copy", "the rotation's write was kept");
    });
  });
}

describe("revokeOthers() on sealed cookies with a revocation store", () => {
  it("a copy of the current cookie taken before no longer authenticates; the response's does", async () => {
    const sessions = engine(cookieStore({ revocation: memoryStore() }));
    const laptop = await loginAs(sessions, "alice");
    const phone = await loginAs(sessions, "alice");
    clock.advance(1);
    const { issued } = await revokeOthersFrom(sessions, laptop);
    assert.ok(issued !== undefined && issued !== laptop);
    assert.equal(await whoIs(sessions, issued), "alice");
    assert.equal(await whoIs(sessions, laptop), null);
    assert.equal(await whoIs(sessions, phone), null);
  });
});
