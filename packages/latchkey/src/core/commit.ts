import type { SessionHeaders } from "./cookies.ts";

/**
 * The end of a request, in two steps so that every adapter can order them as its framework
 * needs: `headers` is known synchronously; `persist()` does the store work. Adapters await
 * `persist()` before sending the response, so a failed write never goes out as a success.
 */
export interface PendingCommit {
  readonly headers: SessionHeaders | null;
  /** False when `persist()` has nothing to do (a sealed cookie, an unchanged session): the headers can go out at once. */
  readonly writes: boolean;
  persist(): Promise<void>;
}

const resolved = Promise.resolve();

/** Nothing to send and nothing to write: the common read-only request. */
export const NOTHING_TO_COMMIT: PendingCommit = {
  headers: null,
  writes: false,
  persist: () => resolved,
};

export function headersOnly(headers: SessionHeaders): PendingCommit {
  return { headers, writes: false, persist: () => resolved };
}
