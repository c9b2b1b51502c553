// Every store latchkey ships passes the exported conformance suite (latchkey/testing).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { describeStoreConformance } from "../../packages/latchkey/src/testing/index.ts";
import { redisServerMissing, startRedisCluster } from "./support/redis-server.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
  skipReason,
} from "./support/services.ts";

/** The store, with `cleanup` run after its own close(). */
function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  return {
    ...store,
    async close() {
      try {
        await store.close?.();
      } finally {
        await cleanup();
      }
    },
  };
}

describeStoreConformance("memory", () => memoryStore());

describeStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-sqlite-"));
  const store = sqliteStore({ path: join(dir, "sessions.db") });
  return withCleanup(store, async () => rmSync(dir, { recursive: true, force: true }));
});

describeStoreConformance(
  "redis (standalone)",
  () => {
    const prefix = `${runId("conf")}:`;
    return withCleanup(redisStore({ url: REDIS_URL, prefix }), () =>
      dropRedisPrefix(REDIS_URL, prefix),
    );
  },
  { skip: async () => skipReason(await redisUnreachable()) },
);

describeStoreConformance(
  "redis (a shared client with an ioredis keyPrefix)",
  () => {
    const keyPrefix = `${runId("kp")}:`;
    const client = new Redis(REDIS_URL, { keyPrefix, maxRetriesPerRequest: 1 });
    return withCleanup(redisStore({ client, prefix: "sessions:" }), async () => {
      client.disconnect();
      await dropRedisPrefix(REDIS_URL, keyPrefix);
    });
  },
  { skip: async () => skipReason(await redisUnreachable()) },
);

describeStoreConformance(
  "redis (3-master cluster)",
  async () => {
    const cluster = await startRedisCluster();
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    return withCleanup(redisStore({ client }), async () => {
      client.disconnect();
      await cluster.destroy();
    });
  },
  { skip: () => skipReason(redisServerMissing()) },
);

// The same store through node-redis clients: every script and command goes through its API.
describeStoreConformance(
  "redis (node-redis client)",
  async () => {
    const prefix = `${runId("nr")}:`;
    const client = await createClient({ url: REDIS_URL }).connect();
    return withCleanup(redisStore({ client, prefix }), async () => {
      client.destroy();
      await dropRedisPrefix(REDIS_URL, prefix);
    });
  },
  { skip: async () => skipReason(await redisUnreachable()) },
);

describeStoreConformance(
  "redis (3-master cluster, node-redis createCluster)",
  async () => {
    const cluster = await startRedisCluster();
    const client = await createCluster({
      rootNodes: cluster.nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    }).connect();
    return withCleanup(redisStore({ client }), async () => {
      client.destroy();
      await cluster.destroy();
    });
  },
  { skip: () => skipReason(redisServerMissing()) },
);

describeStoreConformance(
  "postgres",
  async () => {
    const schema = runId("conf");
    const store = postgresStore({ connectionString: DATABASE_URL, schema });
    await store.migrate();
    return withCleanup(store, () => dropSchema(schema));
  },
  { skip: async () => skipReason(await postgresUnreachable()) },
);
