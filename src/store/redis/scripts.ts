/**
 * The store's Lua scripts: everything that must be atomic across replicas runs as one script. Each script
 * starts with a header naming its KEYS, ARGV and reply (BullMQ's commands/*.lua style); key names come from
 * keys.ts and are always passed in KEYS, never built inside Lua, so the scripts also run on Redis Cluster
 * (given a hash-tagged prefix).
 *
 * JSON is assembled by string splicing rather than cjson.encode: cjson re-encodes numbers with 14
 * significant digits and turns `[]` into `{}`, and stored records must round-trip exactly.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PUSH_ENTRIES } from './timeline-scripts.js';

/** Stores a new incident as its model's open incident, unless the model already has one. */
export const CREATE_INCIDENT_IF_NONE_OPEN = `
-- KEYS[1] the model's open-incident pointer (string: incident id)
-- KEYS[2] the incident (hash: version, json, alerts, refs)
-- KEYS[3] all incidents (zset, score openedAt)
-- KEYS[4] open incidents (zset, score openedAt)
-- KEYS[5] the model's incidents (zset, score openedAt)
-- ARGV[1] incident id   ARGV[2] version   ARGV[3] incident JSON without its alert refs
-- ARGV[4] the alert refs' JSON   ARGV[5] how many refs   ARGV[6] openedAt
-- Returns {1, id} when created; {0, existing id} when the model already has an open incident;
-- {-1, id} when an incident with this id already exists (ids are never reused).
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1, ARGV[1]} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'version', ARGV[2], 'json', ARGV[3], 'alerts', ARGV[4], 'refs', ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1])
return {1, ARGV[1]}
`;

/** How many alert keys UPDATE_INCIDENT checks or adds per call. */
const KEYS_PER_CALL = 500;

/**
 * Compare-and-set on an incident's version. Whether the new phase is open is decided in TypeScript (the rule
 * lives in core/incident.ts) and passed in. Alert keys joining with the write go into the incident's key set,
 * and the timeline entries recording them onto its timeline, in the same step: an alert is known, kept and
 * on the record together or not at all, whatever crashes.
 */
export const UPDATE_INCIDENT = `
-- KEYS[1] the incident (hash: version, json, alerts, refs)
-- KEYS[2] open incidents (zset)
-- KEYS[3] the model's open-incident pointer (string: incident id)
-- KEYS[4] the incident's alert keys (set)
-- KEYS[5] the incident's timeline (list of entry JSON)
-- KEYS[6] deadline queue (zset)   KEYS[7] deadline data (hash: id -> deadline JSON)
-- KEYS[8] the timeline's index of types (hash, see PUSH_ENTRIES)
-- ARGV[1] incident id   ARGV[2] expected version
-- ARGV[3] incident JSON without its alert refs (carrying version + 1)
-- ARGV[4] the alert refs' JSON, or '' when they are the stored ones   ARGV[5] how many refs
-- ARGV[6] '1' when the new phase is open, '0' when not   ARGV[7] n, how many alert keys follow
-- ARGV[8] m, how many deadlines follow the keys
-- ARGV[9 .. 8+n] alert keys joining with this write
-- ARGV[9+n .. 8+n+3m] deadlines to schedule, three each: id, dueAt, deadline JSON
-- ARGV[9+n+3m ..] timeline entries in order, two each: type, JSON without seq (a non-empty object, '{' first)
-- Returns the new version, or nil when the stored version is not the expected one (or there is no incident),
-- or when one of the alert keys is already known (the caller re-reads and finds it a duplicate).
${PUSH_ENTRIES}
local current = redis.call('HGET', KEYS[1], 'version')
if current ~= ARGV[2] then return false end
local last_key = 8 + tonumber(ARGV[7])
local last_deadline = last_key + 3 * tonumber(ARGV[8])
-- Keys a chunk per call, not one per call (a 50-alert group made 100 calls) nor all in one: unpack() of a large
-- group's would overflow Lua's stack.
for first = 9, last_key, ${KEYS_PER_CALL} do
  local last = math.min(first + ${KEYS_PER_CALL - 1}, last_key)
  for _, known in ipairs(redis.call('SMISMEMBER', KEYS[4], unpack(ARGV, first, last))) do
    if known == 1 then return false end
  end
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'refs', ARGV[5])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'alerts', ARGV[4]) end
for first = 9, last_key, ${KEYS_PER_CALL} do
  redis.call('SADD', KEYS[4], unpack(ARGV, first, math.min(first + ${KEYS_PER_CALL - 1}, last_key)))
end
for i = last_key + 1, last_deadline, 3 do
  redis.call('HSET', KEYS[7], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[6], ARGV[i + 1], ARGV[i])
end
local entries = {}
for i = last_deadline + 1, #ARGV, 2 do entries[#entries + 1] = {ARGV[i], ARGV[i + 1]} end
push_entries(KEYS[5], KEYS[8], entries)
if ARGV[6] == '0' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  -- Only clear the pointer if it is still ours: never unseat a newer incident of the same model.
  if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
end
return version
`;

/**
 * Takes a free lock and draws the next fence number for it. Fences come from one counter for every lock, so they
 * increase per lock name without a key per name kept for good: send locks are named per incident, stage and
 * digest, and a counter each would grow without end. Builds before 2026-12-04 drew fences from a counter per name
 * (INCR, never expiring), and do so during a rolling upgrade: that counter is read, and set to each fence given
 * for a day (ARGV[3]), so that an older replica's next fence for the lock is above every fence given for it
 * whichever build gave it. A day after the last acquisition, by when no older build runs, it is gone.
 */
export const ACQUIRE_LOCK = `
-- KEYS[1] the lock (string: lease JSON, expiring with PX)
-- KEYS[2] every lock's fence counter (string; never expires, so fences keep increasing after release)
-- KEYS[3] the lock's own fence counter, as older builds draw from it (string, expiring)
-- ARGV[1] lease JSON without fence: a non-empty object, '{' first   ARGV[2] ttl in ms
-- ARGV[3] how long the lock's own counter is kept, in ms
-- Returns the fence, or nil when the lock is held.
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
local counted = tonumber(redis.call('GET', KEYS[3]))
if counted and counted >= fence then
  fence = counted + 1
  redis.call('SET', KEYS[2], fence)
end
redis.call('SET', KEYS[3], fence, 'PX', ARGV[3])
redis.call('SET', KEYS[1], '{"fence":' .. fence .. ',' .. string.sub(ARGV[1], 2), 'PX', ARGV[2])
return fence
`;

/** Releases a lock if the caller's token still holds it. */
export const RELEASE_LOCK = `
-- KEYS[1] the lock (string: lease JSON)
-- ARGV[1] the holder's token
-- Returns 1 when released, 0 when the lock is free or held by another token.
local lease = redis.call('GET', KEYS[1])
if not lease or cjson.decode(lease).token ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** Extends a lock if the caller's token still holds it. */
export const EXTEND_LOCK = `
-- KEYS[1] the lock (string: lease JSON)
-- ARGV[1] the holder's token   ARGV[2] new ttl in ms, from now
-- Returns 1 when extended, 0 when the lock is free or held by another token.
local lease = redis.call('GET', KEYS[1])
if not lease or cjson.decode(lease).token ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Replaces a value only if it still holds what the caller read (a value expected to be absent is SET NX,
 * no script needed).
 */
export const SET_VALUE_IF_HELD = `
-- KEYS[1] the value (string, optionally expiring)
-- ARGV[1] the value expected   ARGV[2] the new value   ARGV[3] its ttl in ms, or '' for none
-- Returns 1 when set, 0 when the key holds something else or nothing.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`;

/** Deletes a value only if it still holds what the caller read: a value replaced since is left alone. */
export const TAKE_VALUE_IF_HELD = `
-- KEYS[1] the value (string, optionally expiring)
-- ARGV[1] the value expected
-- Returns 1 when deleted, 0 when the key holds something else or nothing.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Hands out due deadlines. A claimed deadline's score moves to the end of its lease, which hides it from other
 * pollers until then; if its poller dies before completing it, it comes due again.
 */
export const CLAIM_DUE_DEADLINES = `
-- KEYS[1] deadline queue (zset, score = when the deadline may next be handed out)
-- KEYS[2] deadline data (hash: id -> deadline JSON with the original dueAt)
-- ARGV[1] now   ARGV[2] end of the lease (now + leaseMs)   ARGV[3] limit (> 0)
-- Returns the claimed deadlines' JSON, soonest first.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local claimed = {}
for _, id in ipairs(ids) do
  local deadline = redis.call('HGET', KEYS[2], id)
  if deadline then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    claimed[#claimed + 1] = deadline
  else
    -- A queue entry without data cannot be delivered; drop it rather than return it forever.
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed
`;

const shas = new Map<string, string>();

/**
 * Runs a script by its SHA1, loading it on first use (NOSCRIPT) as ioredis' defineCommand does, but without
 * adding commands to a connection the caller may own and share.
 */
export async function runScript(
  redis: Redis,
  lua: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await redis.eval(lua, keys.length, ...keys, ...args);
  }
}

/**
 * Removes a handled deadline unless something happened to it while it was handled: scheduled again, with
 * another due time or the same one (a rollback retry keeps its stage's clock, so its target is the very one
 * being handled), or claimed again (by a poller that found it still running here, or another after the lease).
 * Either moves its score away from the end of the claim being completed.
 */
export const COMPLETE_DEADLINE = `
-- KEYS[1] deadline queue (zset)   KEYS[2] deadline data (hash: id -> deadline JSON)
-- ARGV[1] deadline id   ARGV[2] the dueAt it was claimed with   ARGV[3] the end of that claim's lease
-- Returns 1 when removed, 0 when it is gone, was rescheduled or was claimed again.
local deadline = redis.call('HGET', KEYS[2], ARGV[1])
if not deadline or cjson.decode(deadline).dueAt ~= tonumber(ARGV[2]) then return 0 end
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[3]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

/**
 * Puts back a deadline whose handler failed, to be handed out at a later time than its claim's end, with its
 * failures written into its JSON — unless, as COMPLETE_DEADLINE checks, it was scheduled again, claimed again or
 * removed since the claim; then it is left as that made it.
 */
export const RETRY_DEADLINE_LATER = `
-- KEYS[1] deadline queue (zset)   KEYS[2] deadline data (hash: id -> deadline JSON)
-- ARGV[1] deadline id   ARGV[2] the dueAt it was claimed with   ARGV[3] the end of that claim's lease
-- ARGV[4] when to hand it out again   ARGV[5] the deadline's JSON with its failures
-- Returns 1 when put back, 0 when it is gone, was rescheduled or was claimed again.
local deadline = redis.call('HGET', KEYS[2], ARGV[1])
if not deadline or cjson.decode(deadline).dueAt ~= tonumber(ARGV[2]) then return 0 end
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1
`;
