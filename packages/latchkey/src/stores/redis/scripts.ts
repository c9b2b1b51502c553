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
 * A missing session stays missing (no resurrection), and a rotated-away one (successor set) is
 * left as it is, checked in this same script so that no claim runs in between: moving a pointer's
 * expiry would stretch its grace window. Both return false (nil). Otherwise returns, as stored
 * after the change, the JSON texts of userId, createdAt, expiresAt and successor (what the user's
 * index records).
 */
export const UPDATE = script(`${CHUNK}
local found = redis.call('HMGET', KEYS[1], 'h', 'm:successor')
if not found[1] then return false end
if found[2] and found[2] ~= 'null' then return false end
local last = 2 + tonumber(ARGV[2])
for i = 3, last, CHUNK do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, last)))
end
for i = last + 1, #ARGV, CHUNK do
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
if ARGV[1] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return redis.call('HMGET', KEYS[1], 'm:userId', 'm:createdAt', 'm:expiresAt', 'm:successor')`);

/**
 * KEYS[1] session hash; ARGV[1] the successor ref's JSON text; ARGV[2] pointerUntil (ms), "0" to
 * delete. Claims only a session without a successor. Returns {1, userId, createdAt} (JSON texts)
 * when claimed, {0, successor} when another claim won, {0} when the session is gone.
 */
export const CLAIM = script(`
local f = redis.call('HMGET', KEYS[1], 'h', 'm:successor', 'm:userId', 'm:createdAt')
if not f[1] then return {0} end
if f[2] and f[2] ~= 'null' then return {0, f[2]} end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'm:successor', ARGV[1], 'm:expiresAt', ARGV[2])
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return {1, f[3] or 'null', f[4] or '0'}`);

/**
 * KEYS[1] session hash; ARGV[1] the userId's JSON text it must have, or "" for any. Deletes it and
 * returns {userId, successor} (JSON texts), or {} when it is missing or another user's: one link
 * of a successor chain, removed together with reading where it points.
 */
export const DELETE_LINK = script(`
local f = redis.call('HMGET', KEYS[1], 'h', 'm:userId', 'm:successor')
if not f[1] then return {} end
if ARGV[1] ~= '' and f[2] ~= ARGV[1] then return {} end
redis.call('DEL', KEYS[1])
return {f[2] or 'null', f[3] or 'null'}`);

// A user's index is a hash: field = ref, value = "<createdAt>:<expiresAt>:<state>", state 0 live,
// 1 rotated away, 2 evicted by the limit (its entry is being deleted). Everything the limit needs
// is in this one key, so the limit script touches nothing else (Cluster).
const KEEP = `local function keep(ms)
  local want = math.max(tonumber(ms), 1)
  if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
end`;

/**
 * KEYS[1] a user's index; ARGV[1] milliseconds it must live at least; ARGV[2] a ref; ARGV[3] its
 * value. Adds or replaces the member. The TTL only grows: the index outlives its last session.
 */
export const INDEX_PUT = script(`${KEEP}
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
keep(ARGV[1])
return 1`);

/**
 * KEYS[1] a user's index; ARGV[1] milliseconds it must live at least; ARGV[2] a ref; ARGV[3] its
 * new expiresAt; ARGV[4] its new state, or "" to keep it. Changes only a member that is there: a
 * session deleted meanwhile is not listed again.
 */
export const INDEX_TOUCH = script(`${KEEP}
local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value then return 0 end
local created, _, state = string.match(value, '^(%d+):(%d+):(%d)$')
if not created then return 0 end
if ARGV[4] ~= '' then state = ARGV[4] end
redis.call('HSET', KEYS[1], ARGV[2], created .. ':' .. ARGV[3] .. ':' .. state)
keep(ARGV[1])
return 1`);

/**
 * KEYS[1] a user's index; ARGV[1] now; ARGV[2] limit; ARGV[3] policy ("refuse" or
 * "evict-oldest"); ARGV[4] a ref not to count, or ""; ARGV[5] the new ref; ARGV[6] its value;
 * ARGV[7] milliseconds the index must live at least.
 * Live: state 0, expiresAt > now. Expired (or unreadable) members are dropped. With room (or after
 * marking the oldest live members evicted, by createdAt then ref) adds the new ref and returns
 * {1, evicted refs…}; refused: {0, live count}. The caller deletes the evicted entries.
 */
export const LIMIT = script(`${KEEP}
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local members = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #members, 2 do
  local ref = members[i]
  local created, expires, state = string.match(members[i + 1], '^(%d+):(%d+):(%d)$')
  if not created or tonumber(expires) <= now then
    redis.call('HDEL', KEYS[1], ref)
  elseif state == '0' and ref ~= ARGV[4] then
    table.insert(live, {ref, tonumber(created), expires, created})
  end
end
local excess = #live + 1 - limit
local reply = {1}
if excess > 0 then
  if ARGV[3] ~= 'evict-oldest' then return {0, #live} end
  table.sort(live, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  for i = 1, excess do
    local m = live[i]
    redis.call('HSET', KEYS[1], m[1], m[4] .. ':' .. m[3] .. ':2')
    reply[i + 1] = m[1]
  end
end
redis.call('HSET', KEYS[1], ARGV[5], ARGV[6])
keep(ARGV[7])
return reply`);

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
