"""The tier's Lua scripts: each step that must be atomic is one command, so one round trip.

Redis runs a script alone, so "read, then decide, then write" cannot interleave
with another process. Values are compared by their envelope header (`codec`)
without decoding; a key of the wrong type counts as foreign, never as an error.
"""

from __future__ import annotations

from typing import Final

__all__ = ("BREAKER", "DONE", "LOOKUP", "PUT", "RELEASE", "RENEW", "STATUS")

#: Look a key up and, if there is no value this version can read, take its lock or
#: report the holder. KEYS: fresh, lock, generation. ARGV: header, token, lock ms,
#: "1" to ignore the stored value (it failed to decode).
#: Returns {status, value or holder token, generation, ms, foreign}: status "hit"
#: (ms = the value's PTTL; no generation), "lock" (ours; ms = its TTL) or "wait"
#: (ms = its PTTL).
LOOKUP: Final = """
local foreign = 0
if ARGV[4] ~= '1' then
  local value = redis.pcall('GET', KEYS[1])  -- an error reply (a table) for another type
  if type(value) == 'string' and string.sub(value, 1, #ARGV[1]) == ARGV[1] then
    return {'hit', value, 0, redis.call('PTTL', KEYS[1]), 0}
  end
  if value then foreign = 1 end
end
local gen = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {'lock', ARGV[2], gen, tonumber(ARGV[3]), foreign}
end
local holder = redis.call('GET', KEYS[2])
if type(holder) ~= 'string' then holder = '' end
return {'wait', holder, gen, redis.call('PTTL', KEYS[2]), foreign}
"""

#: The holder's answer: store it unless a clear moved the generation since the load
#: began, free the lock if still ours, and publish the answer to the waiters.
#: KEYS: fresh, stale, lock, generation. ARGV: value, ttl ms, stale ttl ms (0: none),
#: generation, token, channel, message head (the value follows it). Returns 1 if stored.
DONE: Final = """
local stored = 0
if (tonumber(redis.call('GET', KEYS[4]) or '0') or 0) == tonumber(ARGV[4]) then
  if tonumber(ARGV[2]) > 0 then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    stored = 1
  end
  if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3]) end
end
if redis.call('GET', KEYS[3]) == ARGV[5] then redis.call('DEL', KEYS[3]) end
redis.call('PUBLISH', ARGV[6], ARGV[7] .. ARGV[1])
return stored
"""

#: The holder failed or gave up: free the lock if still ours (compare-and-delete) and
#: say so. KEYS: lock. ARGV: token, channel, message.
RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
"""

#: Keep a lock while its holder is alive. KEYS: lock. ARGV: token, ms. 1 if still ours.
RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

#: Store several answers of one load (a day's /all fills each coach), unless a clear
#: moved the generation. KEYS: generation, then fresh and stale per answer.
#: ARGV: generation, then value, ttl ms, stale ttl ms per answer. Returns the
#: number stored, or -1 when refused.
PUT: Final = """
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) ~= tonumber(ARGV[1]) then return -1 end
local stored = 0
for i = 0, (#KEYS - 1) / 2 - 1 do
  local value, ttl, stale = ARGV[2 + 3 * i], tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[4 + 3 * i])
  if ttl > 0 then
    redis.call('SET', KEYS[2 + 2 * i], value, 'PX', ttl)
    stored = stored + 1
  end
  if stale > 0 then redis.call('SET', KEYS[3 + 2 * i], value, 'PX', stale) end
end
return stored
"""

#: Open (ms > 0) or close (ms = 0) the shared breaker and tell the others.
#: KEYS: breaker. ARGV: ms, owner, channel, message.
BREAKER: Final = """
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
else
  redis.call('DEL', KEYS[1])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""

#: What a process that (re)connects must catch up on: the generation (did clears
#: happen while we were away?) and the breaker's PTTL. KEYS: generation, breaker.
STATUS: Final = """
return {tonumber(redis.call('GET', KEYS[1]) or '0') or 0, redis.call('PTTL', KEYS[2])}
"""
