// Removing an entry with its successor chain: a rotation whose claim landed just before a
// revocation left a successor behind; following `meta.successor` from the revoked entry finds it.
// Each link is removed together with reading its successor (one atomic store operation), so a
// claim on a link either happened before (its successor is read and removed next) or finds the
// link gone (the claim fails, and the caller deletes the successor it created).
import type { ClaimResult, Store, StoredSession } from "./types.ts";

/** Removes one link; reports whether it existed and the successor it pointed at. */
export type RemoveLink<R> = (ref: string) => R;
export type Removed = { removed: boolean; successor: string | null };

/** Follows the chain from `first`, removing each link; returns the refs removed, in order. */
export async function removeChain(
  first: string,
  removeLink: RemoveLink<Promise<Removed>>,
): Promise<string[]> {
  const removed: string[] = [];
  const seen = new Set<string>();
  let ref: string | null = first;
  // `seen` stops a cycle, which only a corrupted store could contain: refs are fresh and random.
  while (ref !== null && !seen.has(ref)) {
    seen.add(ref);
    const link: Removed = await removeLink(ref);
    if (link.removed) removed.push(ref);
    ref = link.successor;
  }
  return removed;
}

/** `removeChain` for a synchronous store (SQLite inside a transaction, memory). */
export function removeChainSync(first: string, removeLink: RemoveLink<Removed>): string[] {
  const removed: string[] = [];
  const seen = new Set<string>();
  let ref: string | null = first;
  while (ref !== null && !seen.has(ref)) {
    seen.add(ref);
    const link = removeLink(ref);
    if (link.removed) removed.push(ref);
    ref = link.successor;
  }
  return removed;
}

/**
 * Creates `ref` and claims `oldRef` for it: in one step when the store can (`createAndClaim`,
 * one round trip), otherwise create, claim, and delete `ref` again when the claim fails (so a
 * token never points at nothing, and a lost claim leaves nothing behind).
 */
export async function createAndClaim(
  store: Store,
  ref: string,
  session: StoredSession,
  oldRef: string,
  pointerUntil: number,
): Promise<ClaimResult> {
  if (store.createAndClaim !== undefined) {
    return store.createAndClaim(ref, session, oldRef, pointerUntil);
  }
  await store.create(ref, session);
  const claim = await store.claim(oldRef, ref, pointerUntil);
  if (!claim.claimed) await store.delete(ref);
  return claim;
}
