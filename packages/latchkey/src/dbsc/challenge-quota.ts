import { BoundedMap } from "../core/bounded-map.ts";

// Each refresh challenge is a store entry. The refresh endpoint needs no bound cookie (that is
// what it renews), so whoever holds a bound session's cookie — a thief too — could make it write
// one entry per request. A browser asks about once per bound-cookie lifetime; a few per challenge
// lifetime are allowed per binding and more are refused (429, which the spec tells the browser to
// take as "try later"). Per process and bounded: a flood of bindings only evicts.

const PER_WINDOW = 10;
const TRACKED = 10_000;

export interface ChallengeQuota {
  /** True when `bindingId` may have one more challenge now. */
  take(bindingId: string, now: number): boolean;
}

export function challengeQuota(windowMs: number): ChallengeQuota {
  const windows = new BoundedMap<string, { start: number; count: number }>(TRACKED);
  return {
    take(bindingId, now) {
      const window = windows.get(bindingId);
      if (window === undefined || now - window.start >= windowMs) {
        windows.set(bindingId, { start: now, count: 1 });
        return true;
      }
      if (window.count >= PER_WINDOW) return false;
      window.count++;
      return true;
    },
  };
}
