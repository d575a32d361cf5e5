-- What the calls of one batch (run_batch.lua) share: work a script leaves for the batch's end, done there once
-- instead of once per call (a contest's team rows, its sequence numbers: contest_batch.lua). A script run alone
-- (a cluster's calls) gets a context of its own, finished when it ends (game/store.py: load_lua), so both ways
-- leave the same state. A job is {function, its argument}, run in the order it was left.
local function new_batch_context()
  return {jobs = {}}
end

local function finish_batch_context(context)
  for _, job in ipairs(context.jobs) do job[1](job[2]) end
end
