-- The steps of apply_contest.lua, made once per script call of a batch rather than once per event: each takes
-- what it works on (the script's KEYS as K, the change c, the epoch's layout) as arguments instead of closing
-- over the call's locals (a closure per step and event cost Redis more than several of the commands they run).

local MAX_SCORE = 134217727     -- 2^27 - 1
local TEAM_TIME_BUCKETS = 64    -- game/keys.py
local REP_TOTAL_BUCKETS = 64    -- game/keys.py

-- A rep's total: in one of REP_TOTAL_BUCKETS small hashes (game/keys.py: rep_total_bucket, the same hash of the
-- rep's id), so Redis finds it among a few reps rather than walking every rep's entry; earlier epochs: rep_totals.
-- bucket: the rep's bucket where the change names it (rb, the event's rep), else hashed here.
local function totals_of(K, earlier, rep, bucket)
  if earlier then return K[3] end
  if bucket then return K[3] .. ':' .. bucket end
  local h = 0
  local bytes = {string.byte(rep, 1, -1)}
  for i = 1, #bytes do h = (h * 31 + bytes[i]) % 65536 end
  return K[3] .. ':' .. int(h % REP_TOTAL_BUCKETS)
end

-- A team's score-changing moments sit in small buckets: its deals by deal key (TEAM_TIME_BUCKETS in
-- game/keys.py; tb is this deal's), its cap groups by day (cap_bucket). The team's own set keeps each
-- bucket's latest moment ('b|' .. bucket), so its top is still the team's latest score-changing moment.
-- rising: the member is new to its bucket (a deal applied), so the bucket's latest moment can only rise to at.
local function team_time(K, share, team, bucket_id, at, member, rising)  -- at nil: the member leaves
  local bucket = K[10] .. team .. '|' .. bucket_id
  if at then redis.call('ZADD', bucket, at, member)
  elseif redis.call('ZREM', bucket, member) == 0 then return end
  if rising then  -- read by the team's row only: left for the batch's end
    rise_later(share, K[10] .. team, 'b|' .. bucket_id, at)
    return
  end
  drop_rise(share, K[10] .. team, 'b|' .. bucket_id)
  local top = redis.call('ZREVRANGE', bucket, '0', '0', 'WITHSCORES')
  if top[2] then redis.call('ZADD', K[10] .. team, top[2], 'b|' .. bucket_id)
  else redis.call('ZREM', K[10] .. team, 'b|' .. bucket_id) end
end

-- The bucket of a day's cap groups ('YYYY-MM-DD'): one of the deal buckets, consecutive days in different ones
-- (so the team's set holds no member per day). Earlier epochs: a bucket of their own per day.
local function cap_bucket(earlier, day)
  if earlier then return 'c' .. day end
  local months = tonumber(string.sub(day, 1, 4)) * 12 + tonumber(string.sub(day, 6, 7))
  return int((months * 31 + tonumber(string.sub(day, 9, 10))) % TEAM_TIME_BUCKETS)
end

-- Every deal record apply_contest.lua writes goes through here; an original event's record carries its seen mark
-- (marks_original). Returns true: the record is written.
local function put_record(deals, deal, marks_original, record)
  if marks_original then record.orig = 1 end
  redis.call('HSET', deals, deal, pack_record(deal, record))
  return true
end

-- Provisional points held: team_pending keeps the team's sum and each member's share.
local function hold(K, rep, team, points)
  if points == 0 then return end  -- (and -0 would not read as an integer)
  redis.call('HINCRBY', K[19], rep, int(points))
  if team ~= '' then
    redis.call('HINCRBY', K[20], team, int(points))
    redis.call('HINCRBY', K[20], team .. '|' .. rep, int(points))
  end
end

local function release(K, deal, record)
  hold(K, record.rep, record.team, -record.pp)
  redis.call('ZREM', K[18], deal)
end

-- Whether a score is more than the composite can hold exactly (as points, or as the percent shown).
local function out_of_range(points, target)
  return points > MAX_SCORE or shown(points, target) > MAX_SCORE
end

-- The points asked (asked_text: as text) added to the rep's total in totals (one access to rep_totals); returns the
-- total, or nil, with nothing added, where the composite could not hold the score exactly (bounded by the points
-- asked for; a daily cap can only lower them). Where the points asked alone are out of range the total is read
-- first, so a total put back was there (not a field made at 0).
local function add_asked(totals, rep, asked, asked_text, target)
  if out_of_range(asked, target) and out_of_range(tonumber(redis.call('HGET', totals, rep) or '0') + asked, target) then
    return nil
  end
  local points = redis.call('HINCRBY', totals, rep, asked_text)
  if out_of_range(points, target) then
    redis.call('HINCRBY', totals, rep, int(-asked))
    return nil
  end
  return points
end

local function refused(rep)
  return redis.error_reply('score out of range: rep ' .. rep .. ' would exceed ' .. MAX_SCORE)
end

-- A line of the rep's ledger (lh, lt: what the change knows of it, packed: pack_ledger_line); hit_count and
-- hits_packed: the applied hits (pack_hits), none when absent.
local function ledger_line(K, rep, line)
  redis.call('XADD', K[13] .. rep, '*', 'l', line)
end

local function ledger(K, lh, lt, rep, points, note, hit_count, hits_packed)
  ledger_line(K, rep, pack_ledger_line(lh, lt, points, note, hit_count or 0, hits_packed or ''))
end

-- A daily cap is judged per group (day, rule, rep): the group scores min(points asked by its standing
-- events, cap), whatever order they arrived in, and it reached that score at the standing event (in
-- occurred_at order) whose points first filled it. So caps stay order-independent and reversible.
-- The points a group's standing events ask for are summed from its set (members 'deal|asked'); KEYS[7] kept
-- that sum in earlier versions and is no longer written.
-- Each entry's points (read from its member once) and their sum: the points the group's standing events ask for.
local function asks_of(entries)
  local asks, sum = {}, 0
  for i = 1, #entries, 2 do
    local asked = tonumber(string.match(entries[i], '|(%d+)$'))
    asks[#asks + 1] = asked
    sum = sum + asked
  end
  return asks, sum
end

-- entries (moment order, with scores) and asks: the group as join_group read it. joined: an event has just joined
-- the group. Under its cap the group is reached at its latest event asking points, which a join can only make
-- later: the team's bucket then rises (no need to read its latest moment).
local function refresh_group(K, share, earlier, rep, team, field, cap, entries, asks, joined)
  local asked = 0
  for _, points in ipairs(asks) do asked = asked + points end
  local filled = math.min(asked, cap)
  local member = 'cap|' .. field
  local reached = nil
  if filled > 0 then
    local sum = 0
    for i, points in ipairs(asks) do
      sum = sum + points
      if sum >= filled then reached = entries[i * 2]; break end
    end
  end
  if reached then
    redis.call('ZADD', K[9] .. rep, reached, member)
  else
    redis.call('ZREM', K[9] .. rep, member)
  end
  if team ~= '' then
    if earlier then redis.call('ZREM', K[10] .. team, member) end  -- written before team times were bucketed
    team_time(K, share, team, cap_bucket(earlier, string.match(field, '^([^|]*)|')), reached, member,
              joined and reached and asked <= cap)
  end
end

-- Joins (sign 1) or leaves (-1) a group, then reads it once: returns the points that changed, its entries and
-- their points.
local function join_group(K, deal, at, field, asked, cap, sign)
  local member = deal .. '|' .. int(asked)
  local moved
  if sign > 0 then moved = redis.call('ZADD', K[15] .. field, at, member)
  else moved = redis.call('ZREM', K[15] .. field, member) end
  local entries = redis.call('ZRANGE', K[15] .. field, '0', '-1', 'WITHSCORES')
  local asks, standing = asks_of(entries)
  local before = standing - moved * sign * asked
  local after = before + sign * asked
  return math.min(after, cap) - math.min(before, cap), entries, asks
end

-- A rep's set of score-changing moments (the tie-break) is written on each of its events and holds them all: it
-- is made a skip list (as_skip_list) when the rep joins the board, so a rep's ZADD does not walk a listpack of its
-- month's deals. (After a restart Redis loads it as a listpack again: slower, never wrong.)
-- A rep's row on the board (and its division's), from the points just written (points nil: read); returns the
-- score shown, which the doorbell carries. rcv: the change's arrival (contests that confirm deals), else nil.
local function refresh_rep(K, share, rcv, F, earlier, points, rep, target, division)
  points = points or tonumber(redis.call('HGET', totals_of(K, earlier, rep), rep) or '0')
  local score = shown(points, target)
  local composite = int(score * TIME_SPAN + time_left(K[9] .. rep, F.ends))
  local added = redis.call('ZADD', K[4], composite, rep)
  rep_row_written(share, added)
  if added == 1 then as_skip_list(K[9] .. rep) end  -- a rep new on the board: its moments' set was just made
  if division and division ~= '' then redis.call('ZADD', K[14] .. division, composite, rep) end
  if rcv then
    local pending = tonumber(redis.call('HGET', K[19], rep) or '0')
    keep_provisional(K[21], rep, score, shown(points - pending, target))
  end
  return score
end
