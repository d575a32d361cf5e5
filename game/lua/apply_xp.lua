-- Apply one event to the XP boards and the badge facts, atomically and idempotently.
-- All keys share the {xp} hash tag (one cluster slot).
--
-- KEYS: 1 seen, 2 deals, 3 caps prefix, 4 board prefix, 5 facts prefix, 6 lifetime deal counts,
--       7 month's dealers prefix (set per month: reps with deals, so month-end jobs need no SCAN),
--       8 XP sequence number (one counter for every XP board), 9 facts versions (hash: rep -> n, moved on
--       every change of a rep's facts so a badge judgement can tell it is still current)
-- ARGV: 1 msgpack change, 2 XP doorbell channel, 3 PUBLISH or SPUBLISH
-- Returns {status, xp applied, epoch of the deal undone or 0}: status 1 applied, 0 duplicate.
-- (The undone deal's time tells the badge judge which periods a reversal reaches back into.)

local c = cmsgpack.unpack(ARGV[1])
if redis.call('HEXISTS', KEYS[1], c.event) == 1 then
  return {0, 0, 0}
end
redis.call('HSET', KEYS[1], c.event, 1)

local old = nil
local old_raw = redis.call('HGET', KEYS[2], c.deal)
if old_raw then old = cmsgpack.unpack(old_raw) end

local undone_at = 0
if c.undo and old and old.tomb ~= 1 then
  for _, board in ipairs(old.boards) do
    redis.call('ZINCRBY', board, -old.xp, old.rep)
  end
  if old.cap_key ~= '' then redis.call('HINCRBY', old.cap_key, old.cap_field, -old.xp) end
  if old.facts ~= '' then
    local fact = redis.call('HGET', old.facts, c.deal)
    if fact then undone_at = tonumber(string.match(fact, '|(%d+)|')) or 0 end
    redis.call('HDEL', old.facts, c.deal)
    redis.call('HINCRBY', KEYS[6], old.rep, -1)
    redis.call('HINCRBY', KEYS[9], old.rep, 1)
  end
end

local apply = (c.xp > 0 or c.is_deal == 1) and not ((not c.undo) and old)
local allowed = 0
if apply then
  allowed = c.xp
  local cap_key, cap_field = '', ''
  if c.cap > 0 then
    cap_key = KEYS[3] .. c.day
    cap_field = c.kind .. '|' .. c.rep
    local used = tonumber(redis.call('HGET', cap_key, cap_field) or '0')
    allowed = math.max(0, math.min(allowed, c.cap - used))
    redis.call('HINCRBY', cap_key, cap_field, allowed)
    redis.call('EXPIRE', cap_key, 3 * 86400)
  end
  local boards = {}
  for i, window in ipairs(c.windows) do
    local board = KEYS[4] .. window[1] .. ':' .. window[2]
    boards[i] = board
    redis.call('ZINCRBY', board, allowed, c.rep)
    if window[3] > 0 then redis.call('EXPIRE', board, window[3]) end
  end
  local facts = ''
  if c.is_deal == 1 then
    facts = KEYS[5] .. c.rep .. ':' .. c.month
    redis.call('HSET', facts, c.deal, c.amount .. '|' .. c.at .. '|' .. c.new)
    redis.call('EXPIRE', facts, c.facts_ttl)
    redis.call('HINCRBY', KEYS[6], c.rep, 1)
    redis.call('HINCRBY', KEYS[9], c.rep, 1)
    redis.call('SADD', KEYS[7] .. c.month, c.rep)
    redis.call('EXPIRE', KEYS[7] .. c.month, c.facts_ttl)
  end
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({
    rep = c.rep, xp = allowed, boards = boards, cap_key = cap_key, cap_field = cap_field, facts = facts}))
elseif c.undo then
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({tomb = 1}))
end
if allowed ~= 0 or undone_at ~= 0 then
  local seq = redis.call('INCR', KEYS[8])
  redis.call(ARGV[3] or 'PUBLISH', ARGV[2], seq)
end
return {1, allowed, undone_at}
