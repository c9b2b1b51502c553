// Lua scripts of the Redis store. Each runs atomically: no other client sees (or interleaves
// with) a half-applied change.
//
// Two families. The per-key scripts touch exactly one key, so they work on a Cluster, where keys
// of one session and of its user's index live in different slots. The `*_ALL` scripts are the
// same operations with the user's index (and, for a deletion, the successor chain) maintained in
// the same script: one round trip per write on a standalone server. They reach keys whose names
// they compute from what they read (the user id stored in the session, a successor's ref), which
// a standalone server allows and a Cluster does not. Those names are built from a prefix passed
// as a key (KEYS[2], KEYS[3]), so a client-side ioredis `keyPrefix` applies to them too.
//
// A session hash holds `h` (the secret's hash), `m` (the meta as one JSON object) and `d:<key>`
// (each value's JSON text). Earlier versions kept one `m:<field>` per meta field; META reads both,
// and a script that changes the meta of such a record rewrites it as `m` (META_SAVE).
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

// A user's index is a hash: field = ref, value = "<createdAt>:<expiresAt>:<state>", state 0 live,
// 1 rotated away, 2 evicted by the limit (its entry is being deleted). Everything the limit needs
// is in this one key, so the limit script touches nothing else (Cluster).
const INDEX = `local function keep(key, ms)
  local want = math.max(tonumber(ms), 1)
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, want) end
end
local function index_put(key, ms, ref, value)
  redis.call('HSET', key, ref, value)
  keep(key, ms)
end
local function index_touch(key, ms, ref, expires, state)
  local value = redis.call('HGET', key, ref)
  if not value then return end
  local created, _, was = string.match(value, '^(%d+):(%d+):(%d)$')
  if not created then return end
  if state == '' then state = was end
  redis.call('HSET', key, ref, created .. ':' .. expires .. ':' .. state)
  keep(key, ms)
end`;

// The user index key of a session's userId (as META decodes it), or nil when anonymous.
const INDEX_OF = `local function index_of(prefix, user)
  if user == nil or user == cjson.null then return nil end
  return prefix .. user
end`;

// A session's meta as a table (JSON null is cjson.null), and whether the record is of the earlier
// format (one `m:<field>` per field); nil when the session does not exist. `text` is a
// value's JSON text, as the client parses it back.
const META = `local function meta_of(key)
  local f = redis.call('HMGET', key, 'h', 'm')
  if not f[1] then return nil end
  if f[2] then return cjson.decode(f[2]), false end
  local meta, all = {}, redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'm:' then meta[string.sub(all[i], 3)] = cjson.decode(all[i + 1]) end
  end
  return meta, true
end
local function present(value) return value ~= nil and value ~= cjson.null end
local function text(value) if value == nil then return 'null' end return cjson.encode(value) end`;

// Writes the meta back as `m`; a record of the earlier format loses its `m:<field>` fields.
const META_SAVE = `local function save_meta(key, meta, legacy)
  if legacy then
    for field in pairs(meta) do redis.call('HDEL', key, 'm:' .. field) end
  end
  redis.call('HSET', key, 'm', cjson.encode(meta))
end`;

const CREATE_BODY = `redis.call('DEL', KEYS[1])
for i = FIRST, #ARGV, CHUNK do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])`;

/** KEYS[1] session hash; ARGV[1] expiresAt (ms); ARGV[2..] field, value, field, value… */
export const CREATE = script(`${CHUNK}
local FIRST = 2
${CREATE_BODY}
return 1`);

/**
 * Standalone. KEYS[1] session hash; KEYS[2] its user's index; ARGV[1] expiresAt (ms); ARGV[2]
 * the ref; ARGV[3] its index value; ARGV[4] milliseconds the index must live at least; ARGV[5..]
 * field, value… Creates the session, then indexes it (a listing never meets a member whose
 * entry is still to come).
 */
export const CREATE_ALL = script(`${CHUNK}
${INDEX}
local FIRST = 5
${CREATE_BODY}
index_put(KEYS[2], ARGV[4], ARGV[2], ARGV[3])
return 1`);

const UPDATE_BODY = `local meta, legacy = meta_of(KEYS[1])
if not meta then return false end
if present(meta.successor) then return false end
if ARGV[FIRST - 2] ~= '' then
  for field, value in pairs(cjson.decode(ARGV[FIRST - 2])) do meta[field] = value end
  save_meta(KEYS[1], meta, legacy)
end
local last = FIRST + tonumber(ARGV[FIRST - 1]) - 1
for i = FIRST, last, CHUNK do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, last)))
end
for i = last + 1, #ARGV, CHUNK do
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
if ARGV[1] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end`;

/**
 * KEYS[1] session hash; ARGV[1] new expiresAt or ""; ARGV[2] the changed meta fields as a JSON
 * object, or ""; ARGV[3] how many ARGV entries are field/value pairs to set; then those pairs;
 * then the fields to delete.
 * A missing session stays missing (no resurrection), and a rotated-away one (successor set) is
 * left as it is, checked in this same script so that no claim runs in between: moving a pointer's
 * expiry would stretch its grace window. Both return false (nil). Otherwise returns, as stored
 * after the change, the JSON texts of userId, createdAt, expiresAt and successor (what the user's
 * index records).
 */
export const UPDATE = script(`${CHUNK}
${META}
${META_SAVE}
local FIRST = 4
${UPDATE_BODY}
return {text(meta.userId), text(meta.createdAt), text(meta.expiresAt), text(meta.successor)}`);

/**
 * UPDATE for a change that leaves the user's index as it is (no user, expiry or successor
 * change: most writes), on a standalone server or a Cluster. Same KEYS and ARGV as UPDATE;
 * returns 1, or false as UPDATE does. Fewer arguments and a one-number reply: less client CPU.
 */
export const UPDATE_DATA = script(`${CHUNK}
${META}
${META_SAVE}
local FIRST = 4
${UPDATE_BODY}
return 1`);

/**
 * Standalone. UPDATE, then the user's index follows. KEYS[1] session hash; KEYS[2] the prefix of
 * user index keys; ARGV[1] new expiresAt or ""; ARGV[2] now (ms); ARGV[3] index change: "put"
 * (the change gave the session its user), "touch" (expiry or successor changed) or ""; ARGV[4]
 * the ref; ARGV[5] the member's new state ("0", "1", or "" to keep); ARGV[6] the changed meta
 * fields as a JSON object, or ""; ARGV[7] how many pairs… then as UPDATE. Returns 1, or false as
 * UPDATE does.
 */
export const UPDATE_ALL = script(`${CHUNK}
${INDEX}
${INDEX_OF}
${META}
${META_SAVE}
local FIRST = 8
${UPDATE_BODY}
local key = index_of(KEYS[2], meta.userId)
if key and ARGV[3] ~= '' then
  -- Numbers as their JSON text (Lua prints integers below 10^14 exactly), as the client writes a member.
  local expires = text(meta.expiresAt)
  local ms = tonumber(expires) - tonumber(ARGV[2])
  if ARGV[3] == 'put' then
    local state = '0'
    if present(meta.successor) then state = '1' end
    index_put(key, ms, ARGV[4], text(meta.createdAt) .. ':' .. expires .. ':' .. state)
  else
    index_touch(key, ms, ARGV[4], expires, ARGV[5])
  end
end
return 1`);

const CLAIM_BODY = `local meta, legacy = meta_of(KEYS[1])
if not meta then return {0} end
if present(meta.successor) then return {0, text(meta.successor)} end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
else
  meta.successor = cjson.decode(ARGV[1])
  meta.expiresAt = tonumber(ARGV[2])
  save_meta(KEYS[1], meta, legacy)
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end`;

/**
 * KEYS[1] session hash; ARGV[1] the successor ref's JSON text; ARGV[2] pointerUntil (ms), "0" to
 * delete. Claims only a session without a successor. Returns {1, userId, createdAt} (JSON texts)
 * when claimed, {0, successor} when another claim won, {0} when the session is gone.
 */
export const CLAIM = script(`${META}
${META_SAVE}
${CLAIM_BODY}
return {1, text(meta.userId), text(meta.createdAt)}`);

// After a won claim on a standalone server: the user's index follows the old ref, which is removed
// (pointerUntil "0") or marked rotated away until the pointer's expiry. Needs INDEX, INDEX_OF and
// CLAIM_BODY's \`meta\`; KEYS[2] the prefix of user index keys; ARGV[2] pointerUntil, ARGV[3] the
// old ref, ARGV[4] now (ms).
const CLAIM_INDEX = `local key = index_of(KEYS[2], meta.userId)
if key then
  if ARGV[2] == '0' then
    redis.call('HDEL', key, ARGV[3])
  else
    index_touch(key, tonumber(ARGV[2]) - tonumber(ARGV[4]), ARGV[3], ARGV[2], '1')
  end
end`;

/**
 * Standalone. CLAIM, then the user's index follows: the member is removed (pointerUntil 0) or
 * marked rotated away with the pointer's expiry. KEYS[1] session hash; KEYS[2] the prefix of
 * user index keys; ARGV[1], ARGV[2] as CLAIM; ARGV[3] the ref; ARGV[4] now (ms). Replies as CLAIM.
 */
export const CLAIM_ALL = script(`${INDEX}
${INDEX_OF}
${META}
${META_SAVE}
${CLAIM_BODY}
${CLAIM_INDEX}
return {1}`);

/**
 * Standalone. A token replaced (rotation, login): CLAIM_ALL on the old session, and only when it
 * wins, CREATE_ALL of the new one, atomically. KEYS[1] old session hash; KEYS[2] the prefix of
 * user index keys; KEYS[3] new session hash; KEYS[4] the new session's user index, or absent;
 * ARGV[1] the new ref's JSON text; ARGV[2] pointerUntil ("0" deletes the old one); ARGV[3] the old
 * ref; ARGV[4] now (ms); ARGV[5] the new ref; ARGV[6] its index value; ARGV[7] milliseconds its
 * index must live at least; ARGV[8] its expiresAt; ARGV[9..] its field, value… Replies as CLAIM.
 */
export const CREATE_CLAIM = script(`${CHUNK}
${INDEX}
${INDEX_OF}
${META}
${META_SAVE}
${CLAIM_BODY}
${CLAIM_INDEX}
redis.call('DEL', KEYS[3])
for i = 9, #ARGV, CHUNK do
  redis.call('HSET', KEYS[3], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
redis.call('PEXPIREAT', KEYS[3], ARGV[8])
if KEYS[4] then index_put(KEYS[4], ARGV[7], ARGV[5], ARGV[6]) end
return {1}`);

/**
 * KEYS[1] session hash; ARGV[1] the userId's JSON text it must have, or "" for any. Deletes it and
 * returns {userId, successor} (JSON texts), or {} when it is missing or another user's: one link
 * of a successor chain, removed together with reading where it points.
 */
export const DELETE_LINK = script(`${META}
local meta = meta_of(KEYS[1])
if not meta then return {} end
if ARGV[1] ~= '' and meta.userId ~= cjson.decode(ARGV[1]) then return {} end
redis.call('DEL', KEYS[1])
return {text(meta.userId), text(meta.successor)}`);

/**
 * Standalone. Deletes a session and its whole successor chain, each link leaving its user's
 * index, in one script. KEYS[1] the first session hash; KEYS[2] the prefix of user index keys;
 * KEYS[3] the prefix of session keys; ARGV[1] the userId's JSON text the first link must have, or
 * "" for any; ARGV[2] the first ref. Returns the refs removed, in order.
 */
export const DELETE_CHAIN = script(`${INDEX_OF}
${META}
local removed, seen = {}, {}
local key, ref = KEYS[1], ARGV[2]
local only = nil
if ARGV[1] ~= '' then only = cjson.decode(ARGV[1]) end
while ref and not seen[ref] do
  seen[ref] = true
  local meta = meta_of(key)
  if not meta then break end
  if only ~= nil and meta.userId ~= only then break end
  redis.call('DEL', key)
  table.insert(removed, ref)
  local user = index_of(KEYS[2], meta.userId)
  if user then redis.call('HDEL', user, ref) end
  only = nil
  ref = nil
  if present(meta.successor) then
    ref = meta.successor
    key = KEYS[3] .. ref
  end
end
return removed`);

/**
 * KEYS[1] a user's index; ARGV[1] milliseconds it must live at least; ARGV[2] a ref; ARGV[3] its
 * value. Adds or replaces the member. The TTL only grows: the index outlives its last session.
 */
export const INDEX_PUT = script(`${INDEX}
index_put(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1`);

/**
 * KEYS[1] a user's index; ARGV[1] milliseconds it must live at least; ARGV[2] a ref; ARGV[3] its
 * new expiresAt; ARGV[4] its new state, or "" to keep it. Changes only a member that is there: a
 * session deleted meanwhile is not listed again.
 */
export const INDEX_TOUCH = script(`${INDEX}
index_touch(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1`);

/**
 * KEYS[1] a user's index; ARGV[1] now; ARGV[2] limit; ARGV[3] policy ("refuse" or
 * "evict-oldest"); ARGV[4] a ref not to count, or ""; ARGV[5] the new ref; ARGV[6] its value;
 * ARGV[7] milliseconds the index must live at least.
 * Live: state 0, expiresAt > now. Expired (or unreadable) members are dropped. With room (or after
 * marking the oldest live members evicted, by createdAt then ref) adds the new ref and returns
 * {1, evicted refs…}; refused: {0, live count}. The caller deletes the evicted entries.
 */
export const LIMIT = script(`${INDEX}
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
index_put(KEYS[1], ARGV[7], ARGV[5], ARGV[6])
return reply`);

/** KEYS[1] a revocation mark; ARGV[1] at; ARGV[2] milliseconds to remember it at least. Keeps the latest `at`. */
export const MARK = script(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
local want = math.max(tonumber(ARGV[2]), 1)
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`);

/**
 * EVALSHA, falling back to EVAL once when the server does not know the script yet (NOSCRIPT):
 * EVAL also caches it, so loading costs one extra round trip per script and server, once.
 */
export async function run(
  client: Redis | Cluster,
  { source, sha }: Script,
  keys: string | readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  const names = typeof keys === "string" ? [keys] : keys;
  try {
    return await client.evalsha(sha, names.length, ...names, ...args);
  } catch (error) {
    // NOSCRIPT is the reply's error code (the protocol's first word), not prose.
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(source, names.length, ...names, ...args);
  }
}
