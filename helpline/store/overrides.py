"""Operators' edits in Redis: business hours, message templates, the template history, one version key.

Every edit bumps the version, so each process reloads the edits on its next check.
"""

from __future__ import annotations

import json

import redis

from helpline.store import Keys


class Overrides:
    """Hours and template edits; they hold no personal data, so they are kept in clear."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r

    def version(self) -> bytes | None:
        """Changes on every edit (one GET: the hot path checks it once a second)."""
        return self._r.get(Keys.overrides_version)

    def current(self) -> tuple[dict[str, str], dict | None]:
        """({"lang:key": template}, hours as saved or None), in one round trip."""
        pipe = self._r.pipeline(transaction=False)
        pipe.hgetall(Keys.templates_override)
        pipe.get(Keys.hours_override)
        templates, hours = pipe.execute()
        try:
            saved_hours = json.loads(hours) if hours else None
        except ValueError:
            saved_hours = None  # a bad stored value never stops the line
        return {f.decode(): t.decode() for f, t in templates.items()}, saved_hours

    # -- templates ---------------------------------------------------------------------------
    def template(self, field: str) -> str | None:
        text = self._r.hget(Keys.templates_override, field)
        return text.decode() if text else None

    def is_edited(self, field: str) -> bool:
        return bool(self._r.hexists(Keys.templates_override, field))

    def next_edit_id(self) -> int:
        return int(self._r.incr(Keys.templates_history_seq))

    def write_template(self, field: str, text: str | None, edit: dict, keep: int) -> None:
        """Set (or with None, drop) one template, log the edit (newest `keep` kept) and bump the version."""
        pipe = self._r.pipeline()
        if text is None:
            pipe.hdel(Keys.templates_override, field)
        else:
            pipe.hset(Keys.templates_override, field, text)
        pipe.lpush(Keys.templates_history, json.dumps(edit))
        pipe.ltrim(Keys.templates_history, 0, keep - 1)
        pipe.incr(Keys.overrides_version)
        pipe.execute()

    def history(self) -> list[dict]:
        """Every template edit kept, newest first."""
        return [json.loads(raw) for raw in self._r.lrange(Keys.templates_history, 0, -1)]

    # -- business hours ----------------------------------------------------------------------
    def save_hours(self, hours: dict) -> None:
        pipe = self._r.pipeline()
        pipe.set(Keys.hours_override, json.dumps(hours))
        pipe.incr(Keys.overrides_version)
        pipe.execute()

    def reset_hours(self) -> None:
        pipe = self._r.pipeline()
        pipe.delete(Keys.hours_override)
        pipe.incr(Keys.overrides_version)
        pipe.execute()
