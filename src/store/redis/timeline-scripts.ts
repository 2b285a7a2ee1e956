/**
 * The timeline's Lua scripts (scripts.ts says how they are written and run): appending, which indexes each entry by
 * type beside the list, and reading the entries of some types through that index.
 */

/**
 * Types written with every alert delivery (one `alert.attached` per write) or every resolved alert, thousands on a
 * storm's incident, that no check for one kind of entry asks for: not indexed (their seqs would be a string
 * rewritten with every alert joining, on the path every alert delivery takes). Asked for, TIMELINE_OF_TYPES cannot answer and the whole timeline is read (timeline.ts).
 */
export const UNINDEXED_TYPES: readonly string[] = ['alert.attached', 'alert.resolved'];

/**
 * Lua that pushes timeline entries onto `list` (`entries`: {type, JSON without seq ('{' first)} pairs, in order)
 * and indexes them by type in `types` (keys.ts: `count` of entries indexed, `type:<type>` their seqs; none for
 * UNINDEXED_TYPES) while that index holds every earlier entry. A timeline an older build began, or appended to
 * without indexing, stays unindexed for good: its count then falls short of its length, which is how
 * TIMELINE_OF_TYPES knows it cannot answer, rather than miss an entry. The seqs are a string rather than a set
 * member each (a few bytes an entry, not a sorted set's ~130), written once per type and call. Returns the last
 * entry's seq.
 */
export const PUSH_ENTRIES = `local unindexed = {${UNINDEXED_TYPES.map((type) => `['${type}'] = true`).join(', ')}}
local function push_entries(list, types, entries)
  local seq = redis.call('LLEN', list)
  local indexed = tonumber(redis.call('HGET', types, 'count') or '0') == seq
  local added = {}
  for _, entry in ipairs(entries) do
    seq = seq + 1
    redis.call('RPUSH', list, '{"seq":' .. seq .. ',' .. string.sub(entry[2], 2))
    if not unindexed[entry[1]] then
      local field = 'type:' .. entry[1]
      added[field] = added[field] or {}
      table.insert(added[field], seq)
    end
  end
  if indexed and #entries > 0 then
    for field, seqs in pairs(added) do
      local listed = redis.call('HGET', types, field)
      local more = table.concat(seqs, ',')
      redis.call('HSET', types, field, listed and (listed .. ',' .. more) or more)
    end
    redis.call('HSET', types, 'count', seq)
  end
  return seq
end`;

/** Appends a timeline entry, numbering it in the same step so concurrent appends get distinct seqs. */
export const APPEND_TIMELINE = `
-- KEYS[1] the incident's timeline (list of entry JSON)   KEYS[2] its index of types (hash, see PUSH_ENTRIES)
-- ARGV[1] entry JSON without seq: a non-empty object, '{' first   ARGV[2] the entry's type
-- Returns the entry's seq (1, 2, 3 …); the stored JSON starts with "seq".
${PUSH_ENTRIES}
return push_entries(KEYS[1], KEYS[2], {{ARGV[2], ARGV[1]}})
`;

/** Appends a timeline entry unless the timeline took one under the same key before (Timeline.appendOnce). */
export const APPEND_TIMELINE_ONCE = `
-- KEYS[1] the incident's timeline (list of entry JSON)   KEYS[2] the keys it took entries under (set)
-- KEYS[3] its index of types (hash, see PUSH_ENTRIES)
-- ARGV[1] entry JSON without seq: a non-empty object, '{' first   ARGV[2] the key   ARGV[3] the entry's type
-- Returns the entry's seq, or nil when the key was taken (nothing appended).
${PUSH_ENTRIES}
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return false end
return push_entries(KEYS[1], KEYS[3], {{ARGV[3], ARGV[1]}})
`;

/**
 * The entries of some types, found through the timeline's index of types (PUSH_ENTRIES) rather than by reading every
 * entry: a storm incident's timeline holds thousands of `alert.attached`, ~1.5 MB.
 */
export const TIMELINE_OF_TYPES = `
-- KEYS[1] the incident's timeline (list of entry JSON)   KEYS[2] its index of types (hash, see PUSH_ENTRIES)
-- ARGV[1 ..] the types
-- Returns the entries' JSON in append order, or nil when the index does not hold every entry (an older build's).
if tonumber(redis.call('HGET', KEYS[2], 'count') or '0') ~= redis.call('LLEN', KEYS[1]) then return false end
local seqs = {}
for i = 1, #ARGV do
  local listed = redis.call('HGET', KEYS[2], 'type:' .. ARGV[i])
  if listed then
    for seq in string.gmatch(listed, '%d+') do seqs[#seqs + 1] = tonumber(seq) end
  end
end
table.sort(seqs)
local entries = {}
for i, seq in ipairs(seqs) do entries[i] = redis.call('LINDEX', KEYS[1], seq - 1) end
return entries
`;
