-- Compact deal records and ledger lines (positional msgpack arrays, no field names), shared by the scripts
-- that write them. Records written before this format (msgpack maps) are still read as they are.
-- A record: {1, rep, team, event ('' when it is the deal itself), size, target, team_target, division, day,
--            due, pp, auto, orig, then per hit: rule, points, asked, cap}; a tombstone {2, event, orig};
--            expired {3, event, orig}. orig = 1 once the deal's original event was seen (its dedupe mark).
-- A hit's cap group (day|rule|rep) is rebuilt from the record's day and rep.

-- A hit's rule, points, asked and cap, after the fields of a record or a ledger line.
local function append_hits(out, hits)
  for _, hit in ipairs(hits) do
    out[#out + 1] = hit[1]; out[#out + 1] = hit[2]; out[#out + 1] = hit[4]; out[#out + 1] = hit[5]
  end
end

local function pack_record(deal, r)
  local event = r.event
  if event == deal then event = '' end
  if r.tomb == 1 then
    if r.exp == 1 then return cmsgpack.pack({3, event or '', r.orig or 0}) end
    return cmsgpack.pack({2, event or '', r.orig or 0})
  end
  local day = r.day or ''
  for _, hit in ipairs(r.hits) do  -- a record written before compact records names its day in its cap groups
    if day == '' and hit[3] ~= '' then day = string.match(hit[3], '^([^|]*)|') or '' end
  end
  local hits, out = r.hits, nil
  if #hits == 1 then  -- most deals: the table made at its full size at once (grown entry by entry, Lua rehashes it)
    local hit = hits[1]
    out = {1, r.rep, r.team, event or '', r.size or 0, r.target or 0, r.team_target or 0, r.division or '',
           day, r.due or 0, r.pp or 0, r.auto or 0, r.orig or 0, hit[1], hit[2], hit[4], hit[5]}
  else
    out = {1, r.rep, r.team, event or '', r.size or 0, r.target or 0, r.team_target or 0, r.division or '',
           day, r.due or 0, r.pp or 0, r.auto or 0, r.orig or 0}
    append_hits(out, hits)
  end
  return cmsgpack.pack(out)
end

local function unpack_record(deal, raw)
  local t = cmsgpack.unpack(raw)
  if t[1] == nil then return t end  -- written before compact records
  local kind = t[1]
  if kind ~= 1 then
    local event = t[2]
    if event == '' then event = deal end
    if kind == 3 then return {tomb = 1, exp = 1, event = event, orig = t[3]} end
    return {tomb = 1, event = event, orig = t[3]}
  end
  local r = {rep = t[2], team = t[3], event = t[4], size = t[5], target = t[6], team_target = t[7],
             division = t[8], day = t[9], orig = t[13], hits = {}}
  if r.event == '' then r.event = deal end
  if t[10] ~= 0 then r.due, r.pp, r.auto = t[10], t[11], t[12] end
  for i = 14, #t, 4 do
    local field = ''
    if t[i + 3] > 0 then field = r.day .. '|' .. t[i] .. '|' .. r.rep end
    r.hits[#r.hits + 1] = {t[i], t[i + 1], field, t[i + 2], t[i + 3]}
  end
  return r
end

-- Hits as a record and a ledger line keep them, packed one after the other: rule, points applied (capped_to[i]
-- where a cap took some, else as asked), asked, cap.
local function pack_hits(hits, capped_to)
  local packed = ''
  for i, hit in ipairs(hits) do
    packed = packed .. cmsgpack.pack(hit[1], capped_to[i] or hit[2], hit[2], hit[3])
  end
  return packed
end

-- The msgpack header of an array of n entries (n < 65536).
local function array_header(n)
  if n < 16 then return string.char(0x90 + n) end
  return string.char(0xdc, math.floor(n / 256), n % 256)
end

-- A ledger line: {event, type, at, rule version, points, note, deal ('' when it is the event), amount,
-- customer, currency, then per hit: rule, points, asked, cap} (game/store.py: read_ledger decodes it). What the
-- change knows comes packed (lh: event to rule version, lt: deal to currency; game/store.py: encode_change): only
-- the points and the note are packed here, the hits (hit_count of them) come packed one after the other, and no
-- table is made per line.
local function pack_ledger_line(lh, lt, points, note, hit_count, hits_packed)
  return array_header(10 + hit_count * 4) .. lh .. cmsgpack.pack(points, note) .. lt .. hits_packed
end

-- The record of a deal an event applies: its fields the change knows come packed (rh: rep to day, game/store.py:
-- encode_change), then provisional state (due, pp, auto: 0 when none), orig and the hits (packed, hit_count of them).
local function pack_applied_record(rh, due, pp, auto, orig, hit_count, hits_packed)
  return array_header(13 + hit_count * 4) .. '\1' .. rh .. cmsgpack.pack(due, pp, auto, orig) .. hits_packed
end
