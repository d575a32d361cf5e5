-- Append one accepted event to the log, once. Idempotent by event key.
-- KEYS[1] dedupe hash (event key -> stream id), KEYS[2] event log stream
-- ARGV[1] event key, ARGV[2] msgpack-encoded event record
-- Returns {1, stream id} for a new event, {0, earlier stream id} for a duplicate.
local earlier = redis.call('HGET', KEYS[1], ARGV[1])
if earlier then
  return {0, earlier}
end
local stream_id = redis.call('XADD', KEYS[2], '*', 'e', ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], stream_id)
return {1, stream_id}
