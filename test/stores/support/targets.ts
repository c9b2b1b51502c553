// Every store latchkey ships, ready for an integration test: how to make one against the
// services of this machine, why it cannot be made here (to skip loudly), and how to clean up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { memoryStore } from "../../../packages/latchkey/src/stores/memory.ts";
import { postgresStore } from "../../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../../packages/latchkey/src/stores/sqlite.ts";
import type { Store } from "../../../packages/latchkey/src/stores/types.ts";
import { redisServerMissing, startRedisCluster } from "./redis-server.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./services.ts";

export interface MadeStore {
  store: Store;
  /** The ioredis client under a Redis store (to count its commands). */
  redis?: Redis | Cluster;
  cleanup(): Promise<void>;
}

export interface StoreTarget {
  name: string;
  /** Why this store cannot run here, or null. */
  unavailable(): Promise<string | null>;
  make(): Promise<MadeStore>;
}

export const targets: StoreTarget[] = [
  {
    name: "memory",
    unavailable: async () => null,
    make: async () => ({ store: memoryStore(), cleanup: async () => {} }),
  },
  {
    name: "sqlite",
    unavailable: async () => null,
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), "latchkey-sqlite-"));
      const store = sqliteStore({ path: join(dir, "sessions.db") });
      return {
        store,
        cleanup: async () => {
          await store.close?.();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "redis",
    unavailable: () => redisUnreachable(),
    make: async () => {
      const prefix = `${runId("http")}:`;
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      return {
        store: redisStore({ client, prefix }),
        redis: client,
        cleanup: async () => {
          client.disconnect();
          await dropRedisPrefix(REDIS_URL, prefix);
        },
      };
    },
  },
  {
    name: "redis cluster",
    unavailable: async () => redisServerMissing(),
    make: async () => {
      const cluster = await startRedisCluster();
      const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
      return {
        store: redisStore({ client }),
        redis: client,
        cleanup: async () => {
          client.disconnect();
          await cluster.destroy();
        },
      };
    },
  },
  {
    name: "postgres",
    unavailable: () => postgresUnreachable(),
    make: async () => {
      const schema = runId("http");
      const store = postgresStore({ connectionString: DATABASE_URL, schema });
      await store.migrate();
      return {
        store,
        cleanup: async () => {
          await store.close?.();
          await dropSchema(schema);
        },
      };
    },
  },
];
