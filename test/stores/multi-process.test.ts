// Six processes sharing Redis or PostgreSQL race as concurrent requests do: logins of one user
// under a limit of 2 (never more than 2 live), and rotations of one token (exactly one winner,
// every loser pointed at it). Each trial starts every process at the same instant.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface, type Interface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import type { Store, StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./support/services.ts";

const WORKER = new URL("./support/race-worker.ts", import.meta.url).pathname;
const PROCESSES = 6;
const TRIALS = 20;

interface Worker {
  child: ChildProcess;
  lines: Interface;
  ask(order: object): Promise<unknown>;
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const waiting = new Map<number, (result: unknown) => void>();
  let ready: (() => void) | undefined;
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  lines.on("line", (line) => {
    const message = JSON.parse(line);
    if (message.ready) ready?.();
    else waiting.get(message.trial)?.(message.result);
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`worker exited with ${code}`);
  });
  await Promise.race([started, exited]);
  return {
    child,
    lines,
    ask(order: { trial: number }) {
      const answer = new Promise<unknown>((resolve) => waiting.set(order.trial, resolve));
      child.stdin?.write(`${JSON.stringify(order)}\n`);
      return Promise.race([answer, exited]);
    },
  };
}

function loggedIn(userId: string): StoredSession {
  const now = Date.now();
  return {
    secretHash: "h",
    meta: {
      sid: randomBytes(8).toString("hex"),
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 60_000,
      userId,
      authTime: now,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: {},
  };
}

interface Shared {
  unavailable(): Promise<string | null>;
  env(): Record<string, string>;
  open(env: Record<string, string>): Promise<Store>;
  cleanup(env: Record<string, string>): Promise<void>;
}

const shared: Record<string, Shared> = {
  redis: {
    unavailable: () => redisUnreachable(),
    env: () => ({ STORE: "redis", REDIS_URL, PREFIX: `${runId("race")}:` }),
    open: async (env) => redisStore({ url: REDIS_URL, prefix: env.PREFIX }),
    cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
  },
  postgres: {
    unavailable: () => postgresUnreachable(),
    env: () => ({ STORE: "postgres", DATABASE_URL, SCHEMA: runId("race") }),
    open: async (env) => {
      const store = postgresStore({ connectionString: DATABASE_URL, schema: env.SCHEMA });
      await store.migrate();
      return store;
    },
    cleanup: (env) => dropSchema(env.SCHEMA as string),
  },
};

for (const [name, service] of Object.entries(shared)) {
  describe(`${PROCESSES} processes sharing ${name}`, () => {
    let unavailable: string | null = null;
    let env: Record<string, string>;
    let store: Store;
    let workers: Worker[] = [];
    let trial = 0;

    /** Sends every worker the same order, to run at the same instant; their answers. */
    const race = (order: object) => {
      const at = Date.now() + 100;
      trial++;
      return Promise.all(workers.map((w) => w.ask({ ...order, trial, at })));
    };

    before(async () => {
      unavailable = await service.unavailable();
      if (unavailable !== null) return;
      env = service.env();
      store = await service.open(env); // migrates before the workers start
      workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker(env)));
    });
    after(async () => {
      if (unavailable !== null) return;
      for (const worker of workers) worker.child.stdin?.end();
      await Promise.all(workers.map((w) => once(w.child, "exit")));
      await store.close?.();
      await service.cleanup(env);
    });

    it(`logins of one user with a limit of 2: never more than 2 live, over ${TRIALS} trials`, async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      for (let i = 0; i < TRIALS; i++) {
        const userId = `user-${randomBytes(8).toString("hex")}`;
        const results = (await race({ op: "limit", userId, limit: 2 })) as Array<{
          created: boolean;
        }>;
        const live = await store.listByUser(userId);
        assert.equal(live.length, 2, `trial ${i}: ${live.length} live sessions, limit 2`);
        assert.equal(results.filter((r) => r.created).length, 2, `trial ${i}: two admitted`);
      }
    });

    it(`rotations of one token: exactly one winner, every loser follows it, over ${TRIALS} trials`, async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      for (let i = 0; i < TRIALS; i++) {
        const userId = `user-${randomBytes(8).toString("hex")}`;
        const ref = randomBytes(16).toString("base64url");
        await store.create(ref, loggedIn(userId));
        const results = (await race({ op: "claim", userId, ref })) as Array<{
          claimed: boolean;
          successor?: string | null;
          mine: string;
        }>;
        const winners = results.filter((r) => r.claimed);
        assert.equal(winners.length, 1, `trial ${i}: ${winners.length} winners`);
        const winner = winners[0]?.mine;
        for (const r of results) if (!r.claimed) assert.equal(r.successor, winner);
        assert.equal((await store.get(ref))?.meta.successor, winner);
        const live = await store.listByUser(userId);
        assert.deepEqual(
          live.map((s) => s.ref),
          [winner],
          `trial ${i}: one session, not a fork`,
        );
      }
    });
  });
}
