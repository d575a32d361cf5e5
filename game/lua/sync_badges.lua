-- Write a rep's judged badges only if the facts they were judged on are still the same (compare the
-- facts version apply_xp.lua moves on every change), so a judgement never overwrites a newer one.
-- KEYS: 1 facts versions (hash rep -> n), 2 the rep's badges (hash), 3 badge feed (stream)
-- ARGV: 1 rep, 2 facts version judged, 3 msgpack {set = {key = json}, del = {keys}, changes = {json}},
--       4 badge doorbell channel, 5 feed length bound
-- Returns 1 written, 0 stale (judge again).
local now = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
if now ~= ARGV[2] then return 0 end
local w = cmsgpack.unpack(ARGV[3])
for key, record in pairs(w.set) do redis.call('HSET', KEYS[2], key, record) end
for _, key in ipairs(w.del) do redis.call('HDEL', KEYS[2], key) end
for _, change in ipairs(w.changes) do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'c', change)
  redis.call('PUBLISH', ARGV[4], change)
end
return 1
