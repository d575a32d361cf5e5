-- How a team scores and how its row is written, shared by apply_contest.lua and regroup_teams.lua:
-- game/store.py puts this file in front of each of them (SCRIPT_LIBRARIES), so both score a team alike.
--
-- T (the team keys of one contest epoch): totals (hash team -> score as shown), board (zset), sums (hash
-- team -> sum of its members' points), members (prefix: zset per team, rep -> points earned for the team),
-- times (prefix: zset per team of score-changing moments), rosters (hash team -> JSON {reps, target}).

local TIME_SPAN = 33554432      -- 2^25, see game/ranking.py

-- A whole number as the text redis.call is given: Redis turns a Lua number into text with '%.17g', which costs
-- several times what '%d' does (the numbers the write scripts pass are whole; literals are passed as text).
local format = string.format
local function int(n)
  return format('%d', n)
end

-- Percent-of-target contests (target > 0) rank by floor(points * 1000 / target): tenths of a percent.
local function shown(points, target)
  if target and target > 0 then return math.floor(points * 1000 / target) end
  return points
end

-- Seconds from the latest score-changing moment to the contest's end (the fair tie-break).
local function time_left(times_key, ends)
  local top = redis.call('ZREVRANGE', times_key, '0', '0', 'WITHSCORES')
  if top[2] == nil then return 0 end
  local left = ends - tonumber(top[2])
  if left < 0 then return 0 end
  if left > TIME_SPAN - 1 then return TIME_SPAN - 1 end
  return left
end

-- The team's roster as the directory last gave it (game/rosters.py), or nil where none was written (T.no_rosters:
-- the contest epoch keeps none, as a batch found once).
local function roster_of(T, team)
  if T.no_rosters then return nil end
  local raw = redis.call('HGET', T.rosters, team)
  if raw then return cjson.decode(raw) end
  return nil
end

-- The members best-N picks, as {rep, points}, best first (ties: the greater id first, as ZREVRANGE orders).
-- With a roster only its members are picked (at 0 before they earn): a rep who left no longer counts
-- there, while the points they earned stay in the team's sum.
local function best_members(T, team, best_n, roster)
  local picked = {}
  if roster then
    local all = {}
    for i, rep in ipairs(roster.reps) do
      all[i] = {rep, tonumber(redis.call('ZSCORE', T.members .. team, rep) or '0')}
    end
    table.sort(all, function(a, b)
      if a[2] ~= b[2] then return a[2] > b[2] end
      return a[1] > b[1]
    end)
    for i = 1, math.min(best_n, #all) do picked[i] = all[i] end
  else
    local top = redis.call('ZREVRANGE', T.members .. team, '0', int(best_n - 1), 'WITHSCORES')
    for i = 1, #top, 2 do picked[#picked + 1] = {top[i], tonumber(top[i + 1])} end
  end
  return picked
end

-- Exact team score: the points earned for the team, per member (size), or its best N members' points.
local function team_points(T, team, size, mode, best_n, roster, sum)
  if mode == 'best' then
    local best = 0
    for _, member in ipairs(best_members(T, team, best_n, roster)) do best = best + member[2] end
    return best
  end
  sum = sum or tonumber(redis.call('HGET', T.sums, team) or '0')
  if mode == 'average' then
    if size < 1 then size = 1 end
    return math.floor(sum / size)
  end
  return sum
end

-- A team's row from its points and roster. The roster's size and target win over the ones given (those of the
-- event being applied, or of the deal being undone, may be older than the last move). sum: the team's sum when
-- the caller has just written it (nil: read). Returns the score shown, the composite and the roster read (nil:
-- none); write_team_row writes it (a batch writes its teams' rows together: contest_batch.lua).
local function team_row(T, team, size, target, mode, best_n, ends, sum)
  local roster = roster_of(T, team)
  if roster then size, target = #roster.reps, roster.target end
  local score = shown(team_points(T, team, size, mode, best_n, roster, sum), target)
  return score, score * TIME_SPAN + time_left(T.times .. team, ends), roster
end

local function write_team_row(T, team, size, target, mode, best_n, ends, sum)
  local score, composite, roster = team_row(T, team, size, target, mode, best_n, ends, sum)
  redis.call('HSET', T.totals, team, int(score))
  redis.call('ZADD', T.board, int(composite), team)
  return score, composite, roster
end
