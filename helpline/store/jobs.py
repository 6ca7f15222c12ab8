"""A queued job as a store script writes it: RQ's own record of the job, written in the same atomic step
as what asked for it (a text's search is queued only when the text's answer is recorded, and only once).

The record is made by RQ (`Queues.job_record`: `Queue.create_job`, `Job.to_dict`); the script writes it as
RQ's `Queue.enqueue_job` would for a job with no dependencies: the queue named in RQ's set of queues, the
job's hash, its id at the back of the queue's list. `tests/test_search_job.py` holds the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

# The Lua that writes a job record: its hash, its queue's list, RQ's set of queues; from `args[first]`, the
# job id, then the hash's fields and values.
LUA_WRITE_JOB = """
local function write_job(args, job_key, queue_key, queues_key, first, last)
  redis.call('SADD', queues_key, queue_key)
  redis.call('HSET', job_key, unpack(args, first + 1, last))
  redis.call('RPUSH', queue_key, args[first])
end
"""


@dataclass(frozen=True)
class JobRecord:
    """An RQ job ready to be queued by a store script."""

    id: str
    key: str  # the job's hash (RQ's `Job.key`)
    queue_key: str  # the queue's list (RQ's `Queue.key`)
    queues_key: str  # the set RQ lists its queues in
    fields: tuple[tuple[str, object], ...]  # the hash as RQ's `Job.to_dict` makes it

    @property
    def keys(self) -> list[str]:
        return [self.key, self.queue_key, self.queues_key]

    def script_args(self) -> list:
        """How many fields, the id, then each field and its value."""
        return [len(self.fields), self.id, *[part for field in self.fields for part in field]]
