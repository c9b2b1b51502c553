// The lifecycle policy both modes share, checked as pure functions over generated configurations,
// sessions and clocks: what a request may keep, and what its end must do.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type CommitFacts,
  createdMeta,
  judgeLoaded,
  keepsSession,
  type LifecycleConfig,
  planCommit,
  rotatedMeta,
} from "../../packages/latchkey/src/core/policy.ts";
import type { SessionMeta } from "../../packages/latchkey/src/stores/types.ts";

const DAY = 86_400_000;

const config: fc.Arbitrary<LifecycleConfig> = fc
  .record({
    idleMs: fc.integer({ min: 2, max: 30 * DAY }),
    extraAbsolute: fc.integer({ min: 0, max: 370 * DAY }),
    touchFraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    rotateMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 * DAY })),
    graceMs: fc.integer({ min: 1, max: 60_000 }),
    userAgentBinding: fc.constantFrom("off", "event", "end") as fc.Arbitrary<
      LifecycleConfig["userAgentBinding"]
    >,
  })
  .map(({ idleMs, extraAbsolute, touchFraction, ...rest }) => ({
    ...rest,
    idleMs,
    absoluteMs: idleMs + extraAbsolute,
    // Shorter than the idle timeout, as the configuration requires.
    touchMs: Math.max(1, Math.min(idleMs - 1, Math.floor(idleMs * touchFraction))),
  }));

const START = 1_700_000_000_000;

/** A saved session whose clocks are consistent: created ≤ issued, created ≤ last seen. */
const meta: fc.Arbitrary<SessionMeta> = fc
  .record({
    sinceCreated: fc.integer({ min: 0, max: 40 * DAY }),
    sinceIssued: fc.integer({ min: 0, max: 40 * DAY }),
    userId: fc.option(fc.string({ minLength: 1, maxLength: 8 })),
    persistent: fc.boolean(),
    userAgent: fc.option(fc.constantFrom("Firefox", "Chrome", "curl")),
  })
  .map(({ sinceCreated, sinceIssued, userId, persistent, userAgent }) => {
    const lastSeenAt = START;
    const createdAt = lastSeenAt - sinceCreated;
    return {
      sid: "sid",
      createdAt,
      lastSeenAt,
      issuedAt: Math.max(createdAt, lastSeenAt - sinceIssued),
      expiresAt: 0,
      userId,
      authTime: userId === null ? null : createdAt,
      persistent,
      userAgent,
      successor: null,
    };
  });

const later = fc.integer({ min: 0, max: 60 * DAY }).map((gap) => START + gap);

const facts = (overrides: Partial<CommitFacts>): CommitFacts => ({
  ended: false,
  meta: null,
  dataChanged: false,
  staleCookie: false,
  reissued: false,
  persistentChanged: false,
  superseded: false,
  outdated: false,
  ...overrides,
});

const anyFacts: fc.Arbitrary<CommitFacts> = fc.record({
  ended: fc.boolean(),
  meta: fc.option(meta),
  dataChanged: fc.boolean(),
  staleCookie: fc.boolean(),
  reissued: fc.boolean(),
  persistentChanged: fc.boolean(),
  superseded: fc.boolean(),
  outdated: fc.boolean(),
});

describe("judgeLoaded", () => {
  it("never accepts a session at or after its absolute or idle deadline, and names which", () => {
    fc.assert(
      fc.property(config, meta, later, fc.option(fc.string()), (c, m, now, agent) => {
        const verdict = judgeLoaded(c, m, m.userAgent, agent, now);
        const absolute = now >= m.createdAt + c.absoluteMs;
        const idle = now >= m.lastSeenAt + c.idleMs;
        if (absolute) assert.deepEqual(verdict, { kind: "expired", reason: "absolute" });
        else if (idle) assert.deepEqual(verdict, { kind: "expired", reason: "idle" });
        else assert.notEqual(verdict.kind, "expired");
        if (absolute || idle) assert.equal(keepsSession(verdict), false);
      }),
    );
  });

  it("applies the User-Agent binding only to a live session that recorded an agent", () => {
    fc.assert(
      fc.property(
        config,
        meta,
        fc.option(fc.constantFrom("Firefox", "Chrome", "curl")),
        (c, m, presented) => {
          // Live: created and last seen now; the timeouts are at least 2 ms away.
          const live = { ...m, createdAt: m.lastSeenAt };
          const verdict = judgeLoaded(c, live, m.userAgent, presented, live.lastSeenAt);
          const changed = m.userAgent !== null && m.userAgent !== presented;
          if (c.userAgentBinding === "off" || !changed) {
            assert.deepEqual(verdict, { kind: "accept" });
            assert.equal(keepsSession(verdict), true);
          } else {
            const outcome = c.userAgentBinding === "end" ? "end" : "event-only";
            assert.deepEqual(verdict, { kind: "user-agent-changed", outcome });
            assert.equal(keepsSession(verdict), outcome === "event-only");
          }
        },
      ),
    );
  });
});

describe("planCommit", () => {
  it("a logged-out request always expires the cookie, whatever else happened", () => {
    fc.assert(
      fc.property(config, anyFacts, later, (c, f, now) => {
        assert.equal(planCommit(c, { ...f, ended: true }, now).kind, "expire-cookie");
        if (!f.ended) assert.notEqual(planCommit(c, f, now).kind, "expire-cookie");
      }),
    );
  });

  it("a read-only request with nothing due plans no write and no cookie", () => {
    fc.assert(
      fc.property(config, meta, fc.integer({ min: 0, max: 60 * DAY }), (c, m, gap) => {
        const now = m.lastSeenAt + gap;
        const touchDue = gap >= c.touchMs;
        const rotationDue = c.rotateMs > 0 && now - m.issuedAt >= c.rotateMs;
        const plan = planCommit(c, facts({ meta: m }), now);
        if (!touchDue && !rotationDue) assert.equal(plan.kind, "nothing");
        else assert.notEqual(plan.kind, "nothing");
      }),
    );
  });

  it("touches at most once per touch interval, often enough that a returning client stays live", () => {
    const fraction = fc.oneof(
      fc.double({ min: 0, max: 0.05, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(
        config,
        meta,
        fc.array(fraction, { minLength: 1, maxLength: 60 }),
        (c, m, gaps) => {
          const rotationOff = { ...c, rotateMs: 0 };
          let lastSeenAt = m.lastSeenAt;
          let now = lastSeenAt;
          let lastWrite = Number.NEGATIVE_INFINITY;
          for (const gap of gaps) {
            // Back within (idle - touch) of the last request: the recorded activity is never
            // more than a touch interval old, so the idle timeout cannot pass.
            now += Math.floor(gap * (c.idleMs - c.touchMs));
            const current = { ...m, lastSeenAt };
            const verdict = judgeLoaded(rotationOff, current, null, null, now);
            if (now >= m.createdAt + c.absoluteMs) {
              assert.deepEqual(verdict, { kind: "expired", reason: "absolute" });
              return;
            }
            assert.deepEqual(verdict, { kind: "accept" });
            const plan = planCommit(rotationOff, facts({ meta: current }), now);
            if (plan.kind === "write") {
              assert.ok(now - lastWrite >= c.touchMs, "two writes within one touch interval");
              assert.equal(plan.data, false);
              lastWrite = now;
              lastSeenAt = now;
            } else {
              assert.equal(plan.kind, "nothing");
              assert.ok(now - lastSeenAt < c.touchMs, "a due touch was skipped");
            }
          }
        },
      ),
    );
  });

  it("rotates when due, but never twice in one request nor through a grace window", () => {
    fc.assert(
      fc.property(
        config,
        meta,
        later,
        fc.boolean(),
        fc.boolean(),
        (c, m, now, reissued, superseded) => {
          const plan = planCommit(c, facts({ meta: m, reissued, superseded }), now);
          const due = c.rotateMs > 0 && now - m.issuedAt >= c.rotateMs;
          assert.equal(plan.kind === "rotate-periodic", due && !reissued && !superseded);
        },
      ),
    );
  });

  it("rotation never resets the absolute clock", () => {
    fc.assert(
      fc.property(config, meta, fc.integer({ min: 0, max: 40 * DAY }), (c, m, gap) => {
        const now = m.lastSeenAt + gap;
        const rotated = rotatedMeta(c, m, now);
        assert.equal(rotated.createdAt, m.createdAt);
        assert.equal(rotated.issuedAt, now);
        assert.equal(rotated.sid, m.sid);
        assert.equal(rotated.userId, m.userId);
        assert.equal(rotated.authTime, m.authTime);
        assert.equal(rotated.successor, null);
        assert.ok(rotated.expiresAt <= m.createdAt + c.absoluteMs);
        // Still expired at the original absolute deadline, however often it was rotated.
        const deadline = m.createdAt + c.absoluteMs;
        const again = rotatedMeta(c, rotated, Math.max(now, deadline - 1));
        assert.deepEqual(judgeLoaded(c, again, null, null, deadline), {
          kind: "expired",
          reason: "absolute",
        });
      }),
    );
  });

  it("a session without a saved entry is created on its first change, else only a stale cookie goes", () => {
    fc.assert(
      fc.property(config, anyFacts, later, (c, f, now) => {
        const plan = planCommit(c, { ...f, ended: false, meta: null }, now);
        const expected = f.dataChanged ? "create" : f.staleCookie ? "clear-cookie" : "nothing";
        assert.equal(plan.kind, expected);
      }),
    );
  });

  it("a saved session writes what changed, and re-sends the cookie's lifetime when it is persistent", () => {
    fc.assert(
      fc.property(config, anyFacts, meta, later, (c, f, m, now) => {
        const plan = planCommit(c, { ...f, ended: false, meta: m }, now);
        if (plan.kind === "write") {
          assert.equal(plan.data, f.dataChanged);
          assert.equal(plan.persistent, f.persistentChanged);
          assert.equal(plan.refreshLifetime, m.persistent || f.persistentChanged);
        }
        // Nothing a request changed is ever dropped.
        if (f.dataChanged || f.persistentChanged || f.outdated) {
          assert.ok(plan.kind === "write" || plan.kind === "rotate-periodic", plan.kind);
        }
        // A credential issued during the request always goes out.
        if (f.reissued) assert.ok(plan.kind === "write" || plan.kind === "reissue", plan.kind);
        assert.ok(plan.kind !== "create" && plan.kind !== "clear-cookie");
      }),
    );
  });

  it("a new session's clocks all start now", () => {
    fc.assert(
      fc.property(config, later, (c, now) => {
        const created = createdMeta(c, now, "s", {
          userId: null,
          authTime: null,
          persistent: false,
          userAgent: null,
        });
        assert.equal(created.createdAt, now);
        assert.equal(created.lastSeenAt, now);
        assert.equal(created.issuedAt, now);
        assert.equal(created.expiresAt, now + Math.min(c.idleMs, c.absoluteMs));
        assert.equal(judgeLoaded(c, created, null, null, now).kind, "accept");
      }),
    );
  });
});
