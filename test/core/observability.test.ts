// Outages are visible: a failing store is logged (rate-limited, with a cause, without secrets),
// its events carry the cause, `check()` answers health probes, and metrics reach OpenTelemetry.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { storeFailureCause } from "../../packages/latchkey/src/core/store-failure-cause.ts";
import {
  createSessions,
  isLatchkeyError,
  LatchkeyError,
  type SessionEvent,
  type SessionsOptions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  DATABASE_URL,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "../stores/support/services.ts";

const secrets = [testSecret()];
const PASSWORD = "hunter2-do-not-log";

interface Cart {
  cart: string[];
}

/** A session cookie issued by a working memory store: a well-formed token any store will look up. */
async function issuedCookie(options: Partial<SessionsOptions> = {}): Promise<string> {
  const sessions = createSessions<Cart>({ secrets, store: memoryStore(), log: false, ...options });
  const session = await sessions.load({});
  session.set("cart", ["book"]);
  const headers = await sessions.commit(session);
  assert.ok(headers !== null);
  return headers.setCookie.split(";")[0] as string;
}

function driverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("storeFailureCause", () => {
  const wrapped = (cause: unknown) => new Error("outer", { cause });
  const cases: Array<[string, unknown, string]> = [
    [
      "a Node errno code",
      driverError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.1:6379"),
      "ECONNREFUSED",
    ],
    [
      "a PostgreSQL SQLSTATE",
      driverError("28P01", `password authentication failed: ${PASSWORD}`),
      "28P01",
    ],
    [
      "a Redis error kind, never the rest of the reply",
      Object.assign(new Error(`NOAUTH ${PASSWORD}`), { name: "ReplyError" }),
      "NOAUTH",
    ],
    [
      "the innermost code through a LatchkeyError",
      new LatchkeyError("store-unavailable", "locked", {
        cause: driverError("SQLITE_BUSY", "busy"),
      }),
      "SQLITE_BUSY",
    ],
    [
      "a retry-limit error with the connection error as its cause",
      Object.assign(wrapped(driverError("ECONNREFUSED", "x")), {
        name: "MaxRetriesPerRequestError",
      }),
      "ECONNREFUSED",
    ],
    [
      "an AggregateError's first error",
      new AggregateError([driverError("ETIMEDOUT", "a"), driverError("EHOSTUNREACH", "b")], "all"),
      "ETIMEDOUT",
    ],
    ["an error class name when there is no code", new TypeError(`bad ${PASSWORD}`), "TypeError"],
    [
      "a LatchkeyError's own code as a last resort",
      new LatchkeyError("store-unavailable", "x"),
      "store-unavailable",
    ],
    [
      "nothing from a code that could carry data",
      driverError(`user:${PASSWORD}@host`, "x"),
      "unknown",
    ],
    ["nothing from a plain message", new Error(`redis://:${PASSWORD}@db:6379 is down`), "unknown"],
    ["nothing from a thrown string", `postgres://u:${PASSWORD}@db/app`, "unknown"],
    [
      "a Redis reply kind only in capitals",
      Object.assign(new Error("oops lower"), { name: "ReplyError" }),
      "ReplyError",
    ],
  ];
  for (const [what, error, cause] of cases) {
    it(`reports ${what}: ${cause}`, () => {
      assert.equal(storeFailureCause(error), cause);
    });
  }
});

/** A memory store whose reads fail, with a message full of things that must never be logged. */
function failingMemoryStore(): { store: Store; fail(on: boolean): void } {
  const inner = memoryStore();
  let failing = false;
  const store: Store = {
    ...inner,
    async get(ref) {
      if (failing) {
        throw driverError(
          "ECONNRESET",
          `read ${ref} from redis://:${PASSWORD}@10.0.0.1:6379 failed`,
        );
      }
      return inner.get(ref);
    },
  };
  return { store, fail: (on) => (failing = on) };
}

describe("store failures are logged and carry their cause", () => {
  it("logs at most one line per operation per 30 s, with the cause and a count, and nothing secret", async () => {
    const { store, fail } = failingMemoryStore();
    const lines: string[] = [];
    const events: SessionEvent[] = [];
    let now = 1_000_000;
    const sessions = createSessions<Cart>({
      secrets,
      store,
      log: (line) => lines.push(line),
      onEvent: (event) => events.push(event),
      now: () => now,
    });
    const session = await sessions.load({});
    session.set("cart", ["book"]);
    const headers = await sessions.commit(session);
    const cookie = headers?.setCookie.split(";")[0] as string;
    fail(true);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(sessions.load({ cookie }), (error) =>
        isLatchkeyError(error, "store-unavailable"),
      );
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /during get \(cause: ECONNRESET\)/);
    now += 29_999;
    await assert.rejects(sessions.load({ cookie }));
    assert.equal(lines.length, 1, "still inside the window");
    now += 1;
    await assert.rejects(sessions.load({ cookie }));
    assert.equal(lines.length, 2);
    assert.match(
      lines[1] as string,
      /cause: ECONNRESET.* 3 more get failure\(s\) since the previous line/,
    );

    const unavailable = events.filter((e) => e.type === "store-unavailable");
    assert.equal(unavailable.length, 5);
    for (const event of unavailable)
      assert.deepEqual(event, {
        type: "store-unavailable",
        at: event.at,
        reason: "get",
        cause: "ECONNRESET",
      });

    const token = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
    for (const line of lines) {
      for (const secret of [
        PASSWORD,
        "10.0.0.1",
        token,
        token.split(".")[0] as string,
        "redis://",
      ]) {
        assert.ok(!line.includes(secret), `a log line contains ${secret}`);
      }
    }
    fail(false);
    assert.equal((await sessions.load({ cookie })).get("cart")?.[0], "book");
  });

  it("writes to console.error by default, and not at all with log: false", async (t) => {
    const printed: unknown[][] = [];
    t.mock.method(console, "error", (...args: unknown[]) => printed.push(args));
    const cookie = await issuedCookie();
    for (const log of [undefined, false] as const) {
      const { store, fail } = failingMemoryStore();
      fail(true);
      const sessions = createSessions({ secrets, store, ...(log === undefined ? {} : { log }) });
      await assert.rejects(sessions.load({ cookie }));
    }
    assert.equal(printed.length, 1);
    assert.match(
      String(printed[0]?.[0]),
      /^latchkey: the session store failed during get \(cause: ECONNRESET\)/,
    );
  });

  it("refuses a log option that is neither a function nor false", () => {
    assert.throws(
      () => createSessions({ secrets, log: "stderr" as never }),
      (error) => isLatchkeyError(error, "config-invalid"),
    );
  });

  it("a real redisStore on a closed port: ECONNREFUSED in the event, the log and check(), no password", async () => {
    const lines: string[] = [];
    const events: SessionEvent[] = [];
    const store = redisStore({ url: `redis://:${PASSWORD}@127.0.0.1:1`, prefix: runId("closed") });
    const sessions = createSessions({
      secrets,
      store,
      log: (line) => lines.push(line),
      onEvent: (event) => events.push(event),
    });
    try {
      const cookie = await issuedCookie();
      await assert.rejects(sessions.load({ cookie }), (error) =>
        isLatchkeyError(error, "store-unavailable"),
      );
      assert.deepEqual(
        events.map((e) => [e.type, e.reason, e.cause]),
        [["store-unavailable", "get", "ECONNREFUSED"]],
      );
      assert.equal(lines.length, 1);
      assert.match(lines[0] as string, /during get \(cause: ECONNREFUSED\)/);
      assert.ok(!(lines[0] as string).includes(PASSWORD));
      const health = await sessions.check();
      assert.equal(health.ok, false);
      assert.deepEqual(health.ok ? null : health.cause, "ECONNREFUSED");
      assert.equal(events.length, 1, "check() reports through its answer, not as an event");
    } finally {
      await sessions.close();
    }
  });
});

describe("sessions.check()", () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  async function assertReady(store: SessionsOptions["store"]): Promise<void> {
    const sessions = createSessions({ secrets, store, log: false });
    closers.push(() => sessions.close());
    const health = await sessions.check();
    assert.equal(health.ok, true, JSON.stringify(health));
    assert.ok(health.latencyMs >= 0 && health.latencyMs < 2_000);
  }

  it("is ok on a memory store", () => assertReady(memoryStore()));
  it("is ok on SQLite", () => assertReady(sqliteStore({ path: ":memory:" })));

  it("is ok on a real Redis", async (t) => {
    const missing = await redisUnreachable();
    if (missing !== null) return skipOrFail(t, missing);
    await assertReady(redisStore({ url: REDIS_URL, prefix: `${runId("check")}:` }));
  });

  it("is ok on a real PostgreSQL", async (t) => {
    const missing = await postgresUnreachable();
    if (missing !== null) return skipOrFail(t, missing);
    const schema = runId("check");
    closers.push(() => dropSchema(schema));
    await assertReady(postgresStore({ connectionString: DATABASE_URL, schema }));
  });

  it("fails with the SQLSTATE when PostgreSQL refuses the password", async (t) => {
    const missing = await postgresUnreachable();
    if (missing !== null) return skipOrFail(t, missing);
    const url = new URL(DATABASE_URL);
    url.username = "latchkey_no_such_role";
    url.password = PASSWORD;
    const sessions = createSessions({
      secrets,
      store: postgresStore({ connectionString: url.href, schema: runId("role") }),
      log: false,
    });
    closers.push(() => sessions.close());
    const health = await sessions.check();
    assert.deepEqual(health.ok ? null : health.cause, "28000");
  });

  it("needs no round trip for sealed cookies without a revocation store", async () => {
    const sessions = createSessions({ secrets, store: cookieStore(), log: false });
    assert.deepEqual(await sessions.check(), { ok: true, latencyMs: 0 });
  });

  it("asks a sealed-cookie mode's revocation store", async () => {
    const { store, fail } = failingMemoryStore();
    const { ping: _unused, ...withoutPing } = store;
    const sessions = createSessions({
      secrets,
      store: cookieStore({ revocation: withoutPing }),
      log: false,
    });
    assert.equal((await sessions.check()).ok, true);
    fail(true);
    assert.deepEqual(
      { ...(await sessions.check()), latencyMs: 0 },
      { ok: false, cause: "ECONNRESET", latencyMs: 0 },
    );
  });

  it("answers timeout when the store does not answer in time, and never throws", async () => {
    const hanging: Store = { ...memoryStore(), ping: () => new Promise(() => {}) };
    const throwing: Store = {
      ...memoryStore(),
      ping: () => {
        throw new TypeError("sync");
      },
    };
    const hung = await createSessions({ secrets, store: hanging, log: false }).check({
      timeout: 50,
    });
    assert.equal(hung.ok ? null : hung.cause, "timeout");
    assert.ok(hung.latencyMs >= 45);
    const thrown = await createSessions({ secrets, store: throwing, log: false }).check();
    assert.equal(thrown.ok ? null : thrown.cause, "TypeError");
  });
});

describe("OpenTelemetry metrics", () => {
  async function collect(run: (options: Pick<SessionsOptions, "telemetry">) => Promise<void>) {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    await run({ telemetry: { meter: provider.getMeter("latchkey") } });
    await reader.forceFlush();
    const points = new Map<
      string,
      Array<{ attributes: Record<string, unknown>; value: unknown }>
    >();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          points.set(
            metric.descriptor.name,
            metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
          );
        }
      }
    }
    await provider.shutdown();
    return points;
  }

  it("counts events by type, CSRF refusals by reason, and times store calls by operation", async () => {
    const { store, fail } = failingMemoryStore();
    const points = await collect(async ({ telemetry }) => {
      const sessions = createSessions({ secrets, store, telemetry, log: false });
      const session = await sessions.load({});
      await session.login("user-42");
      const headers = await sessions.commit(session);
      const cookie = headers?.setCookie.split(";")[0] as string;
      await sessions.load({ cookie });
      sessions.emit({ type: "csrf-refused", reason: "cross-site" });
      sessions.emit({ type: "csrf-refused", reason: "cross-site" });
      fail(true);
      await assert.rejects(sessions.load({ cookie }));
    });

    const events = points.get("latchkey.session.events") ?? [];
    assert.deepEqual(
      events
        .map((p) => [p.attributes, p.value])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        [{ type: "login" }, 1],
        [{ type: "store-unavailable" }, 1],
      ],
    );
    assert.deepEqual(
      (points.get("latchkey.csrf.refusals") ?? []).map((p) => [p.attributes, p.value]),
      [[{ reason: "cross-site" }, 2]],
    );
    const durations = points.get("latchkey.store.duration") ?? [];
    const seen = durations.map((p) => `${p.attributes.operation}/${p.attributes.outcome}`).sort();
    assert.ok(seen.includes("get/ok") && seen.includes("get/error"), seen.join(", "));
    for (const point of durations) {
      assert.deepEqual(Object.keys(point.attributes).sort(), ["operation", "outcome"]);
      assert.ok((point.value as { count: number }).count >= 1);
    }
    const everything = JSON.stringify([...points.values()]);
    assert.ok(!everything.includes("user-42"), "a user id became an attribute");
  });

  it("refuses a telemetry option without a meter", () => {
    assert.throws(
      () => createSessions({ secrets, telemetry: {} as never }),
      (error) => isLatchkeyError(error, "config-invalid"),
    );
  });
});
