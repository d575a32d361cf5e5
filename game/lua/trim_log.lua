-- Trim the oldest entries of one shard of the event log, and their dedupe entries, at once.
-- KEYS[1] the shard's unbucketed dedupe hash (its buckets are KEYS[1] .. ':' .. bucket), KEYS[2] its stream
-- ARGV[1] the first stream id kept (XTRIM MINID: every entry before it goes), then triples of
-- (bucket, event key, stream id) of the entries trimmed: a dedupe entry goes only while it still names that
-- entry (a bucket keeps an id without its '-0', see append_event.lua; the unbucketed hash, the full id).
-- Returns {entries trimmed, dedupe entries removed}.
local forgotten = 0
for i = 2, #ARGV, 3 do
  local bucket, key, id = KEYS[1] .. ':' .. ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', bucket, key) == (string.gsub(id, '%-0$', '')) then
    redis.call('HDEL', bucket, key)
    forgotten = forgotten + 1
  elseif redis.call('HGET', KEYS[1], key) == id then
    redis.call('HDEL', KEYS[1], key)
    forgotten = forgotten + 1
  end
end
local trimmed = redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1])
return {trimmed, forgotten}
