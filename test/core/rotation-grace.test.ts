// Periodic rotation's grace window, over the clock and the order of requests: a rotated-away token
// is accepted only inside its own window and only when it leads to a live session, however many
// rotations followed it and however many writes went through it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { followGrace, liveSuccessor } from "../../packages/latchkey/src/core/claim-chain.ts";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { SessionMeta, StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { fakeClock, HOUR, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
const ROTATE = 10 * MINUTE;
const GRACE = 30_000;

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

/** One request that writes a key through `cookie`; who it was, and the cookie it was given. */
async function writeThrough(sessions: Sessions, cookie: string, key: string) {
  const session = await sessions.load({ cookie: `${COOKIE}=${cookie}` });
  const userId = session.userId;
  if (userId !== null) session.set(key as never, key as never);
  const headers = await sessions.commit(session);
  return { userId, issued: cookieOf(headers?.setCookie) };
}

interface Issued {
  token: string;
  /** When a rotation replaced it, or null while it is the current one. */
  rotatedAt: number | null;
}

const step = fc.record({
  advance: fc.integer({ min: 0, max: 2 * ROTATE }),
  // Negative: the current cookie; otherwise an index into the tokens issued so far.
  present: fc.integer({ min: -3, max: 12 }),
});

describe("rotation grace window", () => {
  it("accepts a rotated-away token iff it is inside its own window; writes never stretch it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const clock = fakeClock();
        const sessions = createSessions({
          secrets: [testSecret()],
          store: memoryStore(),
          now: clock.now,
          rotateEvery: ROTATE,
          rotationGrace: GRACE,
          idleTimeout: "1d",
          absoluteTimeout: "30d",
        });
        const first = await sessions.load({});
        await first.login("alice");
        const tokens: Issued[] = [
          { token: cookieOf((await sessions.commit(first))?.setCookie) as string, rotatedAt: null },
        ];
        for (const [i, { advance, present }] of steps.entries()) {
          clock.advance(advance);
          const now = clock.now();
          const index = present < 0 ? tokens.length - 1 : present % tokens.length;
          const presented = tokens[index] as Issued;
          const { userId, issued } = await writeThrough(sessions, presented.token, `k${i}`);
          const expected = presented.rotatedAt === null || now < presented.rotatedAt + GRACE;
          assert.equal(
            userId === "alice",
            expected,
            `token ${index} (rotated at ${presented.rotatedAt}) at ${now}`,
          );
          if (issued !== undefined && issued !== presented.token) {
            // Only the current token rotates; a grace request never issues a credential.
            assert.equal(presented.rotatedAt, null, "a token reached through grace was rotated");
            presented.rotatedAt = now;
            tokens.push({ token: issued, rotatedAt: null });
          }
        }
        await sessions.close();
      }),
      { numRuns: 60 },
    );
  });
});

/** A memory store holding a chain of rotated-away entries ending in a live one (or nothing). */
async function chain(windows: number[], liveEnd: boolean, now: number) {
  const store = memoryStore();
  const refs = windows.map((_, i) => `ref-${i}`);
  const endRef = `ref-${windows.length}`;
  const meta = (successor: string | null, expiresAt: number): SessionMeta => ({
    sid: "sid",
    createdAt: now - HOUR,
    lastSeenAt: now - MINUTE,
    issuedAt: now - MINUTE,
    expiresAt,
    userId: null,
    authTime: null,
    persistent: false,
    userAgent: null,
    successor,
  });
  if (liveEnd) {
    await store.create(endRef, { secretHash: "h", meta: meta(null, now + HOUR), data: {} });
  }
  for (let i = windows.length - 1; i >= 0; i--) {
    const next = i + 1 < windows.length ? (refs[i + 1] as string) : endRef;
    const entry: StoredSession = {
      secretHash: "h",
      meta: meta(next, now + (windows[i] as number)),
      data: {},
    };
    await store.create(refs[i] as string, entry);
  }
  return { store, first: refs[0] as string, endRef };
}

describe("following a chain of rotated-away tokens", () => {
  it("reaches the live end only when every link is inside its own window", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -GRACE, max: GRACE }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (windows, liveEnd) => {
          const now = Date.now();
          const { store, first, endRef } = await chain(windows, liveEnd, now);
          const start = (await store.get(first)) as StoredSession;
          const reached = await followGrace(store, start, now);
          const expected = liveEnd && windows.every((w) => w > 0);
          assert.equal(reached?.ref ?? null, expected ? endRef : null);
        },
      ),
    );
  });

  it("sends a lost rotation's changes to the live end, never to a pointer", async () => {
    const now = Date.now();
    const { store, first, endRef } = await chain([GRACE, GRACE], true, now);
    assert.equal(await liveSuccessor(store, first, now), endRef);
    assert.equal(await liveSuccessor(store, endRef, now), endRef);
    assert.equal(await liveSuccessor(store, first, now + GRACE), null);
  });
});
