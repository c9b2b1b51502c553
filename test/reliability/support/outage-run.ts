// One outage under load, the same way for every store: users log in and stream requests, the
// store goes away, comes back, the users go on until each of them is served again, and then
// everything acknowledged is read back.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sessions } from "../../../packages/latchkey/src/index.ts";
import { lostWrites, recovery, runStreams, UserStream, type Values } from "./load.ts";

export interface OutagePlan {
  label: string;
  users: number;
  /** Takes the store away; resolves when it is gone. */
  down(): Promise<void>;
  /** How long it stays away, in ms. */
  downFor: number;
  /** Brings it back; resolves when it is back (the recovery clock starts then). */
  up(): Promise<void>;
  /**
   * Whether some request must have failed (503) for the run to count. An outage that gives the
   * store time to hide itself (one cut that a pool survives by reconnecting) may legitimately show none.
   */
  mustFail?: boolean;
}

// Generous for a loaded 2-core CI machine; the measured times are printed.
const RECOVERY_BOUND_MS = 20_000;

export async function runOutage(
  sessions: Sessions<Values>,
  baseUrl: string,
  plan: OutagePlan,
): Promise<void> {
  const streams = Array.from(
    { length: plan.users },
    (_, i) => new UserStream(`${plan.label}-user-${i}`, baseUrl, sessions.cookieName),
  );
  await Promise.all(streams.map((s) => s.login(performance.now() + 15_000)));
  const load = runStreams(streams);
  let downAt = 0;
  let upAt = 0;
  try {
    await sleep(1_500);
    downAt = performance.now();
    await plan.down();
    await sleep(plan.downFor);
    await plan.up();
    upAt = performance.now();
    const deadline = upAt + RECOVERY_BOUND_MS;
    while (recovery(streams, upAt).all === null && performance.now() < deadline) await sleep(100);
    // Keep going a little after recovery: the store must stay healthy, not only answer once.
    await sleep(1_500);
  } finally {
    await load.stop();
  }

  const violations = streams.flatMap((s) => s.violations);
  const back = recovery(streams, upAt);
  const unavailable = streams.reduce((sum, s) => sum + s.countBetween(503, downAt, Infinity), 0);
  const ok = streams.reduce((sum, s) => sum + s.countBetween(200, 0, Infinity), 0);
  const okAfter = streams.reduce((sum, s) => sum + s.countBetween(200, upAt, Infinity), 0);
  const readBack = await lostWrites(sessions, streams);
  console.log(
    `  ${plan.label}: ${plan.users} users, ${ok} x 2xx (${okAfter} after recovery), ${unavailable} x 503; ` +
      `recovered: first 2xx ${ms(back.first)}, every user ${ms(back.all)} after the store was back` +
      `${back.waiting.length === 0 ? "" : ` (never served again: ${back.waiting.join(", ")})`} ` +
      `(down ${(upAt - downAt).toFixed(0)} ms); ${readBack.checked} acknowledged writes read back`,
  );
  assert.deepEqual(violations.slice(0, 20), [], "every answer is the right user's 2xx or a 503");
  if (plan.mustFail !== false) {
    assert.ok(unavailable > 0, "the outage was seen: requests failed closed with 503");
  }
  assert.deepEqual(back.waiting, [], `every user is served again within ${RECOVERY_BOUND_MS} ms`);
  assert.deepEqual(readBack.problems, [], "every acknowledged write survived");
  assert.ok(readBack.checked > 0 && okAfter > 0, "writes were acknowledged, also after recovery");
}

function ms(value: number | null): string {
  return value === null ? "never" : `${value.toFixed(0)} ms`;
}
