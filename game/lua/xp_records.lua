-- The XP periods and deal records, shared by every call of apply_xp.lua: game/store.py puts this file in front
-- of it (SCRIPT_LIBRARIES), so a batch of calls makes these once. Names start with xp_ (a batch holds the
-- contest's libraries in the same chunk).

-- A whole number as the text redis.call is given (Redis formats a Lua number with '%.17g', which costs more).
local function xp_int(n)
  return string.format('%d', n)
end

-- The bucket of a rep's caps and tally (game/keys.py: xp_rep_bucket, the same hash of the rep id), for a rep the
-- caller did not name (a deal undone may be another rep's).
local function xp_rep_bucket(rep)
  local h = 0
  for i = 1, #rep do h = (h * 31 + string.byte(rep, i)) % 65536 end
  return xp_int(math.floor(h * 40503 % 65536 / (65536 / XP_REP_BUCKETS)))
end

-- Rings a shard's XP doorbell once per batch (batch_context.lua): its sequence number (KEYS[8]) moves on by the
-- batch's changes in one INCRBY, and one message carries the last of them, as one per change would have (readers
-- take a ring as "XP moved", its text as the sequence number reached). A call run alone rings once, as before.
local function xp_ring_at_end(ring)
  redis.call(ring.command, ring.channel, xp_int(redis.call('INCRBY', ring.seq, xp_int(ring.changes))))
end

local function xp_ring(context, seq, channel, command)
  local ring = context[seq]
  if ring == nil then
    ring = {seq = seq, channel = channel, command = command, changes = 0}
    context[seq] = ring
    context.jobs[#context.jobs + 1] = {xp_ring_at_end, ring}
  end
  ring.changes = ring.changes + 1
end

-- Adds delta (as text, and as a number) to a rep's XP of one kind under the day's cap, in its bucket (caps prefix
-- .. day .. ':' .. bucket); answers the new total. A field new there makes its expiry and takes in what the day's single hash of
-- earlier versions (caps prefix .. day) counted for it, so that hash is read once per field, not on every event;
-- with the day's names of the batch (xp_day) only while it exists (asked once per batch: nothing makes it again).
local function xp_cap_add(caps_prefix, day, field, bucket, delta, delta_number, today)
  local key = caps_prefix .. day .. ':' .. bucket
  local total = redis.call('HINCRBY', key, field, delta)
  if total == delta_number then
    redis.call('EXPIRE', key, CAP_RETENTION)
    if today and today.earlier_caps == nil then
      today.earlier_caps = redis.call('EXISTS', caps_prefix .. day) == 1
    end
    local earlier = (not today or today.earlier_caps) and redis.call('HGET', caps_prefix .. day, field)
    if earlier then
      total = redis.call('HINCRBY', key, field, earlier)
      redis.call('HDEL', caps_prefix .. day, field)
    end
  end
  return total
end

-- The period of each standard window (as game/xp.py's window_keys makes them), in XP_STANDARD's order, from the day
-- and the ISO week; nil for a day that is not YYYY-MM-DD (told by its length and month: a pattern or a number costs
-- more).
local XP_QUARTER_OF = {['01'] = '-Q1', ['02'] = '-Q1', ['03'] = '-Q1', ['04'] = '-Q2', ['05'] = '-Q2', ['06'] = '-Q2',
                       ['07'] = '-Q3', ['08'] = '-Q3', ['09'] = '-Q3', ['10'] = '-Q4', ['11'] = '-Q4', ['12'] = '-Q4'}
local function xp_periods_of(day, week)
  local quarter = #day == 10 and XP_QUARTER_OF[string.sub(day, 6, 7)]
  if not quarter then return nil end
  return {day, week, string.sub(day, 1, 7), string.sub(day, 1, 4) .. quarter, 'all'}
end

-- A deal record is a positional array that names no key (short enough for a listpack): {1, rep, xp, cap kind
-- ('' when uncapped), 1 when the deal is among the rep's facts, a mask of the standard windows (XP_STANDARD)
-- it scored on, its day, its week, orig, then any other window as 'name:period'}; a tombstone {2, orig}.
-- orig = 1 once the deal's original event was seen (its dedupe mark). The month, quarter and 'all' periods
-- follow from the day; the cap (per day) and the facts (per month) are keyed by the same day. Records written
-- before (maps naming their keys, or other windows after the mask) are still read.
local XP_STANDARD = {'day', 'week', 'month', 'quarter', 'all'}
local XP_WINDOW_OF = {'day:', 'week:', 'month:', 'quarter:', 'all:'}  -- a board's name before its period
local XP_ALL_STANDARD = 31  -- the mask of every standard window: what apply_xp.lua writes
-- orig (0 or 1) as msgpack, and a tombstone {2, orig} packed, ready to write.
local XP_PACKED_FLAG, XP_PACKED_TOMB = {[0] = '\0', [1] = '\1'}, {[0] = '\146\2\0', [1] = '\146\2\1'}

-- A day's XP boards in one shard (board prefix .. window .. period, in XP_STANDARD's order) and its month, made
-- once per batch and day (batch_context.lua: under the board prefix), as a batch's events mostly share their day;
-- nil for a day that is not YYYY-MM-DD. The week follows from the day, so the day alone names them.
local function xp_day(context, board_prefix, day, week)
  local days = context[board_prefix]
  if days == nil then
    days = {}
    context[board_prefix] = days
  end
  local found = days[day]
  if found == nil then
    local periods = xp_periods_of(day, week)
    if not periods then return nil end
    found = {boards = {}, month = periods[3]}
    for i = 1, #XP_STANDARD do found.boards[i] = board_prefix .. XP_WINDOW_OF[i] .. periods[i] end
    days[day] = found
  end
  return found
end

-- The record as the caller packed it (the XP asked, orig = 1: what most events write) with the XP a cap allowed
-- and orig: the XP follows {1, rep} (packed as cmsgpack packs them, game/store.py: xp_record), orig comes last.
local function xp_record_as(record, rep, xp, allowed, orig)
  if allowed ~= xp then
    local at = 2 + #cmsgpack.pack(rep)
    record = string.sub(record, 1, at) .. cmsgpack.pack(allowed) .. string.sub(record, at + 1 + #cmsgpack.pack(xp))
  end
  if orig ~= 1 then record = string.sub(record, 1, -2) .. XP_PACKED_FLAG[orig] end
  return record
end

-- A record read back as the keys it names (KEYS: apply_xp.lua's: 3 caps, 4 boards and 5 facts prefixes). Its cap
-- is cap_day and cap_field (in the rep's bucket of the day's caps); a map of earlier versions names cap_key, whose
-- day is taken from it where it is this shard's (else the key is written as named).
local function xp_unpack_record(raw, KEYS)
  local t = cmsgpack.unpack(raw)
  if t[1] == nil then
    if t.cap_key ~= '' and string.sub(t.cap_key, 1, #KEYS[3]) == KEYS[3] then t.cap_day = string.sub(t.cap_key, #KEYS[3] + 1) end
    return t
  end
  if t[1] == 2 then return {tomb = 1, orig = t[2]} end
  local r = {rep = t[2], xp = t[3], boards = {}, cap_key = '', cap_field = '', facts = '', orig = t[9]}
  if t[4] ~= '' then r.cap_day, r.cap_field = t[7], t[4] .. '|' .. t[2] end
  if t[5] == 1 then r.facts = KEYS[5] .. t[2] .. ':' .. string.sub(t[7], 1, 7) end
  local derived = xp_periods_of(t[7], t[8])
  for i = 1, #XP_STANDARD do
    if bit.band(t[6], 2 ^ (i - 1)) ~= 0 then r.boards[#r.boards + 1] = KEYS[4] .. XP_WINDOW_OF[i] .. derived[i] end
  end
  for i = 10, #t do r.boards[#r.boards + 1] = KEYS[4] .. t[i] end
  return r
end
