// Store outages are logged by default: before this, a Redis that was down answered every request
// with 503 and printed nothing, so an operator who had not wired `onEvent` saw no reason at all.

/** Reports one failed store call: which operation, and the safe cause code. */
export type StoreFailureReporter = (operation: string, cause: string) => void;

/** At most one line per operation in this window; the next line counts the ones left out. */
export const STORE_FAILURE_LOG_INTERVAL_MS = 30_000;

/**
 * A rate-limited writer of store failure lines. During an outage every request fails, so an
 * unlimited log would print one line per request; here each operation (get, update, …) prints
 * at most one line per interval, and that line says how many failures it stands for. The line
 * holds the operation and the cause code only: never a ref, a user id, a value or a message.
 */
export function storeFailureLog(
  write: (line: string) => void,
  now: () => number,
): StoreFailureReporter {
  // Keyed by operation name: the store contract's methods, a fixed and small set.
  const windows = new Map<string, { openedAt: number; suppressed: number }>();
  return (operation, cause) => {
    const at = now();
    const window = windows.get(operation);
    if (window !== undefined && at - window.openedAt < STORE_FAILURE_LOG_INTERVAL_MS) {
      window.suppressed++;
      return;
    }
    windows.set(operation, { openedAt: at, suppressed: 0 });
    const left =
      window === undefined || window.suppressed === 0
        ? ""
        : ` ${window.suppressed} more ${operation} failure(s) since the previous line were not logged.`;
    try {
      write(
        `latchkey: the session store failed during ${operation} (cause: ${cause}); requests that need the store are answered 503 until it recovers.${left}`,
      );
    } catch {
      // A broken log sink must not change how the request fails.
    }
  };
}
