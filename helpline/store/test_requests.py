"""Requests the operators' test phone made, taken back whole: off the staff queue and out of the figures.

A test text or call is answered as any other, and so may queue a callback request. The test phone takes
it back at once, in one step: the record and what hangs off it, its place on the queue and in the list
of all requests (exports, figures), the number's open-request pointer, and what making it counted
("callback.created", "crisis" …) in the hour's and day's buckets the figures read (the running totals
stay: Prometheus counters only go up). A change note tells open staff pages it is gone.
"""

from __future__ import annotations

import json

import redis

from helpline.domain.callback_rules import CallbackRequest
from helpline.store import Keys, Vault
from helpline.store.callbacks import CHANGES_KEPT
from helpline.store.counters import Counters

# KEYS: the record, the queue, all requests, the number's open pointer, version, changed, the notes,
# attempts, audit, staff texts and follow-up, then the hour's and day's bucket of each counter to undo.
# ARGV: the id, its source as JSON (taken back only while it is the one the test made), changes kept.
_TAKE_BACK = """
if redis.call('HGET', KEYS[1], 'source') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
redis.call('ZADD', KEYS[6], redis.call('INCR', KEYS[5]), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -(tonumber(ARGV[3]) + 1))
for i = 12, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1
"""


class TestRequests:
    """Taking back what the test phone asked for."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._take_back = r.register_script(_TAKE_BACK)

    def take_back(self, request: CallbackRequest, counted: tuple[str, ...]) -> bool:
        """Remove `request` as if it was never made, with the `counted` counters making it bumped at its
        creation; False when it is gone or no longer the test's (its source changed)."""
        buckets = [key for name in counted for key in Counters.bucket_keys(name, request.created)[:2]]
        keys = [
            Keys.callback(request.id),
            Keys.callback_queue,
            Keys.callbacks_all,
            Keys.open_callback(request.phone_id),
            Keys.callbacks_version,
            Keys.callbacks_changed,
            Keys.callback_notes(request.id),
            Keys.callback_attempts(request.id),
            Keys.callback_audit(request.id),
            Keys.callback_texts(request.id),
            Keys.callback_followup(request.id),
            *buckets,
        ]
        args = [request.id, json.dumps(request.source), CHANGES_KEPT]
        return bool(self._take_back(keys=keys, args=args, client=self._r))
