"""Is Redis answering, and how full is it: what the health page, /healthz and /metrics ask of it."""

from __future__ import annotations

import redis


class ServerHealth:
    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r

    def answers(self) -> bool:
        try:
            return bool(self._r.ping())
        except redis.RedisError:
            return False

    def memory(self) -> tuple[int, int]:
        """(bytes used, maxmemory; 0 = no limit)."""
        memory = self._r.info("memory")
        return int(memory.get("used_memory", 0)), int(memory.get("maxmemory", 0))
