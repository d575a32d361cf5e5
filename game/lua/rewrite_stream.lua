-- Rewrite a stream keeping its entry ids and order (streams cannot change an entry in place): the entries
-- are copied, a bounded range per call, into a scratch stream in the same slot with some of them replaced or
-- left out, then the scratch stream takes the place of the destination in one step. Used by the erasure of
-- a person (server/services/stream_rewrite_store.py): the event log per shard, ledgers, the audit log.
-- KEYS: 1 source, 2 scratch, 3 destination (the source itself, or another key of the same slot)
-- ARGV copy:   'copy', after (exclusive, '-' for the start), upto (inclusive), msgpack map
--              entry id -> flat list of fields and values (an empty list leaves the entry out)
--        Returns how many entries were copied.
-- ARGV finish: 'finish', the last id copied ('-' for none). Returns 0 when the source grew past it (copy
--        again), else 1: the scratch stream, with the source's last generated id, replaces the destination
--        (and the source, when they differ, is deleted).
if ARGV[1] == 'copy' then
  local replaced = cmsgpack.unpack(ARGV[4])
  local from = ARGV[2] == '-' and '-' or '(' .. ARGV[2]
  local copied = 0
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], from, ARGV[3])) do
    local fields = replaced[entry[1]] or entry[2]
    if #fields > 0 then
      redis.call('XADD', KEYS[2], entry[1], unpack(fields))
      copied = copied + 1
    end
  end
  return copied
end
local from = ARGV[2] == '-' and '-' or '(' .. ARGV[2]
if #redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 1) > 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then redis.call('XSETID', KEYS[2], info[i + 1]) end
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[3])
else
  redis.call('DEL', KEYS[3])
end
if KEYS[1] ~= KEYS[3] then redis.call('DEL', KEYS[1]) end
return 1
