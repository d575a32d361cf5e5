-- Apply one event to the XP boards and the badge facts, atomically and idempotently.
-- All keys share the hash tag of one XP shard (one cluster slot).
--
-- KEYS: 1 seen, 2 deals, 3 caps prefix, 4 board prefix, 5 facts prefix, 6 lifetime deal counts,
--       7 month's dealers prefix (set per month: reps with deals, so month-end jobs need no SCAN),
--       8 XP sequence number (one counter for every XP board), 9 facts versions (hash: rep -> n, moved on
--       every change of a rep's facts so a badge judgement can tell it is still current)
-- ARGV (all text, as game/store.py's encode_xp makes them: Redis is handed whole numbers as text, never as Lua
-- numbers it would format with '%.17g'; each argument fewer is one string less to make): 1 event, 2 deal ('':
-- the event itself), 3 event's seen bucket, 4 deal's bucket ('': the event's), 5 undo ('1' for a correction
-- of a deal), 6 rep, 7 xp, 8 daily cap ('0': none), 9 kind, 10 day, 11 ISO week, 12 XP doorbell channel,
-- 13 PUBLISH or SPUBLISH, then for a deal only (the facts badges are judged on): 14 amount, 15 moment (epoch
-- seconds), 16 new customer ('1'/'0'). The other periods (month, quarter, all) follow from the day.
-- XP_RETENTION (text per window, none for 'all'), CAP_RETENTION and FACTS_RETENTION come from game/xp.py
-- (game/store.py puts them in front of this script).
-- Returns {status, xp applied, epoch of the deal undone or 0}: status 1 applied, 0 duplicate.
-- (The undone deal's time tells the badge judge which periods a reversal reaches back into.)

local function int(n)
  return string.format('%d', n)
end

local event, rep, kind, day, week = ARGV[1], ARGV[6], ARGV[9], ARGV[10], ARGV[11]
local deal = ARGV[2] == '' and event or ARGV[2]
local undo, is_deal = ARGV[5] == '1', ARGV[14] ~= nil
local xp_text, cap = ARGV[7], tonumber(ARGV[8])
local xp = tonumber(xp_text)
-- The period of each standard window (as game/xp.py's window_keys makes them), from the day and the week.
local function periods_of(of_day, of_week)
  if not string.match(of_day, '^%d%d%d%d%-%d%d%-%d%d$') then return nil end
  local month = tonumber(string.sub(of_day, 6, 7))
  return {day = of_day, week = of_week, month = string.sub(of_day, 1, 7),
          quarter = string.sub(of_day, 1, 4) .. '-Q' .. math.floor((month - 1) / 3) + 1, all = 'all'}
end

local periods = periods_of(day, week)
if not periods then return redis.error_reply('apply_xp: day ' .. day .. ' is not YYYY-MM-DD') end

-- seen and deals are bucketed into small hashes (KEYS[1] or KEYS[2] .. ':' .. bucket, see game/keys.py) that
-- Redis keeps as listpacks; the unbucketed hashes of earlier versions are still read. An original event (the
-- deal itself: event == deal) is marked seen in its deal's record (orig = 1).
local SEEN = KEYS[1] .. ':' .. ARGV[3]
local DEALS = KEYS[2] .. ':' .. (ARGV[4] == '' and ARGV[3] or ARGV[4])
local original = event == deal
-- Only where an unbucketed hash of earlier versions is still there is it read (one call to know).
local legacy = redis.call('EXISTS', KEYS[1], KEYS[2]) > 0
if (legacy and redis.call('HEXISTS', KEYS[1], event) == 1)
    or (not original and redis.call('HEXISTS', SEEN, event) == 1) then
  return {0, 0, 0}
end
if not original then redis.call('HSET', SEEN, event, '1') end

-- A deal record is a positional array that names no key (short enough for a listpack): {1, rep, xp, cap kind
-- ('' when uncapped), 1 when the deal is among the rep's facts, a mask of the standard windows (STANDARD)
-- it scored on, its day, its week, orig, then any other window as 'name:period'}; a tombstone {2, orig}.
-- orig = 1 once the deal's original event was seen (its dedupe mark). The month,
-- quarter and 'all' periods follow from the day (as game/xp.py's window_keys makes them); the cap (per day)
-- and the facts (per month) are keyed by the same day. Records written before (maps naming their keys, or
-- other windows after the mask) are still read.
local STANDARD = {'day', 'week', 'month', 'quarter', 'all'}
local ALL_STANDARD = 31  -- the mask of every standard window: what this version writes

local function unpack_record(raw)
  local t = cmsgpack.unpack(raw)
  if t[1] == nil then return t end
  if t[1] == 2 then return {tomb = 1, orig = t[2]} end
  local r = {rep = t[2], xp = t[3], boards = {}, cap_key = '', cap_field = '', facts = '', orig = t[9]}
  if t[4] ~= '' then r.cap_key, r.cap_field = KEYS[3] .. t[7], t[4] .. '|' .. t[2] end
  if t[5] == 1 then r.facts = KEYS[5] .. t[2] .. ':' .. string.sub(t[7], 1, 7) end
  local derived = periods_of(t[7], t[8])
  for i, name in ipairs(STANDARD) do
    if bit.band(t[6], 2 ^ (i - 1)) ~= 0 then r.boards[#r.boards + 1] = KEYS[4] .. name .. ':' .. derived[name] end
  end
  for i = 10, #t do r.boards[#r.boards + 1] = KEYS[4] .. t[i] end
  return r
end

local old = nil
local bucketed_raw = redis.call('HGET', DEALS, deal)
local old_raw = bucketed_raw or (legacy and redis.call('HGET', KEYS[2], deal)) or nil
if old_raw then old = unpack_record(old_raw) end
if original and old and old.orig == 1 then
  return {0, 0, 0}
end
local kept_orig = old and old.orig  -- a record replaced keeps the mark of its original

local undone_at = 0
if undo and old and old.tomb ~= 1 then
  if old.xp ~= 0 then  -- an event capped out took nothing to hand back
    local back = int(-old.xp)
    for _, board in ipairs(old.boards) do
      redis.call('ZINCRBY', board, back, old.rep)
    end
    if old.cap_key ~= '' then redis.call('HINCRBY', old.cap_key, old.cap_field, back) end
  end
  if old.facts ~= '' then
    local fact = redis.call('HGET', old.facts, deal)
    if fact then undone_at = tonumber(string.match(fact, '|(%d+)|')) or 0 end
    redis.call('HDEL', old.facts, deal)
    redis.call('HINCRBY', KEYS[6], old.rep, '-1')
    redis.call('HINCRBY', KEYS[9], old.rep, '1')
  end
end

local apply = (xp > 0 or is_deal) and not ((not undo) and old)
local allowed = 0
-- A key gets its expiry when it is made (the first write that creates it), not again on every write: an
-- XP window, cap day, facts month or dealers month is written only around its period, so each lives its
-- retention past that period's first write.
if apply then
  allowed = xp
  local allowed_text, cap_kind = xp_text, ''
  if cap > 0 then
    local cap_key, cap_field = KEYS[3] .. day, kind .. '|' .. rep
    cap_kind = kind
    -- Counted in full first (one call when under the cap, as most are), then handed back past the cap.
    local used = redis.call('HINCRBY', cap_key, cap_field, xp_text) - xp
    if used == 0 then redis.call('EXPIRE', cap_key, CAP_RETENTION) end  -- a field new (its key maybe too)
    allowed = math.max(0, math.min(xp, cap - used))
    if allowed ~= xp then
      allowed_text = int(allowed)
      redis.call('HINCRBY', cap_key, cap_field, int(allowed - xp))
    end
  end
  -- Nothing added, no board written: XP only comes to nothing past a daily cap, so the rep already earned XP on
  -- this day's boards (its cap was counted there) and is on them.
  for _, name in ipairs(allowed ~= 0 and STANDARD or {}) do
    local board = KEYS[4] .. name .. ':' .. periods[name]
    -- ZINCRBY answers the new score as '%.17g' text, which for a whole number is its '%d' text: the rep is
    -- new on the board when it equals what was added.
    local score = redis.call('ZINCRBY', board, allowed_text, rep)
    local retention = XP_RETENTION[name]
    if retention and score == allowed_text then redis.call('EXPIRE', board, retention) end  -- a member new
  end
  if is_deal then
    local month = periods.month
    local facts = KEYS[5] .. rep .. ':' .. month
    redis.call('HSET', facts, deal, ARGV[14] .. '|' .. ARGV[15] .. '|' .. ARGV[16])
    redis.call('HINCRBY', KEYS[6], rep, '1')
    redis.call('HINCRBY', KEYS[9], rep, '1')
    if redis.call('SADD', KEYS[7] .. month, rep) == 1 then  -- the rep's first deal of the month
      redis.call('EXPIRE', KEYS[7] .. month, FACTS_RETENTION)
      redis.call('EXPIRE', facts, FACTS_RETENTION)
    elseif redis.call('HLEN', facts) == 1 then  -- made again after its deals were all reversed
      redis.call('EXPIRE', facts, FACTS_RETENTION)
    end
  end
  local orig = kept_orig or 0
  if original then orig = 1 end  -- the original is seen: its deal's record says so
  redis.call('HSET', DEALS, deal,
    cmsgpack.pack({1, rep, allowed, cap_kind, is_deal and 1 or 0, ALL_STANDARD, day, week, orig}))
elseif undo then
  local orig = kept_orig or 0
  if original then orig = 1 end
  redis.call('HSET', DEALS, deal, cmsgpack.pack({2, orig}))
elseif original then  -- the original is seen: its deal's record says so
  if not bucketed_raw then redis.call('HSET', SEEN, event, '1')  -- no record of its own to carry the mark
  else
    local t = cmsgpack.unpack(bucketed_raw)
    if t[1] == 1 and t[9] ~= 1 then t[9] = 1 elseif t[1] == 2 and t[2] ~= 1 then t[2] = 1 else t = nil end
    if t then redis.call('HSET', DEALS, deal, cmsgpack.pack(t)) end
  end
end
if allowed ~= 0 or undone_at ~= 0 then
  local seq = redis.call('INCR', KEYS[8])
  redis.call(ARGV[13], ARGV[12], int(seq))
end
return {1, allowed, undone_at}
