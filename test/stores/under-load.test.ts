// How responsive an app stays while its store works hard: 20 clients save 100 KB sessions back to
// back, and a cheap route (no session) is timed meanwhile — on every store, with the app in a
// process of its own. The numbers are printed; docs/stores.md ("Under load") quotes them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startAppChild, stopAppChild } from "./support/app-child.ts";
import { percentile } from "./support/latency.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./support/services.ts";

const CLIENTS = 20;
const VALUE_SIZE = 100 * 1024;
const DURATION_MS = 6_000;
const SAVERS = new URL("./support/blob-savers.ts", import.meta.url).pathname;

interface Setup {
  unavailable(): Promise<string | null>;
  env(): Record<string, string>;
  cleanup(env: Record<string, string>): Promise<void>;
}

const stores: Record<string, Setup> = {
  memory: {
    unavailable: async () => null,
    env: () => ({ STORE: "memory" }),
    cleanup: async () => {},
  },
  sqlite: {
    unavailable: async () => null,
    env: () => ({
      STORE: "sqlite",
      SQLITE_PATH: join(mkdtempSync(join(tmpdir(), "latchkey-load-")), "sessions.db"),
    }),
    cleanup: async (env) => rmSync(join(env.SQLITE_PATH as string, ".."), { recursive: true }),
  },
  redis: {
    unavailable: () => redisUnreachable(),
    env: () => ({ STORE: "redis", REDIS_URL, PREFIX: `${runId("load")}:` }),
    cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
  },
  postgres: {
    unavailable: () => postgresUnreachable(),
    env: () => ({ STORE: "postgres", DATABASE_URL, SCHEMA: runId("load") }),
    cleanup: (env) => dropSchema(env.SCHEMA as string),
  },
};

describe("a cheap route while 20 clients save 100 KB sessions", () => {
  for (const [name, setup] of Object.entries(stores)) {
    it(`${name}: the cheap route's p99 stays under 1 s, every save succeeds`, async (t) => {
      const unavailable = await setup.unavailable();
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const env = { ...setup.env(), SESSION_SECRET: testSecret() };
      const app = await startAppChild(env);
      try {
        const savers = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            SAVERS,
            app.url,
            String(CLIENTS),
            String(VALUE_SIZE),
            String(DURATION_MS),
          ],
          { stdio: ["ignore", "pipe", "inherit"] },
        );
        const report = once(createInterface({ input: savers.stdout }), "line");
        // Timed from here: the savers' process has started and is sending.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const until = Date.now() + DURATION_MS - 1_500;
        const pings: number[] = [];
        while (Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          const started = performance.now();
          const reply = await request(`${app.url}/ping`);
          pings.push(performance.now() - started);
          assert.equal(reply.status, 200);
        }
        const [line] = (await report) as [string];
        const counts = JSON.parse(line).statuses as Record<string, number>;
        const statuses = Object.keys(counts).map(Number);
        const saves = Object.values(counts).reduce((sum, n) => sum + n, 0);
        const p50 = percentile(pings, 50);
        const p99 = percentile(pings, 99);
        console.log(
          `under load (${name}): ${saves} saves of 100 KB in ${DURATION_MS} ms; ` +
            `cheap route p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${pings.length} samples)`,
        );
        assert.deepEqual(new Set(statuses), new Set([200]), "every save succeeded");
        assert.ok(saves >= CLIENTS, "each client saved at least once");
        // Load-tolerant: on a busy shared 2-core machine the p99 measured 240–430 ms on every store;
        // a store that held the event loop (a synchronous wait for a lock, a blocking parse of
        // every 100 KB value) shows up as seconds.
        assert.ok(p99 < 1_000, `p99 of the cheap route: ${p99.toFixed(1)} ms`);
      } finally {
        await stopAppChild(app);
        await setup.cleanup(env);
      }
    });
  }
});
