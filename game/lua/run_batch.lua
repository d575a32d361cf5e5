-- Many calls of the write scripts in one script call, on a single Redis (game/store.py: Store._pipeline puts
-- the scripts in front of this, each as a function of (KEYS, ARGV, BATCH) in SCRIPTS; BATCH is the batch's
-- context, batch_context.lua, whose work left for the end runs once the calls have run). One script call per event and
-- slot costs Redis more than the work of most events; a batch pays it once. A cluster never runs this: its
-- calls stay one per slot.
-- ARGV[1] msgpack {key lists, calls}; a call is {script name, index of its key list, its arguments ...}.
-- Returns each call's reply in order, packed in one msgpack string (Redis turns a reply table into its protocol
-- field by field, looking for err and ok in every table: for a batch's small replies that cost more than packing
-- them; game/store.py: unpack_batch_replies); a call that fails answers its error ({err = message}) in its place
-- (as a pipeline would) and the calls after it still run, as they would have.
local batch = cmsgpack.unpack(ARGV[1])
local key_lists, replies, context = batch[1], {}, new_batch_context()
for i, call in ipairs(batch[2]) do
  local ok, reply = pcall(SCRIPTS[call[1]], key_lists[call[2]], {unpack(call, 3)}, context)
  if not ok then
    if type(reply) == 'table' and reply.err then reply = {err = reply.err}  -- Redis 7 raises a table
    else reply = {err = tostring(reply)} end  -- Redis 6.2 a string
  end
  replies[i] = reply
end
finish_batch_context(context)
return cmsgpack.pack(replies)
