// Property tests over interleavings, on the memory store: every store call of every request is a
// scheduled promise, and fast-check chooses the order in which they resolve. Requests: rotating
// writes (rotateEvery 1 ms, each writing its own key), and optionally a logout and a revokeUser,
// all starting from the same logged-in cookie. Invariants once everything settled: at most one
// live session in the chain; nothing live after a revocation; no write lost.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
type Values = Record<string, unknown>;

/** `store` with every operation resolving only when the scheduler says so. */
function scheduled(store: Store, s: fc.Scheduler): Store {
  const wrapped: Record<string, unknown> = { kind: "server" };
  for (const name of Object.keys(store) as (keyof Store)[]) {
    const value = store[name];
    if (typeof value === "function") {
      wrapped[name] = s.scheduleFunction((...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(store, args),
      );
    }
  }
  return wrapped as unknown as Store;
}

/** The session cookie value of a commit's headers, if it sets one. */
function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

/** One request: load with `cookie`, act, commit; the cookie the response sets, if any. */
async function requestWith(
  sessions: Sessions<Values>,
  cookie: string,
  act: (session: Awaited<ReturnType<Sessions<Values>["load"]>>) => Promise<void> | void,
): Promise<string | undefined> {
  const session = await sessions.load({ cookie: `${COOKIE}=${cookie}` });
  await act(session);
  const pending = sessions.prepare(session);
  await pending.persist();
  return cookieOf(pending.headers?.setCookie);
}

const scenario = fc.record({
  writes: fc.integer({ min: 1, max: 3 }),
  logout: fc.boolean(),
  revokeUser: fc.boolean(),
});

describe("interleavings of rotation, writes, logout and revokeUser (memory store)", () => {
  it("at most one live successor, nothing live after a revocation, no lost write", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenario, async (s, { writes, logout, revokeUser }) => {
        const raw = memoryStore();
        // A day ahead of the real clock: the memory store sweeps expired entries by the real
        // clock, and a loaded machine must not let it sweep a pointer inside its 2 ms grace window
        // (fake time) while a competing rotation still has to find it.
        let time = Date.now() + 86_400_000;
        const options = { secrets: [testSecret()], now: () => time };
        // The checks go through an engine on the unscheduled store, which never rotates.
        const setup = createSessions<Values>({ ...options, store: raw });
        const racing = createSessions<Values>({
          ...options,
          store: scheduled(raw, s),
          // Due on every request below; the grace window (shorter, as it must be) covers them all.
          rotateEvery: 5,
          rotationGrace: 2,
        });
        const first = await setup.load({});
        await first.login("alice");
        const committed = await setup.commit(first);
        const original = cookieOf(committed?.setCookie) as string;
        time += 10; // every racing request is due to rotate

        const keys = Array.from({ length: writes }, (_, i) => `k${i}`);
        const tasks: Promise<string | undefined>[] = keys.map((key) =>
          requestWith(racing, original, (session) => session.set(key, key)),
        );
        if (logout)
          tasks.push(
            requestWith(racing, original, async (session) => {
              await session.logout();
            }),
          );
        if (revokeUser) tasks.push(racing.revokeUser("alice").then(() => undefined));
        const issued = await s.waitFor(Promise.all(tasks));

        const live = (await raw.listByUser("alice")).filter((e) => e.meta.expiresAt > time);
        assert.ok(live.length <= 1, `${live.length} live sessions in one chain\n${s.report()}`);
        const cookies = [original, ...issued.filter((c) => c !== undefined)];
        for (const cookie of cookies) {
          const seen = await setup.load({ cookie: `${COOKIE}=${cookie}` });
          if (logout || revokeUser) {
            assert.equal(seen.userId, null, `a cookie survived the revocation\n${s.report()}`);
            continue;
          }
          assert.equal(seen.userId, "alice", `a cookie handed out is dead\n${s.report()}`);
          for (const key of keys) assert.equal(seen.get(key), key, `lost ${key}\n${s.report()}`);
        }
        if (logout || revokeUser)
          assert.equal(live.length, 0, `alive after revocation\n${s.report()}`);
        else assert.equal(live.length, 1, `no live session\n${s.report()}`);
      }),
      { numRuns: 150 },
    );
  });
});
