-- Apply one event's change to one contest at one epoch, atomically: dedupe, undo (reversals and
-- updates), apply under daily caps, refresh the rep and team boards, write the ledger, bump the
-- sequence number, ring the doorbell. Every key shares the contest's hash tag (one cluster slot).
--
-- KEYS: 1 seen, 2 deals, 3 rep_totals, 4 rep_board, 5 team_totals, 6 team_board, 7 caps, 8 seq,
--       9 rep_times_prefix, 10 team_times_prefix, 11 team_members_prefix, 12 meta, 13 ledger_prefix,
--       14 division_board_prefix, 15 cap_group_prefix, 16 recent wins (list of doorbell payloads),
--       17 team_sums (hash: team -> sum of its members' points), 18 team rosters (hash: team -> JSON)
-- Percent-of-target contests (c.target > 0) rank by floor(points * 1000 / target): tenths of a percent.
-- Team scores and rows: team_score.lua, put in front of this script (shared with regroup_teams.lua).
-- ARGV: 1 msgpack change (game/store.py: encode_change), 2 doorbell channel
-- Returns {status, points applied, changed, current epoch}:
--   status 1 applied, 0 duplicate, -1 stale epoch (the caller reloads and retries).
-- Flags in the change: replay = 1 writes into an epoch being rebuilt (not yet current);
-- quiet = 1 rings no doorbell (rebuilds must not celebrate old deals on the TVs).

local MAX_SCORE = 134217727     -- 2^27 - 1

local c = cmsgpack.unpack(ARGV[1])
local current_epoch = tonumber(redis.call('HGET', KEYS[12], 'epoch') or '1')
if current_epoch ~= c.epoch and c.replay ~= 1 then
  return {-1, 0, 0, current_epoch}
end
if redis.call('HEXISTS', KEYS[1], c.event) == 1 then
  return {0, 0, 0, current_epoch}
end

local function latest_left(times_key)
  return time_left(times_key, c.ends)
end

local TEAM = {totals = KEYS[5], board = KEYS[6], sums = KEYS[17], members = KEYS[11], times = KEYS[10],
              rosters = KEYS[18]}

local old = nil
local old_raw = redis.call('HGET', KEYS[2], c.deal)
if old_raw then old = cmsgpack.unpack(old_raw) end

local undo = nil
if c.undo and old and old.tomb ~= 1 then undo = old end
local apply = #c.hits > 0
if apply and (not c.undo) and old then apply = false end  -- original arriving after its reversal

-- Refuse, before writing anything, a score the composite could not hold exactly (bounded by the points
-- asked for; a daily cap can only lower them).
if apply then
  local asked = 0
  for _, hit in ipairs(c.hits) do asked = asked + hit[2] end
  local base = tonumber(redis.call('HGET', KEYS[3], c.rep) or '0')
  if base + asked > MAX_SCORE or shown(base + asked, c.target) > MAX_SCORE then
    return redis.error_reply('score out of range: rep ' .. c.rep .. ' would exceed ' .. MAX_SCORE)
  end
end

redis.call('HSET', KEYS[1], c.event, 1)

local function ledger(rep, points, hits, note)
  redis.call('XADD', KEYS[13] .. rep, '*', 'e', cmsgpack.pack({
    event = c.event, type = c.type, at = c.at, v = c.version, points = points, hits = hits, note = note,
    deal = c.deal}))
end

-- A daily cap is judged per group (day, rule, rep): the group scores min(points asked by its standing
-- events, cap), whatever order they arrived in, and it reached that score at the standing event (in
-- occurred_at order) whose points first filled it. So caps stay order-independent and reversible.
local function refresh_group(rep, team, field, cap)
  local filled = math.min(tonumber(redis.call('HGET', KEYS[7], field) or '0'), cap)
  local member = 'cap|' .. field
  local reached = nil
  if filled > 0 then
    local entries = redis.call('ZRANGE', KEYS[15] .. field, 0, -1, 'WITHSCORES')
    local sum = 0
    for i = 1, #entries, 2 do
      sum = sum + tonumber(string.match(entries[i], '|(%d+)$'))
      if sum >= filled then reached = tonumber(entries[i + 1]); break end
    end
  end
  if reached then
    redis.call('ZADD', KEYS[9] .. rep, reached, member)
    if team ~= '' then redis.call('ZADD', KEYS[10] .. team, reached, member) end
  else
    redis.call('ZREM', KEYS[9] .. rep, member)
    if team ~= '' then redis.call('ZREM', KEYS[10] .. team, member) end
  end
end

local function join_group(field, asked, cap, sign)
  local before = tonumber(redis.call('HGET', KEYS[7], field) or '0')
  local after = before + sign * asked
  redis.call('HINCRBY', KEYS[7], field, sign * asked)
  local member = c.deal .. '|' .. asked
  if sign > 0 then redis.call('ZADD', KEYS[15] .. field, c.at, member)
  else redis.call('ZREM', KEYS[15] .. field, member) end
  return math.min(after, cap) - math.min(before, cap)
end

if undo then
  local delta = 0
  for _, u in ipairs(undo.hits) do
    if u[3] ~= '' then
      delta = delta + join_group(u[3], u[4], u[5], -1)
      refresh_group(undo.rep, undo.team, u[3], u[5])
    else
      delta = delta - u[2]
    end
  end
  redis.call('HINCRBY', KEYS[3], undo.rep, delta)
  redis.call('ZREM', KEYS[9] .. undo.rep, c.deal)
  if undo.team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. undo.team, delta, undo.rep)
    redis.call('HINCRBY', KEYS[17], undo.team, delta)
    redis.call('ZREM', KEYS[10] .. undo.team, c.deal)
  end
  ledger(undo.rep, delta, {}, 'undo')
end

local team = c.team or ''
local total = 0
if apply then
  local hits, uncapped = {}, 0
  for i, hit in ipairs(c.hits) do
    if hit[3] > 0 then
      local field = c.day .. '|' .. hit[1] .. '|' .. c.rep
      local delta = join_group(field, hit[2], hit[3], 1)
      refresh_group(c.rep, team, field, hit[3])
      hits[i] = {hit[1], delta, field, hit[2], hit[3]}
      total = total + delta
    else
      hits[i] = {hit[1], hit[2], '', hit[2], 0}
      uncapped = uncapped + hit[2]
      total = total + hit[2]
    end
  end
  redis.call('HINCRBY', KEYS[3], c.rep, total)
  if uncapped ~= 0 then redis.call('ZADD', KEYS[9] .. c.rep, c.at, c.deal) end
  if team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. team, total, c.rep)
    redis.call('HINCRBY', KEYS[17], team, total)
    if uncapped ~= 0 then redis.call('ZADD', KEYS[10] .. team, c.at, c.deal) end
  end
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({
    rep = c.rep, team = team, hits = hits, event = c.event, size = c.size or 0,
    target = c.target or 0, team_target = c.team_target or 0, division = c.division or ''}))
  ledger(c.rep, total, hits, 'apply')
elseif c.undo then
  -- Reversed (or reversed before the original arrived): a tombstone keeps a late original from scoring.
  redis.call('HSET', KEYS[2], c.deal, cmsgpack.pack({tomb = 1, event = c.event}))
elseif #c.hits > 0 and old then
  ledger(c.rep, 0, {}, 'reversed_before')
end

local changed = (undo ~= nil) or apply
if not changed then
  return {1, 0, 0, current_epoch}
end

local function refresh_rep(rep, target, division)
  local score = shown(tonumber(redis.call('HGET', KEYS[3], rep) or '0'), target)
  local composite = score * TIME_SPAN + latest_left(KEYS[9] .. rep)
  redis.call('ZADD', KEYS[4], composite, rep)
  if division and division ~= '' then redis.call('ZADD', KEYS[14] .. division, composite, rep) end
end
local function refresh_team(t, size, target)
  write_team_row(TEAM, t, size, target, c.mode, c.best_n, c.ends)
end

if apply then refresh_rep(c.rep, c.target, c.division) end
if undo and (undo.rep ~= c.rep or not apply) then refresh_rep(undo.rep, undo.target, undo.division) end
if apply and team ~= '' then refresh_team(team, c.size or 0, c.team_target) end
if undo and undo.team ~= '' and (undo.team ~= team or not apply) then
  refresh_team(undo.team, undo.size or 0, undo.team_target)
end

local seq = redis.call('HINCRBY', KEYS[8], 'reps', 1)
redis.call('HINCRBY', KEYS[8], 'teams', 1)
if c.quiet ~= 1 then
  local bell = cjson.encode({
    contest = c.contest, epoch = c.epoch, seq = seq, rep = c.rep, points = total, event = c.event,
    type = c.type, amount = c.amount or '', at = c.at})
  -- Recent wins, kept with the change itself: what a reconnecting screen recovers is what others saw.
  if c.type == 'deal.won' and total > 0 then
    redis.call('LPUSH', KEYS[16], bell)
    redis.call('LTRIM', KEYS[16], 0, 49)
  end
  redis.call('PUBLISH', ARGV[2], bell)
end
return {1, total, 1, current_epoch}
