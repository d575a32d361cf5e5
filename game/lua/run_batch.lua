-- Many calls of the write scripts in one script call, on a single Redis (game/store.py: Store._pipeline puts
-- the scripts in front of this, each as a function of (KEYS, ARGV, BATCH) in SCRIPTS; BATCH is the batch's
-- context, batch_context.lua, whose work left for the end runs once the calls have run). One script call per event and
-- slot costs Redis more than the work of most events; a batch pays it once. A cluster never runs this: its
-- calls stay one per slot.
-- ARGV[1] msgpack values one after the other: the key lists (an array of arrays), then per call its script's name,
-- the index of its key list, the count of its arguments and the arguments (no array per call: Redis decodes a table
-- more slowly than its entries; the values come as one table, made at its size).
-- Returns each call's reply in order, packed in one msgpack string (Redis turns a reply table into its protocol
-- field by field, looking for err and ok in every table: for a batch's small replies that cost more than packing
-- them; game/store.py: unpack_batch_replies); a call that fails answers its error ({err = message}) in its place
-- (as a pipeline would) and the calls after it still run, as they would have.
local values = {cmsgpack.unpack(ARGV[1])}
local key_lists, replies, context = values[1], {}, new_batch_context()
local at, last, i = 2, #values, 0
while at <= last do
  local count = values[at + 2]
  local ok, reply = pcall(SCRIPTS[values[at]], key_lists[values[at + 1]], {unpack(values, at + 3, at + 2 + count)},
                          context)
  if not ok then
    if type(reply) == 'table' and reply.err then reply = {err = reply.err}  -- Redis 7 raises a table
    else reply = {err = tostring(reply)} end  -- Redis 6.2 a string
  end
  i = i + 1
  replies[i] = reply
  at = at + 3 + count
end
finish_batch_context(context)
return cmsgpack.pack(replies)
