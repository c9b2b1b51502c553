import { LatchkeyError } from "./errors.ts";
import type { SessionsOptions } from "./options.ts";
import { type StoreFailureReporter, storeFailureLog } from "./store-failure-log.ts";
import { type SessionMetrics, sessionMetrics } from "./telemetry.ts";

/** How the engine makes its outages and activity visible, resolved once from the options. */
export interface Observability {
  /** null: the `log: false` option. */
  readonly reportStoreFailure: StoreFailureReporter | null;
  /** null: no `telemetry` option. */
  readonly metrics: SessionMetrics | null;
}

export function resolveObservability(
  options: Pick<SessionsOptions, "log" | "telemetry">,
  now: () => number,
): Observability {
  return {
    reportStoreFailure: resolveLog(options.log, now),
    metrics: resolveTelemetry(options.telemetry),
  };
}

function resolveLog(log: SessionsOptions["log"], now: () => number): StoreFailureReporter | null {
  if (log === false) return null;
  if (log === undefined) return storeFailureLog((line) => console.error(line), now);
  if (typeof log === "function") return storeFailureLog(log, now);
  throw new LatchkeyError(
    "config-invalid",
    "log must be a function that takes one line of text, or false to log nothing (store failures are then reported only through onEvent).",
  );
}

function resolveTelemetry(telemetry: SessionsOptions["telemetry"]): SessionMetrics | null {
  if (telemetry === undefined) return null;
  const meter = (telemetry as { meter?: unknown } | null)?.meter as
    | { createCounter?: unknown; createHistogram?: unknown }
    | undefined;
  if (typeof meter?.createCounter !== "function" || typeof meter.createHistogram !== "function") {
    throw new LatchkeyError(
      "config-invalid",
      'telemetry needs an OpenTelemetry meter: telemetry: { meter: metrics.getMeter("latchkey") } (metrics from @opentelemetry/api).',
    );
  }
  return sessionMetrics(telemetry.meter);
}
