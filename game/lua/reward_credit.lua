-- Credit (or, negative, debit) a rep's reward points once per source ref: the balance, a line of the rep's reward
-- ledger, the ref noted as credited and, when asked, an audit entry, all at once.
-- KEYS: 1 balances (hash rep -> points), 2 credited refs (hash ref -> ledger id), 3 the rep's reward ledger
--       (stream), 4 audit log (stream)
-- ARGV: 1 rep, 2 points, 3 source, 4 ref, 5 note, 6 at (ISO time), 7 actor, 8 audit action ('' for none),
--       9 audit data (JSON), 10 ledger length bound, 11 audit length bound
-- Returns {1, balance} credited, {0, balance} the ref was credited before, {-1, balance} a debit beyond the balance.
local balance = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if redis.call('HEXISTS', KEYS[2], ARGV[4]) == 1 then return {0, balance} end
local points = tonumber(ARGV[2])
if balance + points < 0 then return {-1, balance} end
balance = redis.call('HINCRBY', KEYS[1], ARGV[1], points)
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[10], '*', 'at', ARGV[6], 'points', ARGV[2],
  'source', ARGV[3], 'ref', ARGV[4], 'note', ARGV[5], 'balance', balance, 'by', ARGV[7])
redis.call('HSET', KEYS[2], ARGV[4], id)
if ARGV[8] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[11], '*', 'at', ARGV[6], 'actor', ARGV[7], 'action', ARGV[8],
    'target', ARGV[1], 'data', ARGV[9])
end
return {1, balance}
