-- Rename one member of a hash (field), sorted set or set, value or score unchanged, atomically (the erasure of
-- a person: server/services/erasure_score_store.py). A member already under the new name (an erasure run again
-- after a partial one) keeps the old one's value.
-- KEYS: 1 the hash, sorted set or set, 2 (a hash only, optional) the hash the renamed field goes to (a bucketed
-- hash whose buckets follow the name). ARGV: 1 old member, 2 new member. Returns 1 when renamed, 0 when absent.
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'hash' then
  local value = redis.call('HGET', KEYS[1], ARGV[1])
  if not value then return 0 end
  redis.call('HSET', KEYS[2] or KEYS[1], ARGV[2], value)
  redis.call('HDEL', KEYS[1], ARGV[1])
elseif kind == 'zset' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not score then return 0 end
  redis.call('ZADD', KEYS[1], score, ARGV[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
elseif kind == 'set' then
  if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('SADD', KEYS[1], ARGV[2])
else
  return 0
end
return 1
