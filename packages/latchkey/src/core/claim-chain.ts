import type { SessionChange, Store, StoredSession } from "../stores/types.ts";
import { withinGrace } from "./policy.ts";
import { applyChanges } from "./state.ts";

// Replacing a saved session by a new entry (login, rotate(), reauthentication): the new entry is
// created first, then the old one is claimed with `pointerUntil` 0, which destroys it. Of several
// requests replacing one session at once, exactly one claim wins, so the session cannot fork.

/** A rotation chain longer than this only comes from requests racing without end: give up. */
const MAX_HOPS = 8;

/**
 * Claims `oldRef` for `newRef` (already created, holding `data`: the old values with `changes`
 * applied). When a periodic rotation claimed it first, the session lives on in that rotation's
 * successor: the claim moves there, and the new entry takes the successor's values with
 * `changes` on top, so the other request's writes are kept.
 *
 * Resolves to the values the new entry holds when a claim won, or null when the session is gone:
 * revoked, logged out, expired, or destroyed by a concurrent login or rotate() (the store cannot
 * tell these apart, and none of them may be undone).
 */
export async function claimForReplacement(
  store: Store,
  oldRef: string,
  newRef: string,
  data: Record<string, string>,
  changes: { set: Record<string, string>; delete: readonly string[] },
): Promise<Record<string, string> | null> {
  let ref = oldRef;
  let held = data;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const claim = await store.claim(ref, newRef, 0);
    if (claim.claimed) return held;
    if (claim.successor === null) return null;
    const next = await store.get(claim.successor);
    if (next === null) return null;
    const merged = applyChanges(next.data, changes);
    await store.update(newRef, dataChange(held, merged));
    held = merged;
    ref = claim.successor;
  }
  return null;
}

/**
 * Where a rotated-away entry (`pointer`, `meta.successor` set) leads at `now`: the live entry at
 * the end of its chain, or null. Every link is a token that was rotated away, so each must still be
 * inside its own grace window: a token is never accepted after its window, however many rotations
 * followed it. With `rotationGrace` shorter than `rotateEvery` a chain is one link long; longer
 * ones come from rotations racing or clocks that disagree between processes.
 */
export async function followGrace(
  store: Store,
  pointer: StoredSession,
  now: number,
): Promise<{ ref: string; entry: StoredSession } | null> {
  let link = pointer;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const next = link.meta.successor;
    if (next === null) return null;
    if (!withinGrace(link.meta, now)) return null;
    const entry = await store.get(next);
    if (entry === null) return null;
    if (entry.meta.successor === null) return { ref: next, entry };
    link = entry;
  }
  return null;
}

/**
 * The live end of the rotation chain that starts at `ref` (itself, when it was not rotated away),
 * or null when the session is gone. Changes owed to a session go there: the store refuses to
 * update a pointer (moving its `expiresAt` would stretch its grace window).
 */
export async function liveSuccessor(
  store: Store,
  ref: string,
  now: number,
): Promise<string | null> {
  const entry = await store.get(ref);
  if (entry === null || entry.meta.expiresAt <= now) return null;
  if (entry.meta.successor === null) return ref;
  return (await followGrace(store, entry, now))?.ref ?? null;
}

/**
 * Applies `change` to the session that `ref` held when the request loaded it: to `ref` itself, or,
 * when a concurrent rotation claimed `ref` since, to the live end of its successor chain. A store
 * leaves a rotated-away entry unchanged and says so (`update` resolves false), so a pointer's grace
 * window never moves and the write is not lost. Resolves to the ref the change landed on, or null
 * when the session is gone (revoked, logged out, expired, or replaced by a login or rotate()).
 */
export async function updateLive(
  store: Store,
  ref: string,
  change: SessionChange,
  now: number,
): Promise<string | null> {
  let target = ref;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (await store.update(target, change)) return target;
    const next = await liveSuccessor(store, target, now);
    // The same ref again would mean a live entry that refused the change: only a store breaking
    // the contract does that, and asking it again would not help.
    if (next === null || next === target) return null;
    target = next;
  }
  return null;
}

/** The change set that turns the values `before` into `after`. */
export function dataChange(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): SessionChange {
  const set: Record<string, string> = Object.create(null);
  for (const key of Object.keys(after)) {
    if (before[key] !== after[key]) set[key] = after[key] as string;
  }
  return { set, delete: Object.keys(before).filter((key) => !Object.hasOwn(after, key)) };
}
