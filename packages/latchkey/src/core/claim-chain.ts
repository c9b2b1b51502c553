import type { SessionChange, Store } from "../stores/types.ts";
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
