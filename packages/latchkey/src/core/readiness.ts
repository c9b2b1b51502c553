import type { Store } from "../stores/types.ts";
import { storeFailureCause } from "./store-failure-cause.ts";

/**
 * What `sessions.check()` answers. `latencyMs` is the probe's round trip (0 when there is no store
 * to ask); `cause` is a short code such as `ECONNREFUSED`, `NOAUTH`, `28P01` or `timeout`.
 */
export type Readiness =
  | { ok: true; latencyMs: number }
  | { ok: false; cause: string; latencyMs: number };

/** Options of `sessions.check()`. */
export interface CheckOptions {
  /** Milliseconds to wait for the store before answering `{ ok: false, cause: "timeout" }`. Default 2000. */
  timeout?: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

// A ref no session can have: real refs are 43 base64url characters (a SHA-256 hash).
const PROBE_REF = "latchkey-readiness-probe";

/**
 * One cheap round trip to the store: its `ping()` when it has one, else a `get` of a ref that
 * cannot exist. Never throws. A probe that outlives `timeout` is reported as a timeout and left to
 * finish on its own: a health endpoint must answer within its own deadline.
 */
export async function checkStore(
  store: Store | undefined,
  options: CheckOptions = {},
): Promise<Readiness> {
  if (store === undefined) return { ok: true, latencyMs: 0 };
  const timeout = options.timeout ?? DEFAULT_CHECK_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeout);
    timer.unref?.();
  });
  const probe = (async () => {
    if (store.ping !== undefined) await store.ping();
    else await store.get(PROBE_REF);
  })();
  try {
    const outcome = await Promise.race([probe, timedOut]);
    if (outcome === "timeout") {
      probe.catch(() => {}); // its late failure is not this check's answer
      return { ok: false, cause: "timeout", latencyMs: elapsed() };
    }
    return { ok: true, latencyMs: elapsed() };
  } catch (error) {
    return { ok: false, cause: storeFailureCause(error), latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}
