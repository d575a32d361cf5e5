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
-- Team scores and rows: team_score.lua, put in front of this script (shared with regroup_teams.lua); the steps
-- below (joining cap groups, writing rows and records): contest_steps.lua.
-- BATCH: the batch context (batch_context.lua); what only the batch's final state needs (team rows, sequence
-- numbers, recent wins) is left to this contest epoch's share of it (contest_batch.lua).
-- ARGV: 1 the change: the event's own fields, msgpack values one after the other decoded into the locals below,
--       nil where absent (game/store.py: encode_change), 2 doorbell channel, 3 PUBLISH or
--       SPUBLISH, 4 msgpack fields every change of the contest epoch carries alike (encode_contest_fixed: epoch,
--       ends, team mode, best_n), decoded once per batch
-- Returns {status, points applied, changed, current epoch}:
--   status 1 applied, 0 duplicate, -1 stale epoch (the caller reloads and retries).
-- Flags in the change: replay = 1 writes into an epoch being rebuilt (not yet current);
-- quiet = 1 rings no doorbell (rebuilds must not celebrate old deals on the TVs).
-- Provisional points: rcv (when the event arrived) is set only in contests that confirm deals. A deal
-- it scores (settle > 0 seconds) is provisional until rcv + settle; an event touching a deal past that
-- moment settles it first: confirmed when auto_confirm = 1, else it expires (its points drop out, like a
-- reversal, and nothing revives it). confirms = 1 confirms the deal named (or marks it paid before it
-- scored); settle_only = 1 (the scheduler's sweep) only settles, and is not recorded as seen.

-- The change: event and its seen bucket, the deal's team-time bucket, hits {rule, points, cap}, rep and its totals
-- bucket, day, AT (the event's moment, as text: the sorted sets are given it as it comes), event type, the packed
-- parts of its record and ledger lines (rh, lh, lt), its hits, its deal's record and its ledger line as most events
-- write them (every hit as asked; the record of an original deal not waiting for confirmation: game/store.py,
-- as_asked; nil when it has no hits), the doorbell's head; then what some changes have: team and its
-- size, amount, the deal it names and its bucket, undoes (a correction), division, targets and the flags above.
local event, sb, tb, hits, rep, rb, day, AT, kind, rh, lh, lt, hits_asked, record_asked, line_asked, bell_head,
      team_named, size, amount_text, named_deal, db, undoes, division, target, team_target, replay, quiet, rcv, settle,
      auto_confirm, confirms, settle_only = cmsgpack.unpack(ARGV[1])
local F = contest_fixed(BATCH, ARGV[4])
-- best_deal: read below; the layout mark: see EARLIER
local meta = contest_meta(BATCH, KEYS[12], F.epoch)
local current_epoch = meta.epoch
if current_epoch ~= F.epoch and replay ~= 1 then
  return {-1, 0, 0, current_epoch}
end
local share = contest_share(BATCH, KEYS)
-- An epoch begun by this version is marked in meta (layout_field = '1', set before its first score, while none of the
-- rep_totals, seen and deals hashes of earlier versions exists): its reps' totals sit in small hashes (totals_of), its
-- teams' cap groups' moments in the deal buckets by day (cap_bucket), and no hash or set of earlier layouts is
-- there to read. An epoch already scoring without the mark was begun by earlier versions and keeps their layout
-- to its end: one rep_totals hash, a bucket per day of cap groups ('c' .. day), moments and hashes of older
-- versions still looked for.
local EARLIER = meta.layouts[F.epoch] ~= '1'
if EARLIER and redis.call('EXISTS', KEYS[3], KEYS[1], KEYS[2]) == 0 then
  redis.call('HSET', KEYS[12], layout_field(F.epoch), '1')
  meta.layouts[F.epoch] = '1'
  EARLIER = false
end
-- seen and deals are bucketed into small hashes (KEYS[1] or KEYS[2] .. ':' .. bucket, game/keys.py) that Redis
-- keeps as listpacks; the unbucketed hashes of earlier versions are still read. An original event (the
-- deal itself, whose change names no other deal nor its bucket: named_deal and db absent) is marked seen in its deal's
-- record (orig = 1) rather than in seen.
local DEAL = named_deal or event
local original = event == DEAL
local DEALS = KEYS[2] .. ':' .. (db or sb)
local SEEN = not original and KEYS[1] .. ':' .. sb  -- an original's name is made where it is needed (rarely)
-- Only where an unbucketed hash of earlier versions is still there is it read (one call to know).
local legacy = EARLIER and redis.call('EXISTS', KEYS[1], KEYS[2]) > 0
if settle_only ~= 1 and ((legacy and redis.call('HEXISTS', KEYS[1], event) == 1)
    or (not original and redis.call('HEXISTS', SEEN, event) == 1)) then
  return {0, 0, 0, current_epoch}
end

-- A deal's original with hits writes its record as asked at once (HSETNX: one call where a read, then a write, were
-- two); fresh: it was written, so the deal had none and the event applies (where its hits are not applied as asked,
-- the record is written again below; where its points are refused, or adding them fails, it goes again, so a call
-- failing there leaves nothing a retry would take for done). Any other event reads the deal's record first.
local old, bucketed_raw, fresh = nil, nil, false
if original and settle_only ~= 1 and record_asked and not legacy then
  fresh = redis.call('HSETNX', DEALS, DEAL, record_asked) == 1
end
if not fresh then
  bucketed_raw = redis.call('HGET', DEALS, DEAL)
  local old_raw = bucketed_raw or (legacy and redis.call('HGET', KEYS[2], DEAL)) or nil
  if old_raw then old = unpack_record(DEAL, old_raw) end
end
-- Every record this script writes goes through put_record (an applied deal's is packed around the change's packed
-- fields, pack_applied_record); an original event's record carries its seen mark.
local marks_original = original and settle_only ~= 1
local record_written = false
if settle_only ~= 1 and original and old and old.orig == 1 then
  return {0, 0, 0, current_epoch}
end

-- A provisional deal past its settlement moment is settled before anything else touches it.
local settled = nil
if rcv and old and old.due and old.due <= rcv then
  if old.auto == 1 then settled = 'confirmed' else settled = 'expired' end
end
if settle_only == 1 and settled == nil then
  return {1, 0, 0, current_epoch}
end

local undo = nil
if settled == 'expired' or (undoes and old and old.tomb ~= 1) then undo = old end
local apply = #hits > 0 and settled ~= 'expired'
if apply and (not undoes) and old then apply = false end  -- original arriving after its reversal
if apply and old and old.exp == 1 then apply = false end  -- an expired deal stays out

-- Refuse, before writing anything else, a score the composite could not hold exactly (add_asked: the points asked
-- go to the rep's total now; the apply below adds only what a cap took off).
local points_of = {}  -- rep -> points as written here (no need to read them again)
local asked, asked_text, totals = 0, nil, nil
if apply then
  for _, hit in ipairs(hits) do asked = asked + hit[2] end
  asked_text = int(asked)
  totals = totals_of(KEYS, EARLIER, rep, rb)
  local ok, points = pcall(add_asked, totals, rep, asked, asked_text, target)
  if fresh and not (ok and points) then redis.call('HDEL', DEALS, DEAL) end  -- nothing of the event stays
  if not ok then error(points, 0) end
  if not points then return refused(rep) end
  points_of[rep] = points
end

if settle_only ~= 1 and not original then redis.call('HSET', SEEN, event, '1') end
local kept_orig = old and old.orig  -- a record replaced keeps the mark of its original
if settled then
  release(KEYS, DEAL, old)
  old.due, old.pp = nil, nil
  if settled == 'confirmed' then record_written = put_record(DEALS, DEAL, marks_original, old) end
end

if undo then
  local delta = 0
  for _, u in ipairs(undo.hits) do
    if u[3] ~= '' then
      local moved, entries, asks = join_group(KEYS, DEAL, AT, u[3], u[4], u[5], -1)
      delta = delta + moved
      refresh_group(KEYS, share, EARLIER, undo.rep, undo.team, u[3], u[5], entries, asks, false)
    else
      delta = delta - u[2]
    end
  end
  local delta_text = int(delta)
  points_of[undo.rep] = redis.call('HINCRBY', totals_of(KEYS, EARLIER, undo.rep), undo.rep, delta_text)
  redis.call('ZREM', KEYS[9] .. undo.rep, DEAL)
  if undo.team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. undo.team, delta_text, undo.rep)
    add_to_team_sum(share, undo.team, delta)
    if EARLIER then redis.call('ZREM', KEYS[10] .. undo.team, DEAL) end  -- written before buckets
    team_time(KEYS, share, undo.team, tb, nil, DEAL)
  end
  if undo.due then release(KEYS, DEAL, undo) end
  ledger(KEYS, lh, lt, undo.rep, delta, settled == 'expired' and 'expired' or 'undo')
end
if settled ~= nil and undo == nil then ledger(KEYS, lh, lt, old.rep, 0, 'confirmed') end

-- Confirmation: the deal named stops being provisional (or is marked paid, should it score later).
local confirmed = nil
if confirms == 1 and settled == nil then
  if old and old.due then
    release(KEYS, DEAL, old)
    old.due, old.pp = nil, nil
    record_written = put_record(DEALS, DEAL, marks_original, old)
    ledger(KEYS, lh, lt, old.rep, 0, 'confirmed')
    confirmed = old
  elseif old == nil then
    redis.call('HSET', KEYS[23], DEAL, '1')
  end
end
if settled == 'confirmed' then confirmed = old end

local team = team_named or ''
local total = 0
if apply then
  -- The points each capped hit applies (only where a cap took some: capped_to[i]); uncapped hits apply as asked.
  local capped_to, uncapped = nil, 0
  for i, hit in ipairs(hits) do
    if hit[3] > 0 then
      local field = day .. '|' .. hit[1] .. '|' .. rep
      local delta, entries, asks = join_group(KEYS, DEAL, AT, field, hit[2], hit[3], 1)
      refresh_group(KEYS, share, EARLIER, rep, team, field, hit[3], entries, asks, true)
      if delta ~= hit[2] then
        capped_to = capped_to or {}
        capped_to[i] = delta
      end
      total = total + delta
    else
      uncapped = uncapped + hit[2]
      total = total + hit[2]
    end
  end
  -- Each hit as the record and the ledger line keep it (rule, points applied, asked, cap): as asked, or packed here
  -- once for both where a cap took some.
  local hits_packed = hits_asked
  if capped_to then hits_packed = pack_hits(hits, capped_to) end
  if total ~= asked then points_of[rep] = redis.call('HINCRBY', totals, rep, int(total - asked)) end
  if uncapped ~= 0 then redis.call('ZADD', KEYS[9] .. rep, AT, DEAL) end
  if team ~= '' then
    redis.call('ZINCRBY', KEYS[11] .. team, total == asked and asked_text or int(total), rep)
    add_to_team_sum(share, team, total)
    if uncapped ~= 0 then team_time(KEYS, share, team, tb, AT, DEAL, true) end
  end
  -- Provisional: an update keeps the state of the deal it replaces; a new deal waits for confirmation.
  local due, auto = nil, auto_confirm
  if undo then
    due, auto = undo.due, undo.auto
  elseif settle and settle > 0 then
    if redis.call('HDEL', KEYS[23], DEAL) == 0 then due = rcv + settle end
  end
  local pp = 0
  if due then
    pp = total
    hold(KEYS, rep, team, total)
    redis.call('ZADD', KEYS[18], int(due), DEAL)
  end
  -- The record and the ledger line: as the change brings them where every hit applied as asked (the record of a new
  -- original, written above: fresh), else packed around what the change brings packed (no table per record or line).
  local orig = kept_orig or 0
  if marks_original then orig = 1 end
  if not (fresh and capped_to == nil and due == nil) then
    local record = record_asked
    if capped_to or due or orig ~= 1 then
      record = pack_applied_record(rh, due or 0, pp, due and auto or 0, orig, #hits, hits_packed)
    end
    redis.call('HSET', DEALS, DEAL, record)
  end
  record_written = true
  if capped_to then ledger(KEYS, lh, lt, rep, total, 'apply', #hits, hits_packed)
  else ledger_line(KEYS, rep, line_asked) end
elseif settled == 'expired' then
  record_written = put_record(DEALS, DEAL, marks_original, {tomb = 1, exp = 1, event = undo.event, orig = kept_orig})
elseif undoes and not (old and old.exp == 1) then
  -- Reversed (or reversed before the original arrived): a tombstone keeps a late original from scoring.
  record_written = put_record(DEALS, DEAL, marks_original, {tomb = 1, event = event, orig = kept_orig})
elseif #hits > 0 and old then
  ledger(KEYS, lh, lt, rep, 0, 'reversed_before')
end
if marks_original and not record_written then  -- the original is seen: its deal's record says so
  local record = bucketed_raw and unpack_record(DEAL, bucketed_raw)
  if not record then redis.call('HSET', KEYS[1] .. ':' .. sb, event, '1')  -- no record of its own for the mark
  elseif record.orig ~= 1 then record_written = put_record(DEALS, DEAL, marks_original, record) end
end

local changed = (undo ~= nil) or apply or (confirmed ~= nil)
if not changed then
  return {1, 0, 0, current_epoch}
end

-- Rows: the reps' now (the doorbell carries the score of rep's), the teams' when the batch ends.
local rep_score = nil  -- rep's score as its row was last written here
if apply then rep_score = refresh_rep(KEYS, share, rcv, F, EARLIER, points_of[rep], rep, target, division) end
if undo and (undo.rep ~= rep or not apply) then
  local score = refresh_rep(KEYS, share, rcv, F, EARLIER, points_of[undo.rep], undo.rep, undo.target, undo.division)
  if undo.rep == rep then rep_score = score end
end
if apply and team ~= '' then team_row_later(share, team, size or 0, team_target, F, rcv) end
if undo and undo.team ~= '' and (undo.team ~= team or not apply) then
  team_row_later(share, undo.team, undo.size or 0, undo.team_target, F, rcv)
end
if confirmed then
  local score = refresh_rep(KEYS, share, rcv, F, EARLIER, points_of[confirmed.rep], confirmed.rep, confirmed.target,
                            confirmed.division)
  if confirmed.rep == rep then rep_score = score end
  if confirmed.team ~= '' then team_row_later(share, confirmed.team, confirmed.size or 0, confirmed.team_target, F,
                                                    rcv) end
end

-- The contest's biggest deal so far (in meta, beside the epoch; rebuilds leave it alone): a won deal above it
-- is a record, and its doorbell names the best it beat (never for the contest's first deal).
local beaten = nil
if kind == 'deal.won' and total > 0 and replay ~= 1 then
  local best_raw = meta.best or nil
  local best = tonumber(best_raw or '0') or 0
  local amount = tonumber(amount_text or '') or 0
  if amount > best then
    redis.call('HSET', KEYS[12], 'best_deal', amount_text)
    meta.best = amount_text
    if best > 0 then beaten = best_raw end
  end
end

local seq = next_seq(share)  -- both sequence numbers are stored when the batch ends
if quiet ~= 1 then
  -- The doorbell's fixed part comes encoded (bell_head: a JSON object left open, game/store.py: bell_head);
  -- what only this script knows is added to it: with the rep's score on the board now and the board's size,
  -- phones' views move on without reading them.
  local over = ''
  if beaten then over = ',"record_over":' .. cjson.encode(beaten) end
  local score = rep_score
  if score == nil then
    local placed = redis.call('ZSCORE', KEYS[4], rep)
    if placed then score = math.floor(tonumber(placed) / TIME_SPAN) end
  end
  if score then over = over .. ',"score":' .. int(score) end
  local bell = string.format('%s,"seq":%d,"points":%d%s,"size":%d}', bell_head, seq, total, over, rep_board_size(share))
  -- Recent wins, kept with the change itself: what a reconnecting screen recovers is what others saw.
  if kind == 'deal.won' and total > 0 then
    share.wins[#share.wins + 1] = bell  -- pushed (and the list trimmed) when the batch ends
  end
  redis.call(ARGV[3] or 'PUBLISH', ARGV[2], bell)
end
return {1, total, 1, current_epoch}
