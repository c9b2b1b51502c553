// Lua scripts of the Redis store. Each touches exactly one key, so each works on a Cluster, and
// each runs atomically: no other client sees (or interleaves with) a half-applied change.
import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

export interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

// HSET/HDEL take at most this many arguments per call: Lua's unpack() has a stack limit (~8000).
const CHUNK = `local CHUNK = 1000`;

/** KEYS[1] session hash; ARGV[1] expiresAt (ms); ARGV[2..] field, value, field, value… */
export const CREATE = script(`${CHUNK}
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, CHUNK do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1`);

/**
 * KEYS[1] session hash; ARGV[1] new expiresAt or ""; ARGV[2] how many ARGV entries are
 * field/value pairs to set; then those pairs; then the fields to delete.
 * A missing session stays missing (no resurrection). Returns the stored userId's JSON text.
 */
export const UPDATE = script(`${CHUNK}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local last = 2 + tonumber(ARGV[2])
for i = 3, last, CHUNK do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, last)))
end
for i = last + 1, #ARGV, CHUNK do
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
if ARGV[1] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return redis.call('HGET', KEYS[1], 'm:userId')`);

/**
 * KEYS[1] a user's index set; ARGV[1] milliseconds it must live at least; ARGV[2] a ref to add,
 * or "" to only extend an existing set. The TTL only grows: the set outlives its last session.
 */
export const INDEX = script(`
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[1], ARGV[2])
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local want = math.max(tonumber(ARGV[1]), 1)
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`);

/** KEYS[1] session hash; ARGV[1] the userId's JSON text. Deletes it only if it belongs to that user. */
export const DELETE_IF_USER = script(`
if redis.call('HGET', KEYS[1], 'm:userId') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** KEYS[1] a revocation mark; ARGV[1] at; ARGV[2] milliseconds to remember it at least. Keeps the latest `at`. */
export const MARK = script(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
local want = math.max(tonumber(ARGV[2]), 1)
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`);

/** EVALSHA, falling back to EVAL once when the server does not know the script yet (NOSCRIPT). */
export async function run(
  client: Redis | Cluster,
  { source, sha }: Script,
  key: string,
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(sha, 1, key, ...args);
  } catch (error) {
    // NOSCRIPT is the reply's error code (the protocol's first word), not prose.
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(source, 1, key, ...args);
  }
}
