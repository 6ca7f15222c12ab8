"""Why a webhook is answered "try again later" (503): the same delivery is being answered right now, or
Redis cannot take its effects. Either way nothing was done twice, and Twilio's retry does the work."""

from __future__ import annotations

from helpline.store import ComeBackLater, StoreUnavailable

__all__ = ["RETRY_AFTER_SECONDS", "TRY_AGAIN", "ComeBackLater", "StoreUnavailable"]

RETRY_AFTER_SECONDS = 1  # the first delivery is answered in milliseconds; a restarted Redis in about one
TRY_AGAIN = (ComeBackLater, StoreUnavailable)
