// The memory store's revocation marks: bounded, O(1) per mark, and never silently un-revoking.
//
// Marks are kept in the order they were last written (a LinkedMap, moved to the back on every
// write: a Map re-inserted on every write slows down as it grows, see linked-map.ts). Every
// mark latchkey writes lives for the same span (`until = at + absolute timeout`), so that order
// is also the order they expire in: checking the oldest one or two on each write removes expired
// marks without ever scanning the rest. (Measured with a scan of all marks per write: logout went
// from 0.2 ms to 4.8 ms after about 48,000 logouts.)
//
// When the cap forces out a mark that is still needed, forgetting it would un-revoke a session.
// Instead its time raises a floor for its class of key (`s:`, `u:`, `*`): every session of that
// class issued before the floor counts as revoked. That revokes too much — sessions issued before
// the evicted mark, which are the oldest ones — never too little, and costs one number per class.

import { type LinkedEntry, LinkedMap } from "../core/linked-map.ts";

/** Revocation marks held in memory. */
export interface RevocationMarks {
  /** Records that everything under `key` issued before `at` is revoked, remembered until `until`. */
  mark(key: string, at: number, until: number, now: number): void;
  /** The latest mark among `keys`, floors of their classes included (0 when none). */
  latest(keys: readonly string[]): number;
  /** How many marks are held (floors not counted). */
  readonly size: number;
  clear(): void;
}

interface Mark {
  at: number;
  until: number;
}

/** Expired marks removed per write at most: enough to keep up, since each write adds one. */
const SWEEP_PER_MARK = 2;

/** The class a key belongs to for floors: its prefix up to ":" (`u:`, `s:`), or the key itself (`*`). */
function classOf(key: string): string {
  const colon = key.indexOf(":");
  return colon === -1 ? key : key.slice(0, colon + 1);
}

export function revocationMarks(cap: number): RevocationMarks {
  const marks = new LinkedMap<string, Mark>();
  const floors = new Map<string, number>();

  function raiseFloor(key: string, at: number): void {
    const kind = classOf(key);
    floors.set(kind, Math.max(floors.get(kind) ?? 0, at));
  }

  function sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_MARK; i++) {
      const oldest = marks.oldest();
      if (oldest === undefined || oldest.value.until > now) return;
      marks.shift();
    }
  }

  return {
    mark(key, at, until, now) {
      sweep(now);
      const previous = marks.get(key);
      if (previous === undefined && marks.size >= cap) {
        const { key: oldestKey, value: oldest } = marks.shift() as LinkedEntry<string, Mark>;
        // A grace record (`g:`) forgotten early only ends a grace window early; as a floor it
        // would lend other seals a window they never had.
        if (oldest.until > now && !oldestKey.startsWith("g:")) raiseFloor(oldestKey, oldest.at);
      }
      marks.setNewest(key, {
        at: Math.max(at, previous?.at ?? 0),
        until: Math.max(until, previous?.until ?? 0),
      });
    },
    latest(keys) {
      let latest = 0;
      for (const key of keys) {
        latest = Math.max(latest, marks.get(key)?.at ?? 0, floors.get(classOf(key)) ?? 0);
      }
      return latest;
    },
    get size() {
      return marks.size;
    },
    clear() {
      marks.clear();
      floors.clear();
    },
  };
}
