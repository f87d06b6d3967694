"""The buffer's Lua scripts: each step that touches several keys runs atomically in Redis."""

# Lua: the packed form of an entry id "<ms>-<seq>" is the decimal ms followed by seq in 4 digits,
# an integer below 2^63 that Redis stores in an intset. (seq >= 10000 means more than ten thousand
# writes to one model in one millisecond; such an entry keeps its id as the member.)
_PACK = """
local function pack(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if tonumber(seq) < 10000 then return ms .. string.format('%04d', tonumber(seq)) end
  return id
end
"""

# Append one write request; refuses (returns false) when the log is over the pending limit, and
# (returns false plus the id) when one of the given row ids is pending in another partition.
# KEYS: log, partition index, stats, ids; ARGV: payload, max pending, raw bytes, records,
# partition, then the ids to hold in the id index (models whose ids clients choose).
# The id index maps a row id to "<partition> <entry id>" of its newest pending write.
APPEND = (
    _PACK
    + """
local pending = redis.call('XLEN', KEYS[1])
for i = 6, #ARGV do
  local owner = redis.call('HGET', KEYS[4], ARGV[i])
  if owner and string.match(owner, '^(%S+)') ~= ARGV[5] then return {false, pending, ARGV[i]} end
end
if pending >= tonumber(ARGV[2]) then return {false, pending} end
local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
redis.call('SADD', KEYS[2], pack(id))
for i = 6, #ARGV do redis.call('HSET', KEYS[4], ARGV[i], ARGV[5] .. ' ' .. id) end
redis.call('HINCRBY', KEYS[3], 'raw_bytes', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'encoded_bytes', string.len(ARGV[1]))
redis.call('HINCRBY', KEYS[3], 'pending_records', ARGV[4])
return {id, pending + 1}
"""
)

# Forget row ids whose newest pending write was an acknowledged (or dead-lettered) entry: the
# row is in the database now, where the stored-row check finds it. A newer pending write of the
# same row keeps its own claim.
# KEYS: ids; ARGV: (row id, "<partition> <entry id>") pairs.
FORGET_IDS = """
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 1
"""

# Acknowledge entries whose rows are committed: XACK, XDEL, forget failures and index membership.
# KEYS: log, failures, stats, then one index key per entry; ARGV: group, (id, records) pairs.
ACK = (
    _PACK
    + """
local log, failures, stats, group = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local acked = 0
for i = 4, #KEYS do
  local id, n = ARGV[(i - 4) * 2 + 2], ARGV[(i - 4) * 2 + 3]
  acked = acked + redis.call('XACK', log, group, id)
  if redis.call('XDEL', log, id) == 1 then
    redis.call('HINCRBY', stats, 'pending_records', 0 - tonumber(n))
  end
  redis.call('HDEL', failures, id)
  redis.call('SREM', KEYS[i], pack(id))
end
-- An empty log has nothing pending, whatever the counter says (an undecodable entry's rows could
-- not be counted when it was dead-lettered): start it again from zero.
if redis.call('XLEN', log) == 0 then redis.call('HSET', stats, 'pending_records', 0) end
return acked
"""
)

# Move an entry's failing records to the dead-letter stream and acknowledge the entry, in one
# step, so a record is never in both places and never in neither.
# KEYS: log, failures, stats, dead, index; ARGV: id, records in entry, dead payload, dead records,
# error, failures, time, partition, group.
DEAD_LETTER = (
    _PACK
    + """
redis.call('XADD', KEYS[4], '*', 'd', ARGV[3], 'entry', ARGV[1], 'records', ARGV[4],
           'error', ARGV[5], 'failures', ARGV[6], 'at', ARGV[7], 'partition', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[9], ARGV[1])
if redis.call('XDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[3], 'pending_records', 0 - tonumber(ARGV[2]))
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[5], pack(ARGV[1]))
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('HSET', KEYS[3], 'pending_records', 0) end
return 1
"""
)

# Put a dead letter back into the log (keeping its records' original version) and remove it.
# KEYS: log, dead, index, stats; ARGV: dead id.
DEAD_RETRY = (
    _PACK
    + """
local entry = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #entry == 0 then return false end
local fields = entry[1][2]
local payload, n
for i = 1, #fields, 2 do
  if fields[i] == 'd' then payload = fields[i + 1] end
  if fields[i] == 'records' then n = fields[i + 1] end
end
local id = redis.call('XADD', KEYS[1], '*', 'd', payload)
redis.call('SADD', KEYS[3], pack(id))
redis.call('HINCRBY', KEYS[4], 'pending_records', n)
redis.call('XDEL', KEYS[2], ARGV[1])
return id
"""
)
