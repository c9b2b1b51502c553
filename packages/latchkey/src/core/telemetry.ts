import type { Store } from "../stores/types.ts";
import type { EventSink } from "./emit.ts";

// Metrics through an OpenTelemetry meter the application passes in. latchkey never imports
// `@opentelemetry/api` itself: an app that wants sessions installs nothing else, and when no meter
// is configured none of this code is on the request path (the sink and the store are left as
// they are, not wrapped in a branch that checks).

/** Attributes latchkey records: a few fixed names with values from small fixed sets. */
export type MetricAttributes = Record<string, string>;

/**
 * The part of an OpenTelemetry `Meter` latchkey uses. `metrics.getMeter("latchkey")` from
 * `@opentelemetry/api` (1.x) is one.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * const sessions = createSessions({ secrets, telemetry: { meter: metrics.getMeter("latchkey") } });
 * ```
 */
export interface TelemetryMeter {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: MetricAttributes): void };
  createHistogram(
    name: string,
    options?: {
      description?: string;
      unit?: string;
      advice?: { explicitBucketBoundaries?: number[] };
    },
  ): { record(value: number, attributes?: MetricAttributes): void };
}

/** The `telemetry` option. */
export interface TelemetryOptions {
  /** Where latchkey's counters and histogram are created. */
  meter: TelemetryMeter;
}

/** The instruments, created once at startup. */
export interface SessionMetrics {
  readonly events: ReturnType<TelemetryMeter["createCounter"]>;
  readonly csrfRefusals: ReturnType<TelemetryMeter["createCounter"]>;
  readonly storeDuration: ReturnType<TelemetryMeter["createHistogram"]>;
}

/** Metric names, as the OpenTelemetry naming guidelines shape them. */
export const METRIC_NAMES = {
  events: "latchkey.session.events",
  csrfRefusals: "latchkey.csrf.refusals",
  storeDuration: "latchkey.store.duration",
} as const;

// Store calls take from well under a millisecond (memory) to seconds (a timeout): the SDK's
// default buckets start at 0 and step by 5 units of a second, which would lump them all together.
const STORE_DURATION_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function sessionMetrics(meter: TelemetryMeter): SessionMetrics {
  return {
    events: meter.createCounter(METRIC_NAMES.events, {
      description: "Session events (attribute `type`: created, login, rotated, expired, …)",
      unit: "{event}",
    }),
    csrfRefusals: meter.createCounter(METRIC_NAMES.csrfRefusals, {
      description: "Requests the CSRF middleware refused (attribute `reason`)",
      unit: "{request}",
    }),
    storeDuration: meter.createHistogram(METRIC_NAMES.storeDuration, {
      description:
        "Duration of session store calls (attributes `operation`, `outcome`: ok | error)",
      unit: "s",
      advice: { explicitBucketBoundaries: STORE_DURATION_BUCKETS_S },
    }),
  };
}

/**
 * The event sink, counting each event first. Only the event's type (or a CSRF refusal's reason)
 * becomes an attribute: refs and user ids would make one time series per session or user.
 */
export function countedEvents(sink: EventSink, metrics: SessionMetrics | null): EventSink {
  if (metrics === null) return sink;
  return (event) => {
    if (event.type === "csrf-refused") {
      metrics.csrfRefusals.add(1, { reason: event.reason ?? "unknown" });
    } else {
      metrics.events.add(1, { type: event.type });
    }
    sink(event);
  };
}

const TIMED_OPERATIONS = [
  "get",
  "create",
  "update",
  "claim",
  "delete",
  "createWithinLimit",
  "listByUser",
  "deleteByUser",
  "deleteAll",
  "markRevoked",
  "revokedSince",
] as const satisfies ReadonlyArray<keyof Store>;

/** The store with each call's duration recorded, failures included (`outcome: "error"`). */
export function timedStore(store: Store, metrics: SessionMetrics | null): Store {
  if (metrics === null) return store;
  const timed: Record<string, unknown> = { ...store };
  for (const operation of TIMED_OPERATIONS) {
    const call = store[operation] as (...args: unknown[]) => Promise<unknown>;
    timed[operation] = async (...args: unknown[]) => {
      const started = performance.now();
      let outcome = "error";
      try {
        const result = await call.apply(store, args);
        outcome = "ok";
        return result;
      } finally {
        metrics.storeDuration.record((performance.now() - started) / 1000, { operation, outcome });
      }
    };
  }
  return timed as unknown as Store;
}
