"""Phone calls in Redis: each call's IVR state and the TwiML given per step, both encrypted by CallSid."""

from __future__ import annotations

import json

import redis

from helpline.domain.ivr import CallState
from helpline.store import Keys
from helpline.store.webhooks import Lease, WebhookRetries


class Calls:
    """Any web process can answer any step of any call: the state lives here, not in the process."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r
        self._vault = vault
        self.retention = retention_seconds
        self._retries = WebhookRetries(r, vault, retention_seconds)

    def load(self, sid: str) -> CallState | None:
        raw = self._r.get(Keys.call(sid))
        return CallState.from_dict(json.loads(self._vault.decrypt(raw))) if raw else None

    def save(self, sid: str, state: CallState, seconds: int) -> None:
        """Kept `seconds`: longer than any call, and than Twilio's wait for a transcription."""
        self._r.set(Keys.call(sid), self._vault.encrypt(json.dumps(state.to_dict())), ex=seconds)

    # -- one step of a call (or of a staff bridge), answered once --------------------------------
    def begin_step(self, sid: str, step: str, lease_seconds: float) -> tuple[Lease | None, str | None]:
        """(lease, None): answer the step now; (None, TwiML): Twilio's retry of a step answered, to replay.

        Raises ComeBackLater while another delivery of the same step is being answered.
        """
        begun = self._retries.begin("voice", f"{sid}:{step}", lease_seconds, Keys.call_answer(sid, step))
        if begun.lease is not None:
            return begun.lease, None
        return None, self._vault.decrypt(begun.answer) if begun.answer else ""

    def finish_step(
        self,
        lease: Lease,
        sid: str,
        step: str,
        twiml: str,
        seconds: int,
        state: tuple[CallState, int] | None = None,
    ) -> None:
        """The TwiML given (kept `seconds`, replayed to retries), the call's state (with how long it is
        kept) and the step's done mark, in one transaction."""
        answer = self._vault.encrypt(twiml)
        saved = (self._vault.encrypt(json.dumps(state[0].to_dict())), state[1]) if state else None

        def write(pipe) -> None:
            if saved is not None:
                pipe.set(Keys.call(sid), saved[0], ex=saved[1])
            pipe.set(Keys.call_answer(sid, step), answer, ex=seconds)

        self._retries.finish(lease, write, seconds)

    def abandon(self, lease: Lease) -> bool:
        """The step failed: Twilio's retry answers it again (False: Redis unreachable, the lease runs out)."""
        return self._retries.abandon(lease)

    # -- callbacks about a call (recording, transcription): done once -----------------------------
    def begin_callback(self, sid: str, key: str, lease_seconds: float) -> Lease | None:
        """The lease to handle this callback now; None when it was handled. Raises ComeBackLater."""
        return self._retries.begin("voice", f"{sid}:{key}", lease_seconds).lease

    def finish_callback(self, lease: Lease, seconds: int) -> None:
        self._retries.finish(lease, lambda pipe: None, seconds)
