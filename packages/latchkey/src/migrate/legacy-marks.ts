import { createHash } from "node:crypto";
import type { Store } from "../stores/types.ts";
import type { LegacySession } from "./reader.ts";

/**
 * Import-once and revocation for legacy cookies, kept as revocation marks in latchkey's own store
 * (`markRevoked` / `revokedSince`): a signed legacy cookie (Flask's, cookie-session's) cannot be
 * withdrawn, so latchkey remembers that it moved instead.
 *
 * - `l:<sha256 of the cookie value, base64url>`: this cookie was imported. Never the value itself:
 *   the store would then hold a credential that signs its user in.
 * - `u:<userId>` and `*`: written by `revokeUser`/`revokeOthers`/`revokeAll` of the wrapped
 *   sessions, the same keys sealed cookie sessions use. A legacy cookie issued before one (or with
 *   no issue time at all) is not imported.
 *
 * Every mark is remembered for `rememberMs`: at least as long as a legacy cookie issued before it
 * can still verify.
 */
export interface LegacyMarks {
  /** The `l:` key of a legacy cookie value. */
  keyOf(cookieValue: string): string;
  /**
   * True when this cookie must not be imported: imported before, or issued before a revocation of
   * its user or of everybody. One `revokedSince` round trip.
   */
  refuses(key: string, legacy: LegacySession): Promise<boolean>;
  /** Records the import of the cookie under `key`. */
  markImported(key: string, legacy: LegacySession): Promise<void>;
  /** Records a revocation (`u:<userId>` or `*`) for legacy cookies issued until now. */
  markRevoked(key: string): Promise<void>;
}

export function legacyMarks(store: Store, rememberMs: number, now: () => number): LegacyMarks {
  return {
    keyOf(cookieValue) {
      return `l:${createHash("sha256").update(cookieValue, "utf8").digest("base64url")}`;
    },
    async refuses(key, legacy) {
      const keys = legacy.userId === null ? [key, "*"] : [key, "*", `u:${legacy.userId}`];
      const since = await store.revokedSince(keys);
      // A mark covers everything issued up to and including its millisecond; a cookie with no
      // issue time counts as issued before any mark. The import mark's time is never before the
      // cookie's issue time (see markImported), so it always refuses its cookie.
      return since > 0 && since >= (legacy.issuedAt ?? 0);
    },
    async markImported(key, legacy) {
      // A legacy app whose clock runs ahead may sign a cookie "later" than latchkey's now: the
      // mark is dated no earlier than the cookie, so it still covers it.
      const at = Math.max(now(), legacy.issuedAt ?? 0);
      await store.markRevoked(key, at, at + rememberMs);
    },
    async markRevoked(key) {
      const at = now();
      await store.markRevoked(key, at, at + rememberMs);
    },
  };
}
