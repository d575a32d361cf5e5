-- Apply one event's change to one contest at one epoch, atomically: dedupe, undo (reversals and
-- updates), apply under daily caps, refresh the rep and team boards, write the ledger, bump the
-- sequence number, ring the doorbell. Every key shares the contest's hash tag (one cluster slot).
--
-- KEYS: 1 seen, 2 deals, 3 rep_totals, 4 rep_board, 5 team_totals, 6 team_board, 7 caps (earlier data), 8 seq,
--       9 rep_times_prefix, 10 team_times_prefix, 11 team_members_prefix, 12 meta (epoch, best_deal), 13 ledger_prefix,
--       14 division_board_prefix, 15 cap_group_prefix, 16 recent wins (list of doorbell payloads),
--       17 team_sums (hash: team -> sum of its members' points),
--       provisional points (contests that confirm deals): 18 pending (zset: deal -> settlement epoch),
--       19 rep_pending, 20 team_pending (hashes of exact provisional points), 21 rep_provisional,
--       22 team_provisional (hashes: provisional points as the boards show them), 23 paid (hash: deals
--       confirmed before they scored), 24 team rosters (hash: team -> JSON, see game/rosters.py)
-- Percent-of-target contests (c.target > 0) rank by floor(points * 1000 / target): tenths of a percent.
-- Team scores and rows: team_score.lua, put in front of this script (shared with regroup_teams.lua).
-- BATCH: the batch context (batch_context.lua); what only the batch's final state needs (team rows, sequence
-- numbers, recent wins) is left to this contest epoch's share of it (contest_batch.lua).
-- ARGV: 1 msgpack change (game/store.py: encode_change), 2 doorbell channel, 3 PUBLISH or SPUBLISH
-- Returns {status, points applied, changed, current epoch}:
--   status 1 applied, 0 duplicate, -1 stale epoch (the caller reloads and retries).
-- Flags in the change: replay = 1 writes into an epoch being rebuilt (not yet current);
-- quiet = 1 rings no doorbell (rebuilds must not celebrate old deals on the TVs).
-- Provisional points: rcv (when the event arrived) is set only in contests that confirm deals. A deal
-- it scores (settle > 0 seconds) is provisional until rcv + settle; an event touching a deal past that
-- moment settles it first: confirmed when auto = 1, else it expires (its points drop out, like a
-- reversal, and nothing revives it). confirms = 1 confirms the deal named (or marks it paid before it
-- scored); settle_only = 1 (the scheduler's sweep) only settles, and is not recorded as seen.

local MAX_SCORE = 134217727     -- 2^27 - 1
local TEAM_TIME_BUCKETS = 64    -- game/keys.py
local REP_TOTAL_BUCKETS = 64    -- game/keys.py

local c = cmsgpack.unpack(ARGV[1])
local AT = int(c.at)  -- the event's moment as the text the sorted sets are given
-- best_deal: read below; the layout mark: see EARLIER
local LAYOUT = 'layout:' .. int(c.epoch)
local meta = contest_meta(BATCH, KEYS[12], LAYOUT)
local current_epoch = meta.epoch
if current_epoch ~= c.epoch and c.replay ~= 1 then
  return {-1, 0, 0, current_epoch}
end
local share = contest_share(BATCH, KEYS)
-- An epoch begun by this version is marked in meta (LAYOUT = '1', set before its first score, while none of the
-- rep_totals, seen and deals hashes of earlier versions exists): its reps' totals sit in small hashes (totals_of), its
-- teams' cap groups' moments in the deal buckets by day (cap_bucket), and no hash or set of earlier layouts is
-- there to read. An epoch already scoring without the mark was begun by earlier versions and keeps their layout
-- to its end: one rep_totals hash, a bucket per day of cap groups ('c' .. day), moments and hashes of older
-- versions still looked for.
local EARLIER = meta.layouts[LAYOUT] ~= '1'
if EARLIER and redis.call('EXISTS', KEYS[3], KEYS[1], KEYS[2]) == 0 then
  redis.call('HSET', KEYS[12], LAYOUT, '1')
  meta.layouts[LAYOUT] = '1'
  EARLIER = false
end
-- seen and deals are bucketed into small hashes (KEYS[1] or KEYS[2] .. ':' .. bucket, game/keys.py) that Redis
-- keeps as listpacks; the unbucketed hashes of earlier versions are still read. An original event (the
-- deal itself: c.event == c.deal) is marked seen in its deal's record (orig = 1) rather than in seen.
local SEEN, DEALS = KEYS[1] .. ':' .. c.sb, KEYS[2] .. ':' .. c.db
local original = c.event == c.deal
-- Only where an unbucketed hash of earlier versions is still there is it read (one call to know).
local legacy = EARLIER and redis.call('EXISTS', KEYS[1], KEYS[2]) > 0
if c.settle_only ~= 1 and ((legacy and redis.call('HEXISTS', KEYS[1], c.event) == 1)
    or (not original and redis.call('HEXISTS', SEEN, c.event) == 1)) then
  return {0, 0, 0, current_epoch}
end

-- A rep's total: in one of REP_TOTAL_BUCKETS small hashes (game/keys.py: rep_total_bucket, the same hash of the
-- rep's id), so Redis finds it among a few reps rather than walking every rep's entry; earlier epochs: rep_totals.
local function totals_of(rep)
  if EARLIER then return KEYS[3] end
  local h = 0
  for i = 1, #rep do h = (h * 31 + string.byte(rep, i)) % 65536 end
  return KEYS[3] .. ':' .. int(h % REP_TOTAL_BUCKETS)
end

local function latest_left(times_key)
  return time_left(times_key, c.ends)
end

-- A team's score-changing moments sit in small buckets: its deals by deal key (TEAM_TIME_BUCKETS in
-- game/keys.py; c.tb is this deal's), its cap groups by day (cap_bucket). The team's own set keeps each
-- bucket's latest moment ('b|' .. bucket), so its top is still the team's latest score-changing moment.
-- rising: the member is new to its bucket (a deal applied), so the bucket's latest moment can only rise to at.
local function team_time(team, bucket_id, at, member, rising)  -- at nil: the member leaves
  local bucket = KEYS[10] .. team .. '|' .. bucket_id
  if at then redis.call('ZADD', bucket, at, member)
  elseif redis.call('ZREM', bucket, member) == 0 then return end
  if rising then  -- read by the team's row only: left for the batch's end
    rise_later(share, KEYS[10] .. team, 'b|' .. bucket_id, at)
    return
  end
  drop_rise(share, KEYS[10] .. team, 'b|' .. bucket_id)
  local top = redis.call('ZREVRANGE', bucket, '0', '0', 'WITHSCORES')
  if top[2] then redis.call('ZADD', KEYS[10] .. team, top[2], 'b|' .. bucket_id)
  else redis.call('ZREM', KEYS[10] .. team, 'b|' .. bucket_id) end
end

-- The bucket of a day's cap groups ('YYYY-MM-DD'): one of the deal buckets, consecutive days in different ones
-- (so the team's set holds no member per day). Earlier epochs: a bucket of their own per day.
local function cap_bucket(day)
  if EARLIER then return 'c' .. day end
  local months = tonumber(string.sub(day, 1, 4)) * 12 + tonumber(string.sub(day, 6, 7))
  return int((months * 31 + tonumber(string.sub(day, 9, 10))) % TEAM_TIME_BUCKETS)
end

local old = nil
local bucketed_raw = redis.call('HGET', DEALS, c.deal)
local old_raw = bucketed_raw or (legacy and redis.call('HGET', KEYS[2], c.deal)) or nil
if old_raw then old = unpack_record(c.deal, old_raw) end
-- Every record this script writes goes through put_record; an original event's record carries its seen mark.
local marks_original = original and c.settle_only ~= 1
local record_written = false
local function put_record(record)
  if marks_original then record.orig = 1 end
  redis.call('HSET', DEALS, c.deal, pack_record(c.deal, record))
  record_written = true
end
if c.settle_only ~= 1 and original and old and old.orig == 1 then
  return {0, 0, 0, current_epoch}
end

-- A provisional deal past its settlement moment is settled before anything else touches it.
local function hold(rep, team, points)  -- team_pending keeps the team's sum and each member's share
  if points == 0 then return end  -- (and -0 would not read as an integer)
  redis.call('HINCRBY', KEYS[19], rep, int(points))
  if team ~= '' then
    redis.call('HINCRBY', KEYS[20], team, int(points))
    redis.call('HINCRBY', KEYS[20], team .. '|' .. rep, int(points))
  end
end
local function release(record)
  hold(record.rep, record.team, -record.pp)
  redis.call('ZREM', KEYS[18], c.deal)
end
local settled = nil
if c.rcv and old and old.due and old.due <= c.rcv then
  if old.auto == 1 then settled = 'confirmed' else settled = 'expired' end
end
if c.settle_only == 1 and settled == nil then
  return {1, 0, 0, current_epoch}
end

local undo = nil
if settled == 'expired' or (c.undo and old and old.tomb ~= 1) then undo = old end
local apply = #c.hits > 0 and settled ~= 'expired'
if apply and (not c.undo) and old then apply = false end  -- original arriving after its reversal
if apply and old and old.exp == 1 then apply = false end  -- an expired deal stays out

-- Refuse, before writing anything else, a score the composite could not hold exactly (bounded by the points
-- asked for; a daily cap can only lower them). The rep's total is read by adding the points asked (one access
-- to rep_totals: the apply below adds only what a cap took off) and put back when refused. Where the points
-- asked alone are out of range the total is read first, so a total put back was there (not a field made at 0).
local points_of = {}  -- rep -> points as written here (no need to read them again); team sums: share.sums
local asked = 0
local function out_of_range(points)
  return points > MAX_SCORE or shown(points, c.target) > MAX_SCORE
end
if apply then
  for _, hit in ipairs(c.hits) do asked = asked + hit[2] end
  local totals = totals_of(c.rep)
  local refused = out_of_range(asked) and out_of_range(tonumber(redis.call('HGET', totals, c.rep) or '0') + asked)
  if not refused then
    points_of[c.rep] = redis.call('HINCRBY', totals, c.rep, int(asked))
    refused = out_of_range(points_of[c.rep])
    if refused then redis.call('HINCRBY', totals, c.rep, int(-asked)) end
  end
  if refused then
    return redis.error_reply('score out of range: rep ' .. c.rep .. ' would exceed ' .. MAX_SCORE)
  end
end

if c.settle_only ~= 1 and not original then redis.call('HSET', SEEN, c.event, '1') end
local kept_orig = old and old.orig  -- a record replaced keeps the mark of its original
if settled then
  release(old)
  old.due, old.pp = nil, nil
  if settled == 'confirmed' then put_record(old) end
end

local function ledger(rep, points, hits, note)
  redis.call('XADD', KEYS[13] .. rep, '*', 'l', pack_ledger_line(c, points, hits, note))
end

-- A daily cap is judged per group (day, rule, rep): the group scores min(points asked by its standing
-- events, cap), whatever order they arrived in, and it reached that score at the standing event (in
-- occurred_at order) whose points first filled it. So caps stay order-independent and reversible.
-- The points a group's standing events ask for are summed from its set (members 'deal|asked'); KEYS[7] kept
-- that sum in earlier versions and is no longer written.
local function asked_in(entries, step)
  local sum = 0
  for i = 1, #entries, step do sum = sum + tonumber(string.match(entries[i], '|(%d+)$')) end
  return sum
end

-- joined: an event has just joined the group. Under its cap the group is reached at its latest event asking
-- points, which a join can only make later: the team's bucket then rises (no need to read its latest moment).
local function refresh_group(rep, team, field, cap, entries, joined)
  local asked = asked_in(entries, 2)
  local filled = math.min(asked, cap)
  local member = 'cap|' .. field
  local reached = nil
  if filled > 0 then
    local sum = 0
    for i = 1, #entries, 2 do
      sum = sum + tonumber(string.match(entries[i], '|(%d+)$'))
      if sum >= filled then reached = entries[i + 1]; break end
    end
  end
  if reached then
    redis.call('ZADD', KEYS[9] .. rep, reached, member)
  else
    redis.call('ZREM', KEYS[9] .. rep, member)
  end
  if team ~= '' then
    if EARLIER then redis.call('ZREM', KEYS[10] .. team, member) end  -- written before team times were bucketed
    team_time(team, cap_bucket(string.match(field, '^([^|]*)|')), reached, member, joined and reached and asked <= cap)
  end
end

-- Joins (sign 1) or leaves (-1) a group, then reads it once: returns the points that changed and its entries.
local function join_group(field, asked, cap, sign)
  local member = c.deal .. '|' .. asked
  local moved
  if sign > 0 then moved = redis.call('ZADD', KEYS[15] .. field, AT, member)
  else moved = redis.call('ZREM', KEYS[15] .. field, member) end
  local entries = redis.call('ZRANGE', KEYS[15] .. field, '0', '-1', 'WITHSCORES')
  local before = asked_in(entries, 2) - moved * sign * asked
  local after = before + sign * asked
  return math.min(after, cap) - math.min(before, cap), entries
end

if undo then
  local delta = 0
  for _, u in ipairs(undo.hits) do
    if u[3] ~= '' then
      local moved, entries = join_group(u[3], u[4], u[5], -1)
      delta = delta + moved
      refresh_group(undo.rep, undo.team, u[3], u[5], entries, false)
    else
      delta = delta - u[2]
    end
  end
  local delta_text = int(delta)
  points_of[undo.rep] = redis.call('HINCRBY', totals_of(undo.rep), undo.rep, delta_text)
  redis.call('ZREM', KEYS[9] .. undo.rep, c.deal)
  if undo.team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. undo.team, delta_text, undo.rep)
    share.sums[undo.team] = redis.call('HINCRBY', KEYS[17], undo.team, delta_text)
    if EARLIER then redis.call('ZREM', KEYS[10] .. undo.team, c.deal) end  -- written before buckets
    team_time(undo.team, c.tb, nil, c.deal)
  end
  if undo.due then release(undo) end
  ledger(undo.rep, delta, {}, settled == 'expired' and 'expired' or 'undo')
end
if settled ~= nil and undo == nil then ledger(old.rep, 0, {}, 'confirmed') end

-- Confirmation: the deal named stops being provisional (or is marked paid, should it score later).
local confirmed = nil
if c.confirms == 1 and settled == nil then
  if old and old.due then
    release(old)
    old.due, old.pp = nil, nil
    put_record(old)
    ledger(old.rep, 0, {}, 'confirmed')
    confirmed = old
  elseif old == nil then
    redis.call('HSET', KEYS[23], c.deal, '1')
  end
end
if settled == 'confirmed' then confirmed = old end

local team = c.team or ''
local total = 0
if apply then
  local hits, uncapped = {}, 0
  for i, hit in ipairs(c.hits) do
    if hit[3] > 0 then
      local field = c.day .. '|' .. hit[1] .. '|' .. c.rep
      local delta, entries = join_group(field, hit[2], hit[3], 1)
      refresh_group(c.rep, team, field, hit[3], entries, true)
      hits[i] = {hit[1], delta, field, hit[2], hit[3]}
      total = total + delta
    else
      hits[i] = {hit[1], hit[2], '', hit[2], 0}
      uncapped = uncapped + hit[2]
      total = total + hit[2]
    end
  end
  local total_text = int(total)
  if total ~= asked then points_of[c.rep] = redis.call('HINCRBY', totals_of(c.rep), c.rep, int(total - asked)) end
  if uncapped ~= 0 then redis.call('ZADD', KEYS[9] .. c.rep, AT, c.deal) end
  if team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. team, total_text, c.rep)
    share.sums[team] = redis.call('HINCRBY', KEYS[17], team, total_text)
    if uncapped ~= 0 then team_time(team, c.tb, AT, c.deal, true) end
  end
  local record = {
    rep = c.rep, team = team, hits = hits, event = c.event, size = c.size or 0, day = c.day,
    target = c.target or 0, team_target = c.team_target or 0, division = c.division or '', orig = kept_orig}
  -- Provisional: an update keeps the state of the deal it replaces; a new deal waits for confirmation.
  local due, auto = nil, c.auto
  if undo then
    due, auto = undo.due, undo.auto
  elseif c.settle and c.settle > 0 then
    if redis.call('HDEL', KEYS[23], c.deal) == 0 then due = c.rcv + c.settle end
  end
  if due then
    record.due, record.pp, record.auto = due, total, auto
    hold(c.rep, team, total)
    redis.call('ZADD', KEYS[18], int(due), c.deal)
  end
  put_record(record)
  ledger(c.rep, total, hits, 'apply')
elseif settled == 'expired' then
  put_record({tomb = 1, exp = 1, event = undo.event, orig = kept_orig})
elseif c.undo and not (old and old.exp == 1) then
  -- Reversed (or reversed before the original arrived): a tombstone keeps a late original from scoring.
  put_record({tomb = 1, event = c.event, orig = kept_orig})
elseif #c.hits > 0 and old then
  ledger(c.rep, 0, {}, 'reversed_before')
end
if marks_original and not record_written then  -- the original is seen: its deal's record says so
  local record = bucketed_raw and unpack_record(c.deal, bucketed_raw)
  if not record then redis.call('HSET', SEEN, c.event, '1')  -- no record of its own to carry the mark
  elseif record.orig ~= 1 then put_record(record) end
end

local changed = (undo ~= nil) or apply or (confirmed ~= nil)
if not changed then
  return {1, 0, 0, current_epoch}
end

local scores_of = {}  -- rep -> score as its board row was written here (the doorbell carries it)
local function refresh_rep(rep, target, division)
  local points = points_of[rep] or tonumber(redis.call('HGET', totals_of(rep), rep) or '0')
  local score = shown(points, target)
  scores_of[rep] = score
  local composite = int(score * TIME_SPAN + latest_left(KEYS[9] .. rep))
  rep_row_written(share, redis.call('ZADD', KEYS[4], composite, rep))
  if division and division ~= '' then redis.call('ZADD', KEYS[14] .. division, composite, rep) end
  if c.rcv then
    local pending = tonumber(redis.call('HGET', KEYS[19], rep) or '0')
    keep_provisional(KEYS[21], rep, score, shown(points - pending, target))
  end
end
local function refresh_team(t, size, target)
  team_row_later(share, t, size, target, c)
end

if apply then refresh_rep(c.rep, c.target, c.division) end
if undo and (undo.rep ~= c.rep or not apply) then refresh_rep(undo.rep, undo.target, undo.division) end
if apply and team ~= '' then refresh_team(team, c.size or 0, c.team_target) end
if undo and undo.team ~= '' and (undo.team ~= team or not apply) then
  refresh_team(undo.team, undo.size or 0, undo.team_target)
end
if confirmed then
  refresh_rep(confirmed.rep, confirmed.target, confirmed.division)
  if confirmed.team ~= '' then refresh_team(confirmed.team, confirmed.size or 0, confirmed.team_target) end
end

-- The contest's biggest deal so far (in meta, beside the epoch; rebuilds leave it alone): a won deal above it
-- is a record, and its doorbell names the best it beat (never for the contest's first deal).
local beaten = nil
if c.type == 'deal.won' and total > 0 and c.replay ~= 1 then
  local best_raw = meta.best or nil
  local best = tonumber(best_raw or '0') or 0
  local amount = tonumber(c.amount or '') or 0
  if amount > best then
    redis.call('HSET', KEYS[12], 'best_deal', c.amount)
    meta.best = c.amount
    if best > 0 then beaten = best_raw end
  end
end

local seq = next_seq(share)  -- both sequence numbers are stored when the batch ends
if c.quiet ~= 1 then
  -- The doorbell's fixed part comes encoded (c.bell: a JSON object left open, game/store.py: bell_head);
  -- what only this script knows is added to it: with the rep's score on the board now and the board's size,
  -- phones' views move on without reading them.
  local over = ''
  if beaten then over = ',"record_over":' .. cjson.encode(beaten) end
  local score = scores_of[c.rep]
  if score == nil then
    local placed = redis.call('ZSCORE', KEYS[4], c.rep)
    if placed then score = math.floor(tonumber(placed) / TIME_SPAN) end
  end
  if score then over = over .. ',"score":' .. int(score) end
  local bell = c.bell .. ',"seq":' .. int(seq) .. ',"points":' .. int(total) .. over
    .. ',"size":' .. int(rep_board_size(share)) .. '}'
  -- Recent wins, kept with the change itself: what a reconnecting screen recovers is what others saw.
  if c.type == 'deal.won' and total > 0 then
    share.wins[#share.wins + 1] = bell  -- pushed (and the list trimmed) when the batch ends
  end
  redis.call(ARGV[3] or 'PUBLISH', ARGV[2], bell)
end
return {1, total, 1, current_epoch}
