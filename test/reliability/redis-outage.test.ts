// Redis frozen and killed under load, on a private redis-server (the shared one is never touched).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import type { RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startLoadApp, type Values } from "./support/load.ts";
import { runOutage } from "./support/outage-run.ts";
import {
  type PrivateRedis,
  redisServerMissing,
  startPrivateRedis,
} from "./support/redis-process.ts";

describe("redis outages under load", { timeout: 120_000 }, () => {
  const missing = redisServerMissing();
  let redis: PrivateRedis;
  let store: Store;
  let sessions: Sessions<Values>;
  let app: RunningServer;
  let rotations = 0;

  before(async () => {
    if (missing !== null) return;
    redis = await startPrivateRedis();
    store = redisStore({
      url: redis.url,
      prefix: "reliability:",
      // A frozen server never answers: the store's default (5 s per command, several commands
      // per request) would stall each request for many seconds. One second still tolerates a
      // loaded machine; connectTimeout bounds the reconnect attempts while it is dead.
      redisOptions: { commandTimeout: 1_000, connectTimeout: 1_000 },
    });
    sessions = createSessions<Values>({
      secrets: [testSecret()],
      store,
      // Periodic rotation during the run: claims and successor writes are cut by the outage too.
      rotateEvery: "2s",
      onEvent: (e) => {
        if (e.type === "rotated") rotations++;
      },
    });
    app = await startLoadApp(sessions);
  });

  after(async () => {
    if (missing !== null) return;
    await app.close();
    await store.close?.();
    await redis.destroy();
  });

  it("frozen with SIGSTOP for 3 s: 503s, never another user, nothing acknowledged lost", async (t) => {
    if (missing !== null) return skipOrFail(t, missing);
    const rotatedBefore = rotations;
    await runOutage(sessions, app.url, {
      label: "redis SIGSTOP",
      users: 6,
      down: async () => redis.freeze(),
      downFor: 3_000,
      up: async () => redis.thaw(),
    });
    assert.ok(rotations > rotatedBefore, "sessions were rotated during the run");
  });

  it("killed with SIGKILL and restarted from its append-only file", async (t) => {
    if (missing !== null) return skipOrFail(t, missing);
    const rotatedBefore = rotations;
    await runOutage(sessions, app.url, {
      label: "redis SIGKILL+restart",
      users: 6,
      down: () => redis.kill(),
      downFor: 2_000,
      up: () => redis.start(),
    });
    assert.ok(rotations > rotatedBefore, "sessions were rotated during the run");
  });
});
