"""The one Redis connection factory. Private to store/: nothing else holds a client."""

from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    """A client for the Redis at `url` (bytes in, bytes out; RQ needs that)."""
    return redis.Redis.from_url(url, health_check_interval=30)
