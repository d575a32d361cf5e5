-- Apply one event to the XP boards and the badge facts, atomically and idempotently.
-- All keys share the hash tag of one XP shard (one cluster slot).
--
-- KEYS: 1 seen, 2 deals, 3 caps prefix (caps:<day>:<rep bucket>), 4 board prefix, 5 facts prefix, 6 tally prefix
--       (tally:<rep bucket>: rep -> facts version and lifetime deal count in one number, game/xp.py's Tally),
--       7 month's dealers prefix (set per month: reps with deals, so month-end jobs need no SCAN),
--       8 XP sequence number (one counter for every XP board), then 9 and 10 the unbucketed seen and deals hashes of
--       earlier versions, named only where they exist (game/store.py: Store.check_xp_shards)
-- ARGV[1] the change: msgpack values one after the other (game/store.py: encode_xp), decoded straight into the
-- locals below, all text (Redis is handed whole numbers as text, never as Lua numbers it would format with '%.17g'):
-- event, event's seen bucket, rep, xp, daily cap ('0': none), the cap's field ('kind|rep'; '': no cap), day, ISO
-- week, rep's bucket (of its caps and tally), the msgpack bytes of the deal record as asked, orig = 1 (xp_records.lua:
-- the script only puts back what a cap took, or orig = 0), XP doorbell channel, PUBLISH or SPUBLISH, then only as
-- far as an event needs them (most events, a deal's original, stop at the command or the facts): the facts badges
-- are judged on, as kept: 'amount|moment (epoch seconds)|new customer (1/0)' ('': no deal), deal ('': the event
-- itself), deal's bucket ('': the event's), undo ('1' for a correction of a deal).
-- The other periods (month, quarter, all) follow from the day.
-- XP_RETENTION (text per window, none for 'all'), CAP_RETENTION, FACTS_RETENTION, TALLY_WON/TALLY_UNDONE and
-- XP_REP_BUCKETS come from game/xp.py and game/keys.py, the deal records' helpers from xp_records.lua
-- (game/store.py puts them in front of this script). BATCH: the batch context (batch_context.lua): the XP doorbell
-- rings once per batch and shard (xp_records.lua: xp_ring).
-- Returns {status, xp applied, epoch of the deal undone or 0}: status 1 applied, 0 duplicate.
-- (The undone deal's time tells the badge judge which periods a reversal reaches back into.)

local event, seen_bucket, rep, xp_text, cap_text, cap_field, day, week, rep_bucket, record, channel, command,
      facts_kept, named_deal, deal_bucket, undo_text = cmsgpack.unpack(ARGV[1])
local deal = (named_deal == nil or named_deal == '') and event or named_deal
local undo, is_deal = undo_text == '1', facts_kept ~= nil and facts_kept ~= ''
local xp = tonumber(xp_text)
local today = xp_day(BATCH, KEYS[4], day, week)
if not today then return redis.error_reply('apply_xp: day ' .. day .. ' is not YYYY-MM-DD') end

-- seen and deals are bucketed into small hashes (KEYS[1] or KEYS[2] .. ':' .. bucket, see game/keys.py) that
-- Redis keeps as listpacks; the unbucketed hashes of earlier versions are still read. An original event (the
-- deal itself: event == deal) is marked seen in its deal's record (orig = 1).
local DEALS = KEYS[2] .. ':' .. ((deal_bucket == nil or deal_bucket == '') and seen_bucket or deal_bucket)
local original = event == deal
-- Only where an unbucketed hash of earlier versions is still there is it read.
local legacy = KEYS[9] ~= nil
if (legacy and redis.call('HEXISTS', KEYS[9], event) == 1)
    or (not original and redis.call('HEXISTS', KEYS[1] .. ':' .. seen_bucket, event) == 1) then
  return {0, 0, 0}
end
if not original then redis.call('HSET', KEYS[1] .. ':' .. seen_bucket, event, '1') end

-- A new event's record is written at once (HSETNX: one call where a read, then a write, were two), as applied
-- in full; a cap that takes some of its XP writes it again below. An event whose deal has a record already
-- (a duplicate, or an original after its correction) reads it, as every correction does.
local old, bucketed_raw, written = nil, nil, false
if not undo and not legacy then
  written = redis.call('HSETNX', DEALS, deal, record) == 1
end
if not written then bucketed_raw = redis.call('HGET', DEALS, deal) end
local old_raw = bucketed_raw or (legacy and redis.call('HGET', KEYS[10], deal)) or nil
if old_raw then old = xp_unpack_record(old_raw, KEYS) end
if original and old and old.orig == 1 then
  return {0, 0, 0}
end
local kept_orig = old and old.orig  -- a record replaced keeps the mark of its original

local undone_at = 0
if undo and old and old.tomb ~= 1 then
  if old.xp ~= 0 then  -- an event capped out took nothing to hand back
    local back = xp_int(-old.xp)
    for _, board in ipairs(old.boards) do
      redis.call('ZINCRBY', board, back, old.rep)
    end
    if old.cap_day then
      local bucket = old.rep == rep and rep_bucket or xp_rep_bucket(old.rep)
      xp_cap_add(KEYS[3], old.cap_day, old.cap_field, bucket, back, -old.xp)
    elseif old.cap_key ~= '' then  -- a record of earlier versions names the day's single hash
      redis.call('HINCRBY', old.cap_key, old.cap_field, back)
    end
  end
  if old.facts ~= '' then
    local fact = redis.call('HGET', old.facts, deal)
    if fact then undone_at = tonumber(string.match(fact, '|(%d+)|')) or 0 end
    redis.call('HDEL', old.facts, deal)
    local tally = KEYS[6] .. (old.rep == rep and rep_bucket or xp_rep_bucket(old.rep))
    redis.call('HINCRBY', tally, old.rep, TALLY_UNDONE)  -- one deal fewer, the facts version moved on
  end
end

local apply = (xp > 0 or is_deal) and not ((not undo) and old)
local allowed = 0
-- A key gets its expiry when it is made (the first write that creates it), not again on every write: an
-- XP window, cap day, facts month or dealers month is written only around its period, so each lives its
-- retention past that period's first write.
if apply then
  allowed = xp
  local allowed_text = xp_text
  if cap_text ~= '0' then
    local cap = tonumber(cap_text)
    -- Counted in full first (one call when under the cap, as most are), then handed back past the cap.
    local used = xp_cap_add(KEYS[3], day, cap_field, rep_bucket, xp_text, xp, today) - xp
    allowed = math.max(0, math.min(xp, cap - used))
    if allowed ~= xp then
      allowed_text = xp_int(allowed)
      redis.call('HINCRBY', KEYS[3] .. day .. ':' .. rep_bucket, cap_field, xp_int(allowed - xp))
    end
  end
  -- Nothing added, no board written: XP only comes to nothing past a daily cap, so the rep already earned XP on
  -- this day's boards (its cap was counted there) and is on them.
  for i = 1, allowed ~= 0 and #XP_STANDARD or 0 do
    local board = today.boards[i]
    -- ZINCRBY answers the new score as '%.17g' text, which for a whole number is its '%d' text: the rep is
    -- new on the board when it equals what was added, and the board is new when the rep is its only member.
    local score = redis.call('ZINCRBY', board, allowed_text, rep)
    if score == allowed_text and redis.call('ZCARD', board) == 1 then
      local retention = XP_RETENTION[XP_STANDARD[i]]
      if retention then redis.call('EXPIRE', board, retention) end
      as_skip_list(board)  -- sorted_sets.lua
    end
  end
  if is_deal then
    local month = today.month
    local facts = KEYS[5] .. rep .. ':' .. month
    redis.call('HSET', facts, deal, facts_kept)
    redis.call('HINCRBY', KEYS[6] .. rep_bucket, rep, TALLY_WON)  -- one deal more, the facts version moved on
    if redis.call('SADD', KEYS[7] .. month, rep) == 1 then  -- the rep's first deal of the month
      redis.call('EXPIRE', KEYS[7] .. month, FACTS_RETENTION)
      redis.call('EXPIRE', facts, FACTS_RETENTION)
    elseif redis.call('HLEN', facts) == 1 then  -- made again after its deals were all reversed
      redis.call('EXPIRE', facts, FACTS_RETENTION)
    end
  end
  local orig = kept_orig or 0
  if original then orig = 1 end  -- the original is seen: its deal's record says so
  -- {1, rep, allowed, cap kind, facts, XP_ALL_STANDARD, day, week, orig}: packed by the caller with the XP asked
  if allowed ~= xp or not written then
    redis.call('HSET', DEALS, deal, xp_record_as(record, rep, xp, allowed, orig))
  end
elseif undo then
  local orig = kept_orig or 0
  if original then orig = 1 end
  redis.call('HSET', DEALS, deal, XP_PACKED_TOMB[orig])
elseif original then  -- the original is seen: its deal's record says so
  if not bucketed_raw then redis.call('HSET', KEYS[1] .. ':' .. seen_bucket, event, '1')  -- no record of its own to carry the mark
  else
    local t = cmsgpack.unpack(bucketed_raw)
    if t[1] == 1 and t[9] ~= 1 then t[9] = 1 elseif t[1] == 2 and t[2] ~= 1 then t[2] = 1 else t = nil end
    if t then redis.call('HSET', DEALS, deal, cmsgpack.pack(t)) end
  end
end
if allowed ~= 0 or undone_at ~= 0 then xp_ring(BATCH, KEYS[8], channel, command) end
return {1, allowed, undone_at}
