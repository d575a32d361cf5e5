-- A directory or contest change: move the configuration version on and note what changed under it, so a
-- process that holds an earlier version can catch up by reading only what changed (config_changes.lua).
-- KEYS[1] the configuration version, KEYS[2] the change log (hash: version -> JSON of what changed)
-- ARGV[1] the change as JSON ({"reps": [ids]}, {"teams": [ids]} or {"contests": true}), ARGV[2] versions kept
local version = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], version, ARGV[1])
local kept = tonumber(ARGV[2])
if version > kept then
  redis.call('HDEL', KEYS[2], version - kept)
end
return version
