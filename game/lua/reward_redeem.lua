-- A rep asks for a reward: its cost moves from the balance to the points held until a manager decides, a unit of
-- its stock (if it has one) is set aside, the redemption is stored, with a ledger line and an audit entry. One
-- script, so parallel requests can never spend a point or a unit twice.
-- KEYS: 1 catalogue, 2 stock, 3 balances, 4 held, 5 redemptions, 6 the rep's reward ledger, 7 audit log,
--       8 open requests (hash rep -> count)
-- ARGV: 1 rep, 2 reward id, 3 the cost the rep was shown, 4 redemption id, 5 redemption JSON, 6 at, 7 actor,
--       8 ledger length bound, 9 audit length bound, 10 open requests a rep may have
-- Returns {1, balance} requested; {-1} no such reward, {-2} not offered now, {-3} its cost changed,
-- {-4, balance} too few points, {-5} out of stock, {-6} too many open requests.
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if not raw then return {-1, 0} end
local reward = cjson.decode(raw)
if reward.active ~= true then return {-2, 0} end
if tostring(reward.cost) ~= ARGV[3] then return {-3, 0} end
local cost = tonumber(ARGV[3])
if tonumber(redis.call('HGET', KEYS[8], ARGV[1]) or '0') >= tonumber(ARGV[10]) then return {-6, 0} end
local balance = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if balance < cost then return {-4, balance} end
local redemption = cjson.decode(ARGV[5])
local left = redis.call('HGET', KEYS[2], ARGV[2])
if left then
  if tonumber(left) < 1 then return {-5, 0} end
  redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
  redemption.stocked = true
end
balance = redis.call('HINCRBY', KEYS[3], ARGV[1], -cost)
redis.call('HINCRBY', KEYS[4], ARGV[1], cost)
redis.call('HINCRBY', KEYS[8], ARGV[1], 1)
redis.call('HSET', KEYS[5], ARGV[4], cjson.encode(redemption))
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[8], '*', 'at', ARGV[6], 'points', -cost, 'source', 'redemption',
  'ref', ARGV[4], 'note', reward.name, 'balance', balance, 'by', ARGV[7])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[9], '*', 'at', ARGV[6], 'actor', ARGV[7],
  'action', 'reward.requested', 'target', ARGV[1],
  'data', cjson.encode({redemption = ARGV[4], reward = ARGV[2], cost = cost}))
return {1, balance}
