-- Trim the oldest entries of one shard of the event log, and their dedupe entries, at once.
-- KEYS[1] the shard's dedupe hash, KEYS[2] its stream
-- ARGV[1] the first stream id kept (XTRIM MINID: every entry before it goes), then pairs of
-- (event key, stream id) of the entries trimmed: a dedupe entry goes only while it still names that entry.
-- Returns {entries trimmed, dedupe entries removed}.
local forgotten = 0
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    forgotten = forgotten + 1
  end
end
local trimmed = redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1])
return {trimmed, forgotten}
