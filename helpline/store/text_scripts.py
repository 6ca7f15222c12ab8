"""The Lua behind an incoming text: its screening, its record, and both in one step when the facts are known.

A text usually takes two round trips: the screening (its MessageSid's lease taken, the texter's facts read)
and the record (its effects and done mark). The decision between them needs the facts. When the texter's
facts can be known beforehand (Twilio hands back, with each text, the cookie its last answer set: the
texter's sealed state), the decision is made first and `AT_ONCE` screens and records in one step, but only
if Redis holds exactly those facts; otherwise it stops after the screening and the text is answered the
usual way, nothing recorded.
"""

from __future__ import annotations

from helpline.store.jobs import LUA_WRITE_JOB

# Twilio sends a text again only when it did not get the answer (its retries end within 15 s): the
# same words go back to it, kept this long.
ANSWER_SECONDS = 120

# Takes the MessageSid's lease (a retry of a text already answered stops here, {0}; one arriving
# while the text is being answered is told to come back, {2}), then reads the texter's screening
# facts and bumps the per-minute count: the hot path's reads in one round trip instead of six.
# KEYS: done, blocklist, state, opt-outs, open callback, this minute's count, follow-up, lease,
# conversation. ARGV: phone id, token, lease milliseconds, callback key prefix, conversation tail
# ('0': none; a text that may ask for a callback reads what a request needs).
_SCREEN = """
local function screen(KEYS, ARGV)
  if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
  local holder = redis.call('GET', KEYS[8])
  if holder and holder ~= ARGV[2] then return {2} end
  redis.call('SET', KEYS[8], ARGV[2], 'PX', ARGV[3])
  local blocked = redis.call('HEXISTS', KEYS[2], ARGV[1])
  local state = redis.call('GET', KEYS[3])
  local opted_out = redis.call('SISMEMBER', KEYS[4], ARGV[1])
  local open_callback = redis.call('GET', KEYS[5])
  local recent = redis.call('INCR', KEYS[6])
  redis.call('EXPIRE', KEYS[6], 120)
  local follow_up = redis.call('EXISTS', KEYS[7])
  local request = {false, false}
  if open_callback then request = redis.call('HMGET', ARGV[4] .. open_callback, 'priority', 'status') end
  local reply = {1, blocked, state, opted_out, open_callback and 1 or 0, recent, follow_up,
    request[1], request[2]}
  if ARGV[5] ~= '0' then
    local record = {}
    if open_callback then record = redis.call('HGETALL', ARGV[4] .. open_callback) end
    reply[10] = record
    reply[11] = redis.call('LRANGE', KEYS[9], -tonumber(ARGV[5]), -1)
  end
  return reply
end
"""

# A text's effects and its done mark in one step, nothing written when the text was answered already
# (1: by this very delivery, its acknowledgement lost; -1: by another) or another delivery holds its
# lease (-2): the texter's state, the conversation entry, the templates its replies refer to, a job it
# queues (a search), the operators' counters, then the MessageSid marked done and the lease given back.
# A template this process believes kept comes without its text; should it be missing, nothing is
# written (-3) and the call comes again with every text.
# KEYS: done, lease, state, conversation, templates, counter names, the answer kept for a retry, then
# a job's hash, queue and RQ's set of queues (when it queues one).
# ARGV: token, done seconds, retention, state ('' keeps it), entry ('' none), hour and day buckets'
# lifetimes, the counters' key prefix, this hour's and day's bucket, how many templates, then digest
# and template ('' when kept) each, then how many fields the job has (0: none) with its id and fields,
# then each counter's name and how many it counts (their keys are built here: one Redis, never a cluster).
_RECORD = """
local function record(KEYS, ARGV)
  local done = redis.call('GET', KEYS[1])
  if done then
    if done == ARGV[1] then return 1 end
    return -1
  end
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= ARGV[1] then return -2 end
  local templates = tonumber(ARGV[11])
  for i = 12, 11 + 2 * templates, 2 do
    if ARGV[i + 1] == '' and redis.call('HEXISTS', KEYS[5], ARGV[i]) == 0 then return -3 end
  end
  if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[3]) end
  if ARGV[5] ~= '' then
    redis.call('RPUSH', KEYS[4], ARGV[5])
    redis.call('LTRIM', KEYS[4], -200, -1)
    redis.call('EXPIRE', KEYS[4], ARGV[3])
    redis.call('SET', KEYS[7], ARGV[5], 'EX', @ANSWER_SECONDS@)  -- Twilio's retry gets the same words
  end
  for i = 12, 11 + 2 * templates, 2 do
    if ARGV[i + 1] ~= '' then redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
  end
  local at = 12 + 2 * templates
  local job_fields = tonumber(ARGV[at])
  if job_fields > 0 then
    write_job(ARGV, KEYS[8], KEYS[9], KEYS[10], at + 1, at + 1 + 2 * job_fields)
    at = at + 1 + 2 * job_fields
  end
  local names = {}
  for i = at + 1, #ARGV, 2 do
    local name, by = ARGV[8] .. ARGV[i] .. ':', tonumber(ARGV[i + 1])
    local hour, day = name .. ARGV[9], name .. ARGV[10]
    -- a bucket gets its lifetime when it is made; its later counts need not set it again
    if redis.call('INCRBY', hour, by) == by then redis.call('EXPIRE', hour, ARGV[6]) end
    if redis.call('INCRBY', day, by) == by then redis.call('EXPIRE', day, ARGV[7]) end
    redis.call('INCRBY', name .. 'total', by)
    names[#names + 1] = ARGV[i]
  end
  if #names > 0 then redis.call('SADD', KEYS[6], unpack(names)) end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  redis.call('DEL', KEYS[2])
  return 0
end
""".replace("@ANSWER_SECONDS@", str(ANSWER_SECONDS))

SCREEN_TEXT = _SCREEN + "return screen(KEYS, ARGV)\n"
RECORD_EXCHANGE = LUA_WRITE_JOB + _RECORD + "return record(KEYS, ARGV)\n"

# The screening's 9 keys and 5 arguments, then the expected state ('' for none) and the per-minute limit,
# then the record's keys and arguments. When the texter is as expected (that state; not blocked, opted
# out, awaiting a follow-up or with a callback open; within the limit): {3, the record's outcome}, the
# lease taken by the screening given back by the record. Otherwise the screening's reply, its lease held.
AT_ONCE = (
    LUA_WRITE_JOB
    + _SCREEN
    + _RECORD
    + """
local screened = screen({unpack(KEYS, 1, 9)}, {unpack(ARGV, 1, 5)})
if screened[1] ~= 1 then return screened end
local plain = screened[2] == 0 and screened[4] == 0 and screened[5] == 0 and screened[7] == 0
if plain and screened[6] <= tonumber(ARGV[7]) and (screened[3] or '') == ARGV[6] then
  return {3, record({unpack(KEYS, 10)}, {unpack(ARGV, 8)})}
end
return screened
"""
)
SCREEN_KEYS = 9
SCREEN_ARGS = 5
