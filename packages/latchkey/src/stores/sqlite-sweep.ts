// One batch of deleteAll (revokeAll) on an SQLite connection: the same statements whether the
// sweep runs on the app's own connection or on the sweep worker's (sqlite-sweep-worker.ts).
import type Database from "better-sqlite3";
import { removeChainSync } from "./chain.ts";

export interface SweepBatch {
  /** The last ref of the batch (the cursor for the next one), or null at the end of the table. */
  last: string | null;
  /** Rows removed, successor chains included. */
  removed: number;
}

/**
 * Prepares the batch transaction: the next `sweepBatch` rows after the cursor along the primary
 * key in one range DELETE, then the successor chain of any of them a rotation claimed (its
 * successor may sit behind the cursor). Call it with `.immediate(after)`.
 */
export function prepareSweep(
  db: Database.Database,
  table: string,
  sweepBatch: number,
): Database.Transaction<(after: string) => SweepBatch> {
  const upper = db
    .prepare<[string, number], string>(
      `SELECT ref FROM ${table} WHERE ref > ? ORDER BY ref LIMIT 1 OFFSET ?`,
    )
    .pluck();
  const range = db
    .prepare<[string, string], string | null>(
      `DELETE FROM ${table} WHERE ref > ? AND ref <= ? RETURNING successor`,
    )
    .pluck();
  const rest = db
    .prepare<[string], string | null>(`DELETE FROM ${table} WHERE ref > ? RETURNING successor`)
    .pluck();
  const deleteLink = db.prepare<[string], { successor: string | null }>(
    `DELETE FROM ${table} WHERE ref = ? RETURNING successor`,
  );
  const removeWithChain = (ref: string): number =>
    removeChainSync(ref, (link) => {
      const row = deleteLink.get(link);
      return { removed: row !== undefined, successor: row?.successor ?? null };
    }).length;
  return db.transaction((after: string): SweepBatch => {
    const last = upper.get(after, sweepBatch - 1) ?? null;
    const successors = last === null ? rest.all(after) : range.all(after, last);
    let removed = successors.length;
    for (const successor of successors) {
      if (successor !== null) removed += removeWithChain(successor);
    }
    return { last, removed };
  });
}
