-- A contest epoch's share of a batch (batch_context.lua): what only the batch's final state needs is done once per
-- contest epoch when the batch ends, not once per event: each touched team's sum (one HINCRBY per team), its
-- latest bucket moments (ZADD GT), its row and provisional points, the two sequence numbers (one HINCRBY by the
-- count), the recent wins (one LPUSH). Nothing a later call of the batch reads waits here unwritten: only the team
-- rows read the team sums; no write script reads team rows, team provisional points or recent wins; the sequence
-- numbers and the rep board's size are counted here (each event's doorbell still carries its own seq, base + i);
-- a team's pending GT moment is dropped where a later event writes that bucket's exact moment; the contest's meta
-- is read once and kept up to date by the writes made through it (layout mark, best deal). apply_contest.lua
-- registers the work; a script run alone finishes it at its own end, so a batch leaves what its events written
-- one per call leave.

-- Provisional points as a board shows them: its score less the score of the confirmed points alone.
local function keep_provisional(hash, member, score, confirmed_score)
  local provisional = math.min(score - confirmed_score, score)
  if provisional > 0 then redis.call('HSET', hash, member, int(provisional))
  else redis.call('HDEL', hash, member) end
end

-- A team's exact score from its confirmed points alone (team_pending: the team's sum and each member's share).
local function team_confirmed_of(T, pending, team, size, roster, mode, best_n)
  if mode == 'best' then
    local best = 0
    for _, member in ipairs(best_members(T, team, best_n, roster)) do
      best = best + member[2] - tonumber(redis.call('HGET', pending, team .. '|' .. member[1]) or '0')
    end
    return best
  end
  local sum = tonumber(redis.call('HGET', T.sums, team) or '0') - tonumber(redis.call('HGET', pending, team) or '0')
  return team_points(T, team, size, mode, best_n, roster, sum)
end

-- A team's index of buckets and its members, written on most of its events, are skip lists (as_skip_list): made so
-- at the team's first batch, and again after a restart (Redis loads small sets as listpacks), one look per team and
-- batch.
local function skip_lists_of(T, team)
  local encoding = redis.call('OBJECT', 'ENCODING', T.times .. team)
  if encoding == 'skiplist' or not encoding then return end
  as_skip_list(T.times .. team)
  as_skip_list(T.members .. team)
end

local function finish_contest_share(share)
  local K = share.KEYS
  for _, key in ipairs(share.rise_keys) do  -- before the rows: a team row's tie-break reads the team's set
    local rises, args = share.rises[key], {key, 'GT'}
    for _, member in ipairs(rises.members) do
      if rises[member] then args[#args + 1] = rises[member]; args[#args + 1] = member end
    end
    if #args > 2 then redis.call('ZADD', unpack(args)) end
  end
  local sums = {}
  for _, team in ipairs(share.sum_order) do  -- added to even at 0, as each event's HINCRBY made the field
    sums[team] = redis.call('HINCRBY', K[17], team, int(share.sums[team]))
  end
  if #share.team_order > 1 then  -- whether any team has a roster, asked once rather than once per team
    share.T.no_rosters = redis.call('EXISTS', share.T.rosters) == 0
  end
  local totals, board = {share.T.totals}, {share.T.board}  -- every team's row in one HSET and one ZADD
  for _, team in ipairs(share.team_order) do
    local row = share.teams[team]
    local score, composite, roster = team_row(share.T, team, row.size, row.target, row.mode, row.best_n, row.ends,
                                              sums[team])
    totals[#totals + 1], totals[#totals + 2] = team, int(score)
    board[#board + 1], board[#board + 2] = int(composite), team
    skip_lists_of(share.T, team)
    if row.provisional then
      local size, target = row.size, row.target
      if roster then size, target = #roster.reps, roster.target end
      local confirmed = team_confirmed_of(share.T, K[20], team, size, roster, row.mode, row.best_n)
      keep_provisional(K[22], team, score, shown(confirmed, target))
    end
  end
  if #totals > 1 then
    redis.call('HSET', unpack(totals))
    redis.call('ZADD', unpack(board))
  end
  if share.events > 1 then redis.call('HINCRBY', K[8], 'reps', int(share.events - 1)) end
  if share.events > 0 then redis.call('HINCRBY', K[8], 'teams', int(share.events)) end
  if #share.wins > 0 then
    redis.call('LPUSH', K[16], unpack(share.wins))
    redis.call('LTRIM', K[16], '0', '49')
  end
end

-- The contest epoch's share of the batch (KEYS: apply_contest.lua's), made at its first event.
local function contest_share(context, KEYS)
  local share = context[KEYS[8]]
  if share == nil then
    share = {KEYS = KEYS, events = 0, teams = {}, team_order = {}, rises = {}, rise_keys = {}, wins = {}, sums = {},
             sum_order = {},
             T = {totals = KEYS[5], board = KEYS[6], sums = KEYS[17], members = KEYS[11], times = KEYS[10],
                  rosters = KEYS[24]}}
    context[KEYS[8]] = share
    context.jobs[#context.jobs + 1] = {finish_contest_share, share}
  end
  return share
end

-- The fields every change of a contest epoch carries alike (ARGV[4] of apply_contest.lua), decoded once per batch:
-- kept by their bytes, so the changes of other contests or epochs in the batch each find their own.
local function contest_fixed(context, raw)
  local fixed = context[raw]
  if fixed == nil then
    fixed = cmsgpack.unpack(raw)
    context[raw] = fixed
  end
  return fixed
end

-- The field of meta marking an epoch begun by this version (apply_contest.lua: EARLIER).
local function layout_field(epoch)
  return 'layout:' .. int(epoch)
end

-- The contest's meta (epoch, best deal, the layout mark of an epoch: layouts[epoch]), read once per batch.
local function contest_meta(context, key, epoch)
  local meta = context[key]
  if meta == nil then
    local got = redis.call('HMGET', key, 'epoch', 'best_deal', layout_field(epoch))
    meta = {epoch = tonumber(got[1] or '1'), best = got[2], layouts = {[epoch] = got[3]}}
    context[key] = meta
  elseif meta.layouts[epoch] == nil then
    meta.layouts[epoch] = redis.call('HGET', key, layout_field(epoch))
  end
  return meta
end

-- This event's sequence number: the first event of the batch moves the stored one on (so a script run alone
-- does what it always did), the others count on from it; the rest is stored when the batch ends.
local function next_seq(share)
  share.events = share.events + 1
  if share.seq == nil then share.seq = redis.call('HINCRBY', share.KEYS[8], 'reps', '1') - 1 end
  return share.seq + share.events
end

-- The rep board's size now: counted once per batch, then followed through the rows the batch adds.
local function rep_board_size(share)
  if share.size == nil then share.size = redis.call('ZCARD', share.KEYS[4]) end
  return share.size
end

-- A rep's row was written (added: ZADD's reply, 1 for a rep new to the board).
local function rep_row_written(share, added)
  if share.size then share.size = share.size + added end
end

-- A bucket's latest moment can only rise to at (ZADD GT), left for the batch's end.
local function rise_later(share, key, member, at)
  local rises = share.rises[key]
  if rises == nil then
    rises = {members = {}}
    share.rises[key] = rises
    share.rise_keys[#share.rise_keys + 1] = key
  end
  local pending = rises[member]
  if pending == nil then rises.members[#rises.members + 1] = member end
  if not pending or tonumber(at) > tonumber(pending) then rises[member] = at end
end

-- The bucket's exact moment is being written now: a rise left for later would undo it.
local function drop_rise(share, key, member)
  local rises = share.rises[key]
  if rises and rises[member] then rises[member] = false end
end

-- Points for a team's sum, added when the batch ends.
local function add_to_team_sum(share, team, points)
  local sum = share.sums[team]
  if sum == nil then share.sum_order[#share.sum_order + 1] = team end
  share.sums[team] = (sum or 0) + points
end

-- A team's row (and its provisional points) written at the batch's end with the state then; the last event's
-- size, target and mode win, as the last of separate calls would.
local function team_row_later(share, team, size, target, F, received)
  local row = share.teams[team]
  if row == nil then
    row = {}
    share.teams[team] = row
    share.team_order[#share.team_order + 1] = team
  end
  row.size, row.target, row.mode, row.best_n, row.ends = size, target, F.mode, F.best_n, F.ends
  if received then row.provisional = true end
end
