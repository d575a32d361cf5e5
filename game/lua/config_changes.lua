-- What changed since the version a process holds, read in one step so the answer is one consistent version:
-- {current} when nothing changed; {current, 'reload'} when the log cannot say (a version it lacks, too far
-- behind, or Redis older than the process); otherwise {current, 'apply', rep ids, rep documents, team ids,
-- team documents, contest documents, badge documents} where the last two are flat HGETALLs, or false when no
-- contest or badge definition changed. A missing document (false) means the record is gone.
-- KEYS[1] version, KEYS[2] change log, KEYS[3] reps, KEYS[4] teams, KEYS[5] contests, KEYS[6] badges
-- ARGV[1] the version held, ARGV[2] most versions to catch up through
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local held = tonumber(ARGV[1])
if held == current then
  return {current}
end
if held > current or current - held > tonumber(ARGV[2]) then
  return {current, 'reload'}
end
local ids = {reps = {}, teams = {}}
local seen = {reps = {}, teams = {}}
local definitions = false
for version = held + 1, current do
  local raw = redis.call('HGET', KEYS[2], version)
  if not raw then
    return {current, 'reload'}
  end
  local change = cjson.decode(raw)
  for _, kind in ipairs({'reps', 'teams'}) do
    if type(change[kind]) == 'table' then
      for _, id in ipairs(change[kind]) do
        if not seen[kind][id] then
          seen[kind][id] = true
          ids[kind][#ids[kind] + 1] = id
        end
      end
    end
  end
  if change.contests then
    definitions = true
  end
end
-- HMGET in slices: Lua's unpack has a bounded stack.
local function documents(key, wanted)
  local found = {}
  for first = 1, #wanted, 1000 do
    local slice = redis.call('HMGET', key, unpack(wanted, first, math.min(first + 999, #wanted)))
    for i = 1, #slice do
      found[#found + 1] = slice[i]
    end
  end
  return found
end
local contests, badges = false, false
if definitions then
  contests = redis.call('HGETALL', KEYS[5])
  badges = redis.call('HGETALL', KEYS[6])
end
return {current, 'apply', ids.reps, documents(KEYS[3], ids.reps), ids.teams, documents(KEYS[4], ids.teams),
  contests, badges}
