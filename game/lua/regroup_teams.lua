-- A contest's teams regrouped at once: after reps move team, join or leave, write each team's new roster
-- (game/rosters.py) and rescore the teams whose roster changed from the points already stored (points stay
-- with the team they were earned for; the size an average divides by, the members best-N picks from and
-- the team's target follow the roster), then bump the team board's sequence number and ring the doorbell
-- so screens get the diff without waiting for the next event. One contest epoch, one slot, atomic; calling
-- it again with the same rosters changes nothing. team_score.lua is put in front of this script.
--
-- KEYS: 1 team_totals, 2 team_board, 3 team_sums, 4 team_members_prefix, 5 team_times_prefix,
--       6 team rosters, 7 seq
-- ARGV: 1 msgpack {contest, epoch, mode, best_n, ends, teams = {{team, roster JSON}, ...}, quiet},
--       2 doorbell channel, 3 PUBLISH or SPUBLISH
-- Returns {teams whose row changed, the team board's sequence number (0 when nothing changed)}.

local r = cmsgpack.unpack(ARGV[1])
local T = {totals = KEYS[1], board = KEYS[2], sums = KEYS[3], members = KEYS[4], times = KEYS[5],
           rosters = KEYS[6]}

local moved = {}
for _, entry in ipairs(r.teams) do
  local team, roster = entry[1], entry[2]
  if redis.call('HGET', T.rosters, team) ~= roster then
    redis.call('HSET', T.rosters, team, roster)
    local before = redis.call('ZSCORE', T.board, team)
    local _, composite = write_team_row(T, team, 0, 0, r.mode, r.best_n, r.ends)
    if not before or tonumber(before) ~= composite then moved[#moved + 1] = team end
  end
end
if #moved == 0 then
  return {0, 0}
end

local seq = redis.call('HINCRBY', KEYS[7], 'teams', 1)
if r.quiet ~= 1 then
  redis.call(ARGV[3] or 'PUBLISH', ARGV[2], cjson.encode({contest = r.contest, epoch = r.epoch, seq = seq, teams = moved}))
end
return {#moved, seq}
