-- The one write path of a rep's badges, whoever decided them: the badge worker (judged on the rep's deal
-- facts) or the scheduler (champions, comebacks, record breakers, decided by time).
-- A judgement on facts is written only if those facts are still the same (compare the facts version
-- apply_xp.lua moves on every change: the rep's tally, after the facts version written before it, as
-- game/xp.py's read_tally makes it), so it never overwrites a newer one; a decision by time passes an empty version
-- and is not compared.
-- An award is written only if the rep does not hold that badge instance yet, a revocation only takes away
-- one that is held, and only what took effect is announced: on the badge feed (for chat notifications)
-- and on the badge doorbell (for the screens). A badge is therefore stored, listed and announced once.
-- KEYS: 1 facts versions of earlier versions (hash rep -> n), 2 the rep's badges (hash), 3 badge feed (stream),
--       4 the rep's tally bucket (hash rep -> n)
-- ARGV: 1 rep, 2 facts version judged ('' for a decision by time),
--       3 msgpack {award = {{key, record json, change json}}, revoke = {{key, change json}}},
--       4 badge doorbell channel, 5 feed length bound
-- Returns {1, changes that took effect} written, {0, 0} stale (judge again).
if ARGV[2] ~= '' then
  local now = (redis.call('HGET', KEYS[1], ARGV[1]) or '0') .. ':' .. (redis.call('HGET', KEYS[4], ARGV[1]) or '0')
  if now ~= ARGV[2] then return {0, 0} end
end
local w = cmsgpack.unpack(ARGV[3])
local applied = 0
local function announce(change)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'c', change)
  redis.call('PUBLISH', ARGV[4], change)
  applied = applied + 1
end
for _, award in ipairs(w.award) do
  if redis.call('HSETNX', KEYS[2], award[1], award[2]) == 1 then announce(award[3]) end
end
for _, revocation in ipairs(w.revoke) do
  if redis.call('HDEL', KEYS[2], revocation[1]) == 1 then announce(revocation[2]) end
end
return {1, applied}
