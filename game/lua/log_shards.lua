-- The number of shards the event log (or XP) is written with, set once: a deployment that starts with another
-- number would look for old events' dedupe entries in the wrong shard and count them twice.
-- KEYS[1] shard count, KEYS[2] and KEYS[3] two keys of shard 0 that exist once it holds data (the log: its stream
-- and dedupe hash; XP: its sequence number and deal counts); ARGV[1] the configured count.
-- Returns the count first written with (1 for data written before it could be sharded).
local kept = redis.call('GET', KEYS[1])
if kept then
  return tonumber(kept)
end
local count = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then
  count = 1
end
redis.call('SET', KEYS[1], count)
return count
