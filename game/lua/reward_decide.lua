-- A manager's decision on a redemption: approve it (within every budget of its month and quarter), reject it
-- (points back to the rep, the unit back to stock) or mark an approved one delivered. Audited in the same script.
-- KEYS: 1 redemptions, 2 balances, 3 held, 4 stock, 5 budgets, 6 spent, 7 the rep's reward ledger, 8 audit log,
--       9 open requests (hash rep -> count)
-- ARGV: 1 redemption id, 2 to (approved | rejected | delivered), 3 actor, 4 at, 5 note, 6 month (2026-12),
--       7 quarter (2026-Q4), 8 ledger length bound, 9 audit length bound, 10 the rep the caller read it for
-- Returns {1, status}; {-1} no such redemption, {-2, status} not from this status,
-- {-3, period, kind, limit, spent, over} a budget would be exceeded.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {-1} end
local r = cjson.decode(raw)
if r.rep ~= ARGV[10] then return {-1} end
local to = ARGV[2]
local needs = 'requested'
if to == 'delivered' then needs = 'approved' end
if r.status ~= needs then return {-2, r.status} end
local cost = tonumber(r.cost)
if to == 'approved' then
  local money = tonumber(r.value_cents or 0)
  local periods = {ARGV[6], ARGV[7]}
  for _, period in ipairs(periods) do
    local set = redis.call('HGET', KEYS[5], period)
    if set then
      local budget = cjson.decode(set)
      for _, kind in ipairs({'points', 'money'}) do
        local limit = budget[kind == 'points' and 'points' or 'money_cents']
        if type(limit) == 'number' then
          local spent = tonumber(redis.call('HGET', KEYS[6], period .. '|' .. kind) or '0')
          local adds = kind == 'points' and cost or money
          if spent + adds > limit then return {-3, period, kind, limit, spent, spent + adds - limit} end
        end
      end
    end
  end
  for _, period in ipairs(periods) do
    redis.call('HINCRBY', KEYS[6], period .. '|points', cost)
    redis.call('HINCRBY', KEYS[6], period .. '|money', money)
  end
  r.budget_month = ARGV[6]
  redis.call('HINCRBY', KEYS[3], r.rep, -cost)
  redis.call('HINCRBY', KEYS[9], r.rep, -1)
elseif to == 'rejected' then
  redis.call('HINCRBY', KEYS[3], r.rep, -cost)
  redis.call('HINCRBY', KEYS[9], r.rep, -1)
  local balance = redis.call('HINCRBY', KEYS[2], r.rep, cost)
  if r.stocked == true and redis.call('HEXISTS', KEYS[4], r.reward) == 1 then
    redis.call('HINCRBY', KEYS[4], r.reward, 1)
  end
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'at', ARGV[4], 'points', cost, 'source', 'redemption',
    'ref', ARGV[1] .. ':returned', 'note', r.name, 'balance', balance, 'by', ARGV[3])
end
r.status = to
r[to .. '_at'] = ARGV[4]
r[to .. '_by'] = ARGV[3]
if ARGV[5] ~= '' then r.note = ARGV[5] end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(r))
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[9], '*', 'at', ARGV[4], 'actor', ARGV[3],
  'action', 'reward.' .. to, 'target', r.rep,
  'data', cjson.encode({redemption = ARGV[1], reward = r.reward, cost = cost, note = ARGV[5]}))
return {1, to}
