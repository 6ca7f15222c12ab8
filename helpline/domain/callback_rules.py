"""The callback queue's rules, pure: the request record, its order, outcomes, retries and who may act.

The store keeps the records and applies claims atomically; services carry the decisions out.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum

from helpline.domain.hours import BusinessHours

PRIORITY_BOOST = 10_000_000_000  # larger than any timestamp: crisis sorts before every normal request
OPEN_STATUSES = ("waiting", "claimed")
NOTE_LIMIT = 4000  # characters: a note, not a transcript


@dataclass
class CallbackRequest:
    id: str
    created: float
    priority: str  # "crisis" | "normal"
    lang: str
    zip: str | None
    reason: str  # callback | crisis | check:oih | voicemail | follow-up …
    channel: str  # sms | voice
    status: str = "waiting"  # waiting | claimed | done | closed
    attempts: int = 0
    phone_id: str = ""
    phone_enc: str = ""  # encrypted E.164 number
    conversation_enc: str = ""  # encrypted JSON list of the conversation when requested
    check_outcome: str | None = None
    claimed_by: str | None = None
    lease_until: float | None = None
    claimed_at: float | None = None  # when the current holder took it (a renewal keeps it)
    next_attempt_at: float | None = None
    linked_to: str | None = None
    extra_enc: str = ""  # encrypted JSON: voicemail link, notes …
    updated: float = field(default_factory=time.time)
    texts_off: bool = False  # the number opted out of texts: staff call it, nobody texts it
    realerted_at: float | None = None  # an alarming text came while the crisis request was open
    source: str | None = None  # the text or call step that made it: Twilio's retry of it finds this one
    voicemail_at: float | None = (
        None  # when they last left a voicemail on it (any request, not only "voicemail")
    )
    call_time_enc: str = ""  # encrypted JSON: what they texted about when to call, and when (staff see it)

    @property
    def is_crisis(self) -> bool:
        return self.priority == "crisis"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_voicemail(self) -> bool:
        """A voicemail made it, or was left on it later (a caller who had asked by text, say)."""
        return self.reason == "voicemail" or self.voicemail_at is not None

    def rank(self) -> float:
        """Its place on the queue: crisis first (alerted again before the rest), then the oldest."""
        if self.is_crisis and self.realerted_at:
            return self.realerted_at - 2 * PRIORITY_BOOST
        return self.created - PRIORITY_BOOST if self.is_crisis else self.created


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to a request, when. No personal data: the action and its outcome name only."""

    at: float
    who: str
    action: str  # claim | release | call | outcome | note | view | follow-up text | …
    callback_id: str
    detail: str = ""


@dataclass(frozen=True)
class CallbackPolicy:
    """How long a claim lasts, how often and when a missed person is tried again, when to follow up."""

    lease: dt.timedelta
    max_attempts: int
    retry: dt.timedelta  # after the first missed call
    crisis_retry: dt.timedelta  # after each missed call to someone in crisis
    follow_up_after: dt.timedelta  # from a referral to "Did you reach <provider>?"
    follow_up_wait: dt.timedelta  # no answer to the check-in in this long counts as NO
    # Missed calls alone never close a crisis request this soon after it was made, however many were
    # recorded (three "No answer" in a minute closed one and told the person "we tried 3 times").
    crisis_keep_trying: dt.timedelta = dt.timedelta(hours=12)


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL_LEFT = "voicemail_left"
    WRONG_NUMBER = "wrong_number"
    REFERRED = "referred"
    DECLINED = "declined"


OUTCOME_LABELS = {
    Outcome.REACHED: "Reached",
    Outcome.NO_ANSWER: "No answer",
    Outcome.VOICEMAIL_LEFT: "Left voicemail",
    Outcome.WRONG_NUMBER: "Wrong number",
    Outcome.REFERRED: "Referred to a provider",
    Outcome.DECLINED: "Declined",
}
NOT_REACHED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL_LEFT)  # try again later


class ClaimRefused(Exception):
    """Someone else holds the request (reason `held`, with the holder), or it is `closed` or `missing`."""

    def __init__(self, reason: str, holder: str | None = None):
        super().__init__(f"{reason}: {holder}" if holder else reason)
        self.reason = reason  # held | closed | missing
        self.holder = holder


class NotHolder(Exception):
    """Only the staff member holding a request may call it, release it or record its outcome."""


@dataclass(frozen=True)
class OutcomeDecision:
    """What an outcome does to a request: decided from the attempts and the hours."""

    status: str  # waiting | done | closed
    next_attempt_at: dt.datetime | None = None
    final_text: bool = False  # tell the person we stopped trying (never to an opted-out number)


def escalated(request: CallbackRequest, reason: str, now: float) -> CallbackRequest | None:
    """A crisis after a plain request makes the open request a crisis; None when nothing changes."""
    if request.is_crisis:
        return None
    # A retry scheduled for later ("no answer, try tomorrow") is due now: a crisis does not wait for it.
    return replace(request, priority="crisis", reason=reason, updated=now, next_attempt_at=None)


def alerted_again(request: CallbackRequest, reason: str, now: float, lang: str) -> CallbackRequest:
    """A crisis text on an open request: a plain one becomes a crisis, a crisis one goes to the top."""
    raised = escalated(request, reason, now)
    if raised is not None:
        return replace(raised, lang=lang)
    return replace(request, realerted_at=now, updated=now, lang=lang, next_attempt_at=None)


def next_attempt_at(
    attempts_made: int,
    now: dt.datetime,
    hours: BusinessHours,
    policy: CallbackPolicy,
    crisis: bool = False,
    opened: dt.datetime | None = None,
) -> dt.datetime | None:
    """When to try again after `attempts_made` missed calls: `retry` later, then the next business
    morning, then never (None). A crisis request is tried again `crisis_retry` after each miss, at any
    hour: whoever is on duty sees it due (a person in danger does not wait for the morning); and it is
    not given up within `crisis_keep_trying` of being `opened`, however many misses were recorded."""
    keep_trying = crisis and opened is not None and now - opened < policy.crisis_keep_trying
    if attempts_made >= policy.max_attempts and not keep_trying:
        return None
    if crisis:
        return now + policy.crisis_retry
    if attempts_made <= 1:
        return hours.next_opening(now + policy.retry)
    local = hours.local(now)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0), tzinfo=hours.timezone)
    return hours.next_opening(tomorrow)


def decide_outcome(
    outcome: Outcome,
    attempts_made: int,
    now: dt.datetime,
    hours: BusinessHours,
    policy: CallbackPolicy,
    crisis: bool = False,
    opened: dt.datetime | None = None,
) -> OutcomeDecision:
    """`attempts_made` counts this call too; `opened`: when the request was made."""
    if outcome == Outcome.WRONG_NUMBER:
        return OutcomeDecision("closed")
    if outcome in NOT_REACHED:
        retry = next_attempt_at(attempts_made, now, hours, policy, crisis, opened)
        return OutcomeDecision("waiting", retry) if retry else OutcomeDecision("closed", final_text=True)
    return OutcomeDecision("done")


def holder(request: CallbackRequest, now: float | None = None) -> str | None:
    """Who holds the request now; a lapsed lease holds nothing."""
    now = now or time.time()
    if request.status == "claimed" and request.claimed_by and (request.lease_until or 0) > now:
        return request.claimed_by
    return None


def require_holder(request: CallbackRequest | None, who: str, now: float | None = None) -> CallbackRequest:
    """The request, when `who` holds it now; NotHolder otherwise (nobody, someone else, or gone)."""
    if request is None or holder(request, now) != who:
        raise NotHolder(request.id if request else "")
    return request


def effective_status(request: CallbackRequest, now: float | None = None) -> str:
    """`claimed` only while the lease runs: an abandoned claim is waiting again by itself."""
    if request.status == "claimed" and not holder(request, now):
        return "waiting"
    return request.status


def is_due(request: CallbackRequest, now: float | None = None) -> bool:
    return not request.next_attempt_at or request.next_attempt_at <= (now or time.time())


def lapsed(request: CallbackRequest, now: float) -> bool:
    """A claim whose lease ran out: to be written back as waiting."""
    return request.status == "claimed" and holder(request, now) is None


def apply_outcome(
    request: CallbackRequest | None,
    who: str,
    outcome: Outcome,
    now: float,
    hours: BusinessHours,
    policy: CallbackPolicy,
) -> tuple[CallbackRequest, OutcomeDecision]:
    """The request after its holder recorded one call's outcome; the claim ends. NotHolder otherwise."""
    request = require_holder(request, who, now)
    attempts = request.attempts + 1
    decision = decide_outcome(
        outcome,
        attempts,
        dt.datetime.fromtimestamp(now, dt.UTC),
        hours,
        policy,
        request.is_crisis,
        dt.datetime.fromtimestamp(request.created, dt.UTC),
    )
    after = replace(
        request,
        attempts=attempts,
        status=decision.status,
        claimed_by=None,
        lease_until=None,
        updated=now,
        next_attempt_at=decision.next_attempt_at.timestamp() if decision.next_attempt_at else None,
    )
    return after, decision


def outcome_detail(outcome: Outcome, request: CallbackRequest) -> str:
    """The audit detail of an outcome: its name, and when the next try is due."""
    return outcome.value + (f" next={int(request.next_attempt_at)}" if request.next_attempt_at else "")
