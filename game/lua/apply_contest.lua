-- Apply one event's change to one contest atomically: dedupe, undo (for reversals and updates),
-- apply under daily caps, refresh the rep and team boards, bump sequence numbers, ring the doorbell.
-- Every key shares the contest's hash tag, so this stays legal on Redis Cluster.
--
-- KEYS: 1 seen, 2 deals, 3 rep_totals, 4 rep_board, 5 team_totals, 6 team_board, 7 caps, 8 seq,
--       9 rep_times_prefix, 10 team_times_prefix, 11 team_members_prefix
-- ARGV: 1 msgpack change (see game/store.py: encode_change), 2 doorbell channel
-- Returns {status, points applied, changed}: status 1 applied, 0 duplicate.

local TIME_SPAN = 33554432      -- 2^25, see game/ranking.py
local MAX_SCORE = 134217727     -- 2^27 - 1

local c = cmsgpack.unpack(ARGV[1])
if redis.call('HEXISTS', KEYS[1], c.event) == 1 then
  return {0, 0, 0}
end

local function latest_left(times_key)
  local top = redis.call('ZREVRANGE', times_key, 0, 0, 'WITHSCORES')
  if top[2] == nil then return 0 end
  local left = c.ends - tonumber(top[2])
  if left < 0 then return 0 end
  if left > TIME_SPAN - 1 then return TIME_SPAN - 1 end
  return left
end

local function team_score_of(team, size)
  local members = redis.call('ZREVRANGE', KEYS[11] .. team, 0, -1, 'WITHSCORES')
  local sum, best, n = 0, 0, 0
  for i = 2, #members, 2 do
    local s = tonumber(members[i])
    sum = sum + s
    n = n + 1
    if n <= c.best_n then best = best + s end
  end
  if c.mode == 'average' then
    if size < 1 then size = 1 end
    return math.floor(sum / size)
  elseif c.mode == 'best' then
    return best
  end
  return sum
end

local old = nil
local old_raw = redis.call('HGET', KEYS[2], c.deal)
if old_raw then old = cmsgpack.unpack(old_raw) end

local undo = nil
if c.undo and old and old.tomb ~= 1 then undo = old end
local apply = #c.hits > 0
if apply and (not c.undo) and old then apply = false end  -- original arriving after its reversal

-- Points allowed under daily caps, counting what the undo gives back.
local allowed, total = {}, 0
if apply then
  for i, hit in ipairs(c.hits) do
    local pts = hit[2]
    if hit[3] > 0 then
      local field = c.day .. '|' .. hit[1] .. '|' .. c.rep
      local used = tonumber(redis.call('HGET', KEYS[7], field) or '0')
      if undo then
        for _, u in ipairs(undo.hits) do
          if u[3] == field then used = used - u[2] end
        end
      end
      pts = math.max(0, math.min(pts, hit[3] - used))
    end
    allowed[i] = pts
    total = total + pts
  end
  -- Refuse, before writing anything, a score the composite could not hold exactly.
  local base = tonumber(redis.call('HGET', KEYS[3], c.rep) or '0')
  if undo and undo.rep == c.rep then base = base - undo.total end
  if base + total > MAX_SCORE then
    return redis.error_reply('score out of range: rep ' .. c.rep .. ' would exceed ' .. MAX_SCORE)
  end
end

redis.call('HSET', KEYS[1], c.event, 1)

if undo then
  redis.call('HINCRBY', KEYS[3], undo.rep, -undo.total)
  for _, u in ipairs(undo.hits) do
    if u[3] ~= '' and u[2] ~= 0 then redis.call('HINCRBY', KEYS[7], u[3], -u[2]) end
  end
  redis.call('ZREM', KEYS[9] .. undo.rep, c.deal)
  if undo.team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. undo.team, -undo.total, undo.rep)
    redis.call('ZREM', KEYS[10] .. undo.team, c.deal)
  end
end

local team = c.team or ''
if apply then
  local hits = {}
  for i, hit in ipairs(c.hits) do
    local field = ''
    if hit[3] > 0 then
      field = c.day .. '|' .. hit[1] .. '|' .. c.rep
      if allowed[i] > 0 then redis.call('HINCRBY', KEYS[7], field, allowed[i]) end
    end
    hits[i] = {hit[1], allowed[i], field, hit[2]}
  end
  redis.call('HINCRBY', KEYS[3], c.rep, total)
  if total ~= 0 then redis.call('ZADD', KEYS[9] .. c.rep, c.at, c.deal) end
  if team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. team, total, c.rep)
    if total ~= 0 then redis.call('ZADD', KEYS[10] .. team, c.at, c.deal) end
  end
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({
    rep = c.rep, team = team, total = total, hits = hits, event = c.event, size = c.size or 0}))
elseif c.undo then
  -- Reversed (or reversed before the original arrived): a tombstone keeps a late original from scoring.
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({tomb = 1, event = c.event}))
end

local changed = (undo ~= nil) or apply
if not changed then
  return {1, 0, 0}
end

local function refresh_rep(rep)
  local score = tonumber(redis.call('HGET', KEYS[3], rep) or '0')
  redis.call('ZADD', KEYS[4], score * TIME_SPAN + latest_left(KEYS[9] .. rep), rep)
end
local function refresh_team(t, size)
  local score = team_score_of(t, size)
  redis.call('HSET', KEYS[5], t, score)
  redis.call('ZADD', KEYS[6], score * TIME_SPAN + latest_left(KEYS[10] .. t), t)
end

if apply then refresh_rep(c.rep) end
if undo and undo.rep ~= c.rep or (undo and not apply) then refresh_rep(undo.rep) end
if apply and team ~= '' then refresh_team(team, c.size or 0) end
if undo and undo.team ~= '' and (undo.team ~= team or not apply) then refresh_team(undo.team, undo.size or 0) end

local seq = redis.call('HINCRBY', KEYS[8], 'reps', 1)
redis.call('HINCRBY', KEYS[8], 'teams', 1)
redis.call('PUBLISH', ARGV[2], cjson.encode({
  contest = c.contest, seq = seq, rep = c.rep, points = total, event = c.event,
  type = c.type, amount = c.amount or '', undone = undo and undo.total or 0}))
return {1, total, 1}
