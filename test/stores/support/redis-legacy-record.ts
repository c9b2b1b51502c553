// A session hash as redisStore wrote it before the meta became one JSON field: `h`, one
// `m:<field>` per meta field (its JSON text), `d:<key>` per value, expiring with the session.
import type { Redis } from "ioredis";
import type { StoredSession } from "../../../packages/latchkey/src/stores/types.ts";

export async function writeLegacyRecord(
  client: Redis,
  key: string,
  session: StoredSession,
): Promise<void> {
  const fields: string[] = ["h", session.secretHash];
  for (const [field, value] of Object.entries(session.meta)) {
    fields.push(`m:${field}`, JSON.stringify(value) ?? "null");
  }
  for (const [key, text] of Object.entries(session.data)) fields.push(`d:${key}`, text);
  await client.del(key);
  await client.hset(key, ...fields);
  await client.pexpireat(key, session.meta.expiresAt);
}
