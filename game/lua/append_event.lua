-- Append one accepted event to the log, once. Idempotent by event key.
-- KEYS[1] the name of the shard's dedupe hashes: its buckets (small hashes: event key -> stream id, game/keys.py)
-- are KEYS[1] .. ':' .. bucket, so the keys are the same for every event of a shard (a batch sends them once);
-- KEYS[2] the shard's stream; KEYS[3] the shard's unbucketed dedupe hash (written before the buckets, under the
-- name itself: still read), named only where it exists (game/store.py: Store._log_keys)
-- ARGV[1] event key, ARGV[2] the entry's field, ARGV[3] the encoded record (game/log_record.py), ARGV[4] the event
-- key's bucket
-- A bucket keeps a stream id without its '-0' (most ids): Redis then stores it as an integer.
-- Returns {1, stream id} for a new event, {0, earlier stream id} for a duplicate.
local bucket = KEYS[1] .. ':' .. ARGV[4]
local earlier = redis.call('HGET', bucket, ARGV[1]) or (KEYS[3] and redis.call('HGET', KEYS[3], ARGV[1]))
if earlier then
  if not string.find(earlier, '-', 1, true) then earlier = earlier .. '-0' end
  return {0, earlier}
end
local stream_id = redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
local kept = stream_id
if string.sub(stream_id, -2) == '-0' then kept = string.sub(stream_id, 1, -3) end
redis.call('HSET', bucket, ARGV[1], kept)
return {1, stream_id}
