-- Sorted sets shared by the write scripts (game/store.py: SCRIPT_LIBRARIES puts this file in front of them).

-- Makes a sorted set a skip list for good. Redis keeps a sorted set of up to 128 members
-- (zset-max-ziplist-entries) as a listpack, which every ZADD and ZINCRBY walks entry by entry (to find the member,
-- then to put it back in score order): for a set written on most events and few per contest (an XP board, a team's
-- index of buckets or its members) that walk costs more than the rest of the command. A member longer than
-- zset-max-ziplist-value makes Redis convert the set, and Redis never converts it back (but when it loads the data
-- again after a restart); the member goes at once (no member the scripts write starts with a zero byte). The
-- longest value the setting allows a listpack keeps still converts. A set that does not exist is left so.
local SKIP_LIST_MARKER = '\0' .. string.rep('~', 1024)
local function as_skip_list(key)
  if redis.call('ZADD', key, 'NX', '0', SKIP_LIST_MARKER) == 1 then redis.call('ZREM', key, SKIP_LIST_MARKER) end
end
