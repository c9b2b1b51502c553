// A request that loaded a session just before another request rotated it writes to the token it
// loaded, which is now a pointer to the successor. The write must reach the live session, and
// must not move the pointer's end of grace (the old token would keep working past its window).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
const GRACE = 30_000;

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

const request = (sessions: Sessions, token: string) =>
  sessions.load({ cookie: `${COOKIE}=${token}` });

describe("a write that lands on a token rotated away in flight", () => {
  it("goes to the live successor, sends no old cookie, and leaves the old token's grace window as it was", async () => {
    const clock = fakeClock();
    const store = memoryStore();
    const options = {
      secrets: [testSecret()],
      store,
      now: clock.now,
      rotationGrace: GRACE,
      idleTimeout: "1d",
      absoluteTimeout: "30d",
    } as const;
    // Two processes sharing a store: only the second one's rotation period has passed, so the
    // first one's request makes a plain write while the second one rotates.
    const slow = createSessions({ ...options, rotateEvery: "1d" });
    const rotating = createSessions({ ...options, rotateEvery: 10 * MINUTE });

    const first = await slow.load({});
    await first.login("alice", { persistent: true });
    const old = cookieOf((await slow.commit(first))?.setCookie) as string;
    clock.advance(11 * MINUTE);

    const writer = await request(slow, old);
    const rotator = await request(rotating, old);
    const rotatedAt = clock.now();
    const next = cookieOf((await rotating.commit(rotator))?.setCookie);
    assert.ok(next !== undefined && next !== old, "the second request rotated the token");

    writer.set("fromWriter" as never, 1 as never);
    const written = await slow.commit(writer);
    assert.notEqual(cookieOf(written?.setCookie), old, "the old token is not sent over the new");

    const live = await request(slow, next);
    assert.equal(live.userId, "alice");
    assert.equal(live.get("fromWriter" as never), 1, "the write reached the live session");

    clock.advance(rotatedAt + GRACE - 1 - clock.now());
    assert.equal((await request(slow, old)).userId, "alice", "inside its window");
    clock.advance(1);
    assert.equal((await request(slow, old)).userId, null, "the window did not move");
  });
});
