// The shared services the store tests use: REDIS_URL and DATABASE_URL (defaults in the README), each with a
// key prefix / schema of this test run's own, removed afterwards.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { servicesRequired } from "../../helpers/service.ts";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A name unique to this run, usable as a Redis prefix part and a PostgreSQL identifier. */
export function runId(label: string): string {
  return `lk_${label}_${randomBytes(6).toString("hex")}`;
}

/** Null when Redis answers at REDIS_URL, otherwise why not. */
export async function redisUnreachable(url = REDIS_URL): Promise<string | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 10_000,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return `redis not reachable at ${url}: ${(error as Error).message}`;
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (a run's own keys) from a standalone server. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/** Null when PostgreSQL answers at DATABASE_URL, otherwise why not. */
export async function postgresUnreachable(url = DATABASE_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return `postgres not reachable at ${url}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops a schema this run created. */
export async function dropSchema(schema: string, url = DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * For a suite-level check: warns loudly and returns the reason to skip, or throws when
 * LATCHKEY_REQUIRE_SERVICES=1 (as skipOrFail does for a single test).
 */
export function skipReason(reason: string | null): string | null {
  if (reason === null) return null;
  if (servicesRequired) throw new Error(`${reason} (LATCHKEY_REQUIRE_SERVICES=1)`);
  console.warn(`\n  ⚠ SKIPPED: ${reason}\n`);
  return reason;
}
