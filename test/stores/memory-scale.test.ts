// The memory store's cost per operation does not grow with the number of sessions it holds
// (issue #18). A Map re-inserted on every use and emptied from the front made one hot session's
// read and write, and every eviction, cost more the bigger the store: at 100,000 sessions tens of
// times what they cost at 1,000. Measured in CPU time (the machine is shared), the median of
// long batches, with a wide margin: the failure this guards against is an order of magnitude.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store, StoredSession } from "../../packages/latchkey/src/stores/types.ts";

function entry(now: number): StoredSession {
  return {
    secretHash: "h",
    meta: {
      sid: "s",
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 3_600_000,
      userId: null,
      authTime: null,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: { count: "1" },
  };
}

const ref = () => randomBytes(32).toString("base64url");

/** A store holding `size` anonymous sessions, at its anonymous cap, plus the hot one last. */
async function filled(size: number): Promise<{ store: Store; hot: string }> {
  const store = memoryStore({ maxSessions: size * 2, maxAnonymousSessions: size });
  const now = Date.now();
  for (let i = 0; i < size - 1; i++) await store.create(ref(), entry(now));
  const hot = ref();
  await store.create(hot, entry(now));
  return { store, hot };
}

/**
 * Median CPU µs per call of `work` over 3 batches of `calls`. Long batches: the old costs grew
 * with the number of calls made (holes piling up until V8 rebuilt the Map's table).
 */
async function cpuPerCall(work: (i: number) => Promise<unknown>, calls = 20_000) {
  const perCall: number[] = [];
  for (let b = 0; b < 3; b++) {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) await work(i);
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / calls);
  }
  return perCall.sort((x, y) => x - y)[1] as number;
}

async function costs(size: number) {
  const { store, hot } = await filled(size);
  // A request on one session, as a busy user makes them: the same ref looked up each time.
  const read = await cpuPerCall(() => store.get(`${hot} `.trim()));
  const write = await cpuPerCall((i) => store.update(hot, { set: { count: String(i) } }));
  // New anonymous sessions at the cap: each one evicts the least recently used.
  const evict = await cpuPerCall(() => store.create(ref(), entry(Date.now())));
  await store.close?.();
  return { read, write, evict };
}

describe("memoryStore at scale", () => {
  it("a hot session's read and write, and an eviction, cost as much at 100,000 sessions as at 1,000", async () => {
    const small = await costs(1_000);
    const large = await costs(100_000);
    const shown = `µs per call at 10³ / 10⁵: ${JSON.stringify({ small, large })}`;
    for (const op of ["read", "write", "evict"] as const) {
      assert.ok(large[op] < small[op] * 3 + 2, `${op}: ${shown}`);
    }
  });
});
