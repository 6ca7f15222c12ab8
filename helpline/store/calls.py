"""Phone calls in Redis: each call's IVR state and the TwiML given per step, both encrypted by CallSid."""

from __future__ import annotations

import json

import redis

from helpline.domain.ivr import CallState
from helpline.store import Keys


class Calls:
    """Any web process can answer any step of any call: the state lives here, not in the process."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r
        self._vault = vault
        self.retention = retention_seconds

    def load(self, sid: str) -> CallState | None:
        raw = self._r.get(Keys.call(sid))
        return CallState.from_dict(json.loads(self._vault.decrypt(raw))) if raw else None

    def save(self, sid: str, state: CallState, seconds: int) -> None:
        """Kept `seconds`: longer than any call, and than Twilio's wait for a transcription."""
        self._r.set(Keys.call(sid), self._vault.encrypt(json.dumps(state.to_dict())), ex=seconds)

    def answer(self, sid: str, step: str) -> str | None:
        """The TwiML already given for this step of the call, replayed to Twilio's retries."""
        raw = self._r.get(Keys.call_answer(sid, step))
        return self._vault.decrypt(raw) if raw else None

    def remember_answer(self, sid: str, step: str, twiml: str, seconds: int) -> None:
        self._r.set(Keys.call_answer(sid, step), self._vault.encrypt(twiml), ex=seconds)
