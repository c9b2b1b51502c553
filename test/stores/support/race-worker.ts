// One process of multi-process.test.ts: opens its own store on the shared Redis or PostgreSQL,
// says {"ready":true}, then for every line `{"trial":n,"op":…}` on stdin waits for the start
// time in it and runs the operation, answering {"trial":n,"result":…}.
// Env: STORE=redis|postgres, REDIS_URL + PREFIX, or DATABASE_URL + SCHEMA.
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { Store, StoredSession } from "../../../packages/latchkey/src/stores/types.ts";

interface Order {
  trial: number;
  /** Date.now() at which to run: every process starts together, as concurrent requests do. */
  at: number;
  op: "limit" | "claim";
  userId: string;
  ref: string;
  limit: number;
}

async function makeStore(): Promise<Store> {
  if (process.env.STORE === "redis") {
    const { redisStore } = await import("../../../packages/latchkey/src/stores/redis.ts");
    return redisStore({ url: process.env.REDIS_URL as string, prefix: process.env.PREFIX });
  }
  const { postgresStore } = await import("../../../packages/latchkey/src/stores/postgres.ts");
  return postgresStore({
    connectionString: process.env.DATABASE_URL as string,
    schema: process.env.SCHEMA,
  });
}

function entry(userId: string): StoredSession {
  const now = Date.now();
  return {
    secretHash: randomBytes(16).toString("base64url"),
    meta: {
      sid: randomBytes(16).toString("base64url"),
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

const store = await makeStore();
// A first command opens the connection, so the race is not decided by who connects first.
await store.get("warm-up");
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const order = JSON.parse(line) as Order;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, order.at - Date.now())));
  const mine = randomBytes(16).toString("base64url");
  let result: unknown;
  if (order.op === "limit") {
    result = await store.createWithinLimit(mine, entry(order.userId), {
      limit: order.limit,
      policy: "refuse",
      now: Date.now(),
    });
  } else {
    await store.create(mine, entry(order.userId));
    const claim = await store.claim(order.ref, mine, Date.now() + 60_000);
    if (!claim.claimed) await store.delete(mine);
    result = { ...claim, mine };
  }
  process.stdout.write(`${JSON.stringify({ trial: order.trial, result })}\n`);
}
await store.close?.();
