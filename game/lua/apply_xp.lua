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
-- seen and deals are bucketed into small hashes (KEYS[1] or KEYS[2] .. ':' .. bucket of c.sb / c.db, see
-- game/keys.py) that Redis keeps as listpacks; the unbucketed hashes of earlier versions are still read. An
-- original event (the deal itself: c.event == c.deal) is marked seen in its deal's record (orig = 1).
local SEEN, DEALS = KEYS[1] .. ':' .. c.sb, KEYS[2] .. ':' .. c.db
local original = c.event == c.deal
-- Only where an unbucketed hash of earlier versions is still there is it read (one call to know).
local legacy = redis.call('EXISTS', KEYS[1], KEYS[2]) > 0
if (legacy and redis.call('HEXISTS', KEYS[1], c.event) == 1)
    or (not original and redis.call('HEXISTS', SEEN, c.event) == 1) then
  return {0, 0, 0}
end
if not original then redis.call('HSET', SEEN, c.event, 1) end

-- A deal record is a positional array that names no key (short enough for a listpack): {1, rep, xp, cap kind
-- ('' when uncapped), 1 when the deal is among the rep's facts, a mask of the standard windows (STANDARD)
-- it scored on, its day, its week, orig, then any other window as 'name:period'}; a tombstone {2, orig}.
-- orig = 1 once the deal's original event was seen (its dedupe mark). The month,
-- quarter and 'all' periods follow from the day (as game/xp.py's window_keys makes them); the cap (per day)
-- and the facts (per month) are keyed by the same day. Records written before (maps naming their keys) are
-- still read.
local STANDARD = {'day', 'week', 'month', 'quarter', 'all'}

local function periods_of(day, week)
  if not string.match(day, '^%d%d%d%d%-%d%d%-%d%d$') then return nil end
  local month = tonumber(string.sub(day, 6, 7))
  return {day = day, week = week, month = string.sub(day, 1, 7),
          quarter = string.sub(day, 1, 4) .. '-Q' .. math.floor((month - 1) / 3) + 1, all = 'all'}
end

local function pack_record(rep, xp, cap_kind, facts, windows, orig)
  local day, week = '', ''
  for _, window in ipairs(windows) do
    if window[1] == 'day' then day = window[2] elseif window[1] == 'week' then week = window[2] end
  end
  local derived = periods_of(day, week) or {}
  local mask, extra = 0, {}
  for _, window in ipairs(windows) do
    local bit_of = nil
    for i, name in ipairs(STANDARD) do if name == window[1] then bit_of = 2 ^ (i - 1) end end
    if bit_of and derived[window[1]] == window[2] then mask = mask + bit_of
    else extra[#extra + 1] = window[1] .. ':' .. window[2] end
  end
  local record = {1, rep, xp, cap_kind, facts, mask, day, week, orig or 0}
  for _, board in ipairs(extra) do record[#record + 1] = board end
  return cmsgpack.pack(record)
end

local function unpack_record(raw)
  local t = cmsgpack.unpack(raw)
  if t[1] == nil then return t end
  if t[1] == 2 then return {tomb = 1, orig = t[2]} end
  local rep, day = t[2], t[7]
  local r = {rep = rep, xp = t[3], boards = {}, cap_key = '', cap_field = '', facts = '', orig = t[9]}
  if t[4] ~= '' then r.cap_key, r.cap_field = KEYS[3] .. day, t[4] .. '|' .. rep end
  if t[5] == 1 then r.facts = KEYS[5] .. rep .. ':' .. string.sub(day, 1, 7) end
  local derived = periods_of(day, t[8])
  for i, name in ipairs(STANDARD) do
    if bit.band(t[6], 2 ^ (i - 1)) ~= 0 then r.boards[#r.boards + 1] = KEYS[4] .. name .. ':' .. derived[name] end
  end
  for i = 10, #t do r.boards[#r.boards + 1] = KEYS[4] .. t[i] end
  return r
end

local old = nil
local bucketed_raw = redis.call('HGET', DEALS, c.deal)
local old_raw = bucketed_raw or (legacy and redis.call('HGET', KEYS[2], c.deal)) or nil
if old_raw then old = unpack_record(old_raw) end
if original and old and old.orig == 1 then
  return {0, 0, 0}
end
local kept_orig = old and old.orig  -- a record replaced keeps the mark of its original

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
-- A key gets its expiry when it is made (the first write that creates it), not again on every write: an
-- XP window, cap day, facts month or dealers month is written only around its period, so each lives its
-- retention past that period's first write.
if apply then
  allowed = c.xp
  local cap_key, cap_field = '', ''
  if c.cap > 0 then
    cap_key = KEYS[3] .. c.day
    cap_field = c.kind .. '|' .. c.rep
    -- Counted in full first (one call when under the cap, as most are), then handed back past the cap.
    local used = redis.call('HINCRBY', cap_key, cap_field, allowed) - allowed
    if used == 0 then redis.call('EXPIRE', cap_key, 3 * 86400) end  -- a field new (its key maybe too)
    allowed = math.max(0, math.min(allowed, c.cap - used))
    if allowed ~= c.xp then redis.call('HINCRBY', cap_key, cap_field, allowed - c.xp) end
  end
  for _, window in ipairs(c.windows) do
    local board = KEYS[4] .. window[1] .. ':' .. window[2]
    local score = tonumber(redis.call('ZINCRBY', board, allowed, c.rep))
    if window[3] > 0 and score == allowed then redis.call('EXPIRE', board, window[3]) end  -- a member new
  end
  if c.is_deal == 1 then
    local facts = KEYS[5] .. c.rep .. ':' .. c.month
    redis.call('HSET', facts, c.deal, c.amount .. '|' .. c.at .. '|' .. c.new)
    redis.call('HINCRBY', KEYS[6], c.rep, 1)
    redis.call('HINCRBY', KEYS[9], c.rep, 1)
    if redis.call('SADD', KEYS[7] .. c.month, c.rep) == 1 then  -- the rep's first deal of the month
      redis.call('EXPIRE', KEYS[7] .. c.month, c.facts_ttl)
      redis.call('EXPIRE', facts, c.facts_ttl)
    elseif redis.call('HLEN', facts) == 1 then  -- made again after its deals were all reversed
      redis.call('EXPIRE', facts, c.facts_ttl)
    end
  end
  local cap_kind = ''
  if cap_key ~= '' then cap_kind = c.kind end
  local orig = kept_orig
  if original then orig = 1 end  -- the original is seen: its deal's record says so
  redis.call('HSET', DEALS, c.deal, pack_record(c.rep, allowed, cap_kind, c.is_deal, c.windows, orig))
elseif c.undo then
  local orig = kept_orig or 0
  if original then orig = 1 end
  redis.call('HSET', DEALS, c.deal, cmsgpack.pack({2, orig}))
elseif original then  -- the original is seen: its deal's record says so
  if not bucketed_raw then redis.call('HSET', SEEN, c.event, 1)  -- no record of its own to carry the mark
  else
    local t = cmsgpack.unpack(bucketed_raw)
    if t[1] == 1 and t[9] ~= 1 then t[9] = 1 elseif t[1] == 2 and t[2] ~= 1 then t[2] = 1 else t = nil end
    if t then redis.call('HSET', DEALS, c.deal, cmsgpack.pack(t)) end
  end
end
if allowed ~= 0 or undone_at ~= 0 then
  local seq = redis.call('INCR', KEYS[8])
  redis.call(ARGV[3] or 'PUBLISH', ARGV[2], seq)
end
return {1, allowed, undone_at}
