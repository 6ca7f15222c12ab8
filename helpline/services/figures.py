"""Reading the operators' counters (hourly and daily buckets `Store.count` writes) and the callback queue.

Every process writes the same buckets, so every web process (and /metrics) agrees.
The operators' figures cover a range of days in the helpline's timezone (`DateRange`): hours come
from the hourly buckets while they are kept, older days from the (UTC) daily ones.
Only reads here; the summaries (`breakdown`, `hit_rate`, `percentile`) are pure.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from helpline.domain.callback_rules import OUTCOME_LABELS, CallbackRequest, holder, is_due
from helpline.store import Store

HOUR = 3600
DAY = 86400
SELF_CHECK_PREFIX = "sms.intent.check_"  # sms.intent.check_oih | _oud | _both | _none
# What each self-check outcome means, as staff read it on a request ("Self-check: signs of OIH").
SELF_CHECK_LABELS = {
    "oih": "Signs of OIH",
    "oud": "Signs of opioid use disorder",
    "both": "Signs of both OIH and opioid use disorder",
    "none": "No clear signs",
}
CHECK_FINISHED = "check_done"  # the texts that answered the self-check's last question, whatever it found
OUTCOME_WORDS = {outcome.value: label for outcome, label in OUTCOME_LABELS.items()}
DELIVERY_FAILED_PREFIX = "delivery.failed."
# Each provider search is counted once, when it is answered, as exactly one of these three.
SEARCH_FOUND = "search.found"
SEARCH_EMPTY = "search.empty"
SEARCH_FAILED = "search.failed"  # no source answered (the locator down, nothing imported)
TEXTS_IN = ("sms.in",)
TEXTS_OUT = ("sms.out", "sms.replied")  # sent by the workers, and the replies in the webhook's TwiML
CALLBACKS_CREATED = "callback.created"  # a new request; a repeated CALL updates the open one instead
PERSON_ASKED = "call.person.asked"  # a caller chose "talk to someone now"
PERSON_ANSWERED = "call.talk.accepted"  # a staff phone pressed 1 and took the call
VOICEMAIL_LEFT = "call.voicemail"
HOURLY_KEPT_DAYS = 33  # hourly buckets live 35 days: whole local days within that, with a margin
MAX_RANGE_DAYS = 400  # as long as the daily buckets live


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its start (UTC) and the count in it."""

    at: dt.datetime
    value: int


def counter_names(store: Store) -> list[str]:
    """Every counter name written so far."""
    return store.counters.names()


def totals(store: Store, names: list[str] | None = None) -> dict[str, int]:
    """Running totals since the service started (never expire; for Prometheus counters)."""
    return store.counters.totals(counter_names(store) if names is None else names)


def hourly(store: Store, name: str, hours: int = 24, now: float | None = None) -> list[Point]:
    """Counts per UTC hour for the last `hours` hours, oldest first, the current hour last."""
    starts = _starts(hours, HOUR, now)
    return _points(starts, store.counters.hours([name], starts)[name])


def daily(store: Store, name: str, days: int = 30, now: float | None = None) -> list[Point]:
    """Counts per UTC day for the last `days` days, oldest first, today last."""
    starts = _starts(days, DAY, now)
    return _points(starts, store.counters.days([name], starts)[name])


def _starts(n: int, step: int, now: float | None) -> list[float]:
    now = time.time() if now is None else now
    return [int(now // step) * step - i * step for i in reversed(range(n))]


def _points(starts: list[float], values: list[int]) -> list[Point]:
    return [Point(dt.datetime.fromtimestamp(s, dt.UTC), v) for s, v in zip(starts, values, strict=True)]


def window_sums(store: Store, names: list[str], days: int = 30, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `days` days (daily buckets), in one round trip."""
    now = time.time() if now is None else now
    per_day = store.counters.days(names, [now - i * DAY for i in range(days)])
    return {name: sum(values) for name, values in per_day.items()}


def hour_sums(store: Store, names: list[str], hours: int = 24, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `hours` hours (hourly buckets), in one round trip."""
    now = time.time() if now is None else now
    per_hour = store.counters.hours(names, [now - i * HOUR for i in range(hours)])
    return {name: sum(values) for name, values in per_hour.items()}


def breakdown(sums: dict[str, int], prefix: str) -> dict[str, int]:
    """`{"sms.intent.oih": 3}` with prefix `sms.intent.` -> `{"oih": 3}`, largest first, no zeros."""
    picked = {name[len(prefix) :]: v for name, v in sums.items() if name.startswith(prefix) and v}
    return dict(sorted(picked.items(), key=lambda kv: (-kv[1], kv[0])))


def in_words(counts: dict[str, int], labels: dict[str, str]) -> dict[str, int]:
    """`{"no_answer": 2}` -> `{"No answer": 2}`, in the same order; a key without a label in words."""
    out: dict[str, int] = {}
    for key, value in counts.items():
        label = labels.get(key) or key.replace("_", " ")
        out[label] = out.get(label, 0) + value
    return out


def text_intents(sums: dict[str, int]) -> dict[str, int]:
    """What texts asked for, largest first; the self-check's last answers are one entry (`check_done`):
    what they found is the self-check outcomes' own breakdown."""
    folded: dict[str, int] = {}
    for name, value in breakdown(sums, "sms.intent.").items():
        key = CHECK_FINISHED if name.startswith(SELF_CHECK_PREFIX.removeprefix("sms.intent.")) else name
        folded[key] = folded.get(key, 0) + value
    return dict(sorted(folded.items(), key=lambda kv: (-kv[1], kv[0])))


def hit_rate(sums: dict[str, int]) -> float | None:
    """Share of provider searches that found someone (None until the search counts exist)."""
    searches = sum(sums.get(name, 0) for name in (SEARCH_FOUND, SEARCH_EMPTY, SEARCH_FAILED))
    return share(sums.get(SEARCH_FOUND, 0), searches)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to share."""
    return part / whole if whole else None


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (0 < fraction <= 1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


@dataclass(frozen=True)
class QueueNow:
    """The open callback requests now, by the staff queue's own rule: a request is waiting when it is
    due (`is_due`: no retry scheduled for later) and nobody holds it (`holder`: a lapsed claim holds
    nothing), so these are the numbers the staff queue and its crisis bar show."""

    waiting: int = 0  # to call now
    crisis_waiting: int = 0
    held: int = 0  # a staff member is working on them
    scheduled: int = 0  # a retry scheduled for later ("no answer, try again"), nobody holds them
    crisis_scheduled: int = 0
    oldest_waiting_seconds: float | None = None  # since the person asked, as the staff queue shows it
    oldest_crisis_seconds: float | None = None
    oldest_other_seconds: float | None = None
    next_due_at: float | None = None  # when the next scheduled retry falls due

    @property
    def other_waiting(self) -> int:
        return self.waiting - self.crisis_waiting


def queue_now(store: Store, now: float | None = None) -> QueueNow:
    """The open requests now: waiting, held, or scheduled for later (crisis counted apart)."""
    now = time.time() if now is None else now
    return queue_of(store.callbacks.open_records(), now)


def queue_of(requests: list[CallbackRequest], now: float) -> QueueNow:
    """`queue_now` of these requests. Pure."""
    waiting = crisis = held = scheduled = crisis_scheduled = 0
    oldest: dict[str, float] = {}
    next_due: float | None = None
    for request in requests:
        if holder(request, now):
            held += 1
        elif not is_due(request, now):
            scheduled += 1
            crisis_scheduled += request.is_crisis
            due_at = request.next_attempt_at or now
            next_due = due_at if next_due is None else min(next_due, due_at)
        else:
            waiting += 1
            crisis += request.is_crisis
            age = max(0.0, now - request.created)
            for kind in ("any", "crisis" if request.is_crisis else "other"):
                oldest[kind] = max(oldest.get(kind, 0.0), age)
    return QueueNow(
        waiting=waiting,
        crisis_waiting=crisis,
        held=held,
        scheduled=scheduled,
        crisis_scheduled=crisis_scheduled,
        oldest_waiting_seconds=oldest.get("any"),
        oldest_crisis_seconds=oldest.get("crisis"),
        oldest_other_seconds=oldest.get("other"),
        next_due_at=next_due,
    )


@dataclass
class CallbackFigures:
    """The callback requests of the last days by status, the queue now, and how fast people were first
    tried. `crisis_waiting` and the oldest waits follow the staff queue's rule (`queue_now`)."""

    by_status: dict[str, int] = field(default_factory=dict)
    crisis_waiting: int = 0
    oldest_waiting_seconds: float | None = None
    oldest_crisis_seconds: float | None = None
    first_attempt_median: float | None = None
    first_attempt_p90: float | None = None
    now: QueueNow = field(default_factory=QueueNow)


FIRST_ATTEMPT_ACTIONS = ("call", "outcome")  # audit actions that mean staff tried to reach the person


def callback_figures(
    store: Store, days: int = 30, now: float | None = None, limit: int = 5000, delays: bool = False
) -> CallbackFigures:
    """Statuses of the last `days` days of callback requests (at most `limit`), and the queue now.

    With `delays`, also the time from request to the first call attempt (from the audit trail).
    """
    now = time.time() if now is None else now
    queue = queue_now(store, now)
    figures = CallbackFigures(
        crisis_waiting=queue.crisis_waiting,
        oldest_waiting_seconds=queue.oldest_waiting_seconds,
        oldest_crisis_seconds=queue.oldest_crisis_seconds,
        now=queue,
    )
    tried: dict[str, float] = {}
    for request in store.callback_stats.states_since(now - days * DAY, limit):
        figures.by_status[request.status] = figures.by_status.get(request.status, 0) + 1
        if delays and (request.attempts or request.status in ("done", "closed")):
            tried[request.id] = request.created
    if tried:
        waits = []
        for created, trail in zip(tried.values(), store.callback_stats.trails(list(tried)), strict=True):
            first = first_attempt(trail)
            if first is not None:
                waits.append(max(0.0, first - created))
        figures.first_attempt_median = percentile(waits, 0.5)
        figures.first_attempt_p90 = percentile(waits, 0.9)
    return figures


# -- the operators' figures over a range of days, in the helpline's timezone ------------------------


class BadRange(ValueError):
    """The dates given do not make a range of days."""


@dataclass(frozen=True)
class DateRange:
    """From `start` to `end`, both included: whole days in the helpline's timezone."""

    start: dt.date
    end: dt.date
    zone: ZoneInfo

    @classmethod
    def last_days(cls, days: int, zone: ZoneInfo, now: float) -> DateRange:
        """The last `days` days, today included."""
        today = dt.datetime.fromtimestamp(now, zone).date()
        return cls(today - dt.timedelta(days=days - 1), today, zone)

    @classmethod
    def parse(
        cls, start: str | None, end: str | None, zone: ZoneInfo, now: float, default_days: int = 7
    ) -> DateRange:
        """The page's `from` and `to` (YYYY-MM-DD); a missing one is the default's (the last 7 days).

        Days after today or older than the counters are kept are left out; raises BadRange.
        """
        default = cls.last_days(default_days, zone, now)
        try:
            first = dt.date.fromisoformat(start.strip()) if start and start.strip() else default.start
            last = dt.date.fromisoformat(end.strip()) if end and end.strip() else default.end
        except ValueError as exc:
            raise BadRange("Give both days as YYYY-MM-DD.") from exc
        if last < first:
            raise BadRange("The first day comes after the last.")
        kept = cls.last_days(MAX_RANGE_DAYS, zone, now)
        first, last = max(first, kept.start), min(last, kept.end)
        if last < first:
            raise BadRange(f"Figures are kept {MAX_RANGE_DAYS} days: choose days within them.")
        return cls(first, last, zone)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> float:
        return _midnight(self.start, self.zone)

    @property
    def until(self) -> float:
        return _midnight(self.end + dt.timedelta(days=1), self.zone)


def _midnight(day: dt.date, zone: dt.tzinfo) -> float:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone).timestamp()


@dataclass(frozen=True)
class RangeCounts:
    """Counter values over a DateRange: per local hour while the hourly buckets are kept, per day
    (the daily buckets, which are UTC days) for older days."""

    range: DateRange
    hours: list[dt.datetime]  # local start of each hour read, oldest first
    hourly: dict[str, list[int]]
    old_days: list[dt.date]  # days before the hourly buckets' reach
    daily: dict[str, list[int]]

    def total(self, *names: str) -> int:
        return sum(sum(self.hourly.get(n, ())) + sum(self.daily.get(n, ())) for n in names)

    def sums(self) -> dict[str, int]:
        return {name: self.total(name) for name in self.hourly}

    def per_day(self, *names: str) -> list[Point]:
        """One point per day of the range (local midnight), the names added together."""
        values = dict.fromkeys(self.range.days, 0)
        for name in names:
            for day, value in zip(self.old_days, self.daily.get(name, ()), strict=True):
                values[day] += value
            for hour, value in zip(self.hours, self.hourly.get(name, ()), strict=True):
                values[hour.date()] += value
        zone = self.range.zone
        return [Point(dt.datetime.combine(day, dt.time.min, tzinfo=zone), v) for day, v in values.items()]

    def per_hour(self, *names: str) -> list[Point]:
        """One point per local hour read (the hours of days within the hourly buckets' reach)."""
        return [
            Point(hour, sum(self.hourly.get(n, [0] * len(self.hours))[i] for n in names))
            for i, hour in enumerate(self.hours)
        ]

    def by_hour_of_day(self, values: list[int]) -> list[int]:
        """Values per hour read (as `hourly` holds them) added up by local hour of day, 0 to 23."""
        by_hour = [0] * 24
        for hour, value in zip(self.hours, values, strict=True):
            by_hour[hour.hour] += value
        return by_hour

    @property
    def hours_cover_range(self) -> bool:
        """False when older days had only daily counts (no hour of day for them)."""
        return not self.old_days


def read_counts(store: Store, names: list[str], date_range: DateRange, now: float) -> RangeCounts:
    """The counters `names` over the range, in two round trips (`now` tells which hours are still kept)."""
    zone = date_range.zone
    today = dt.datetime.fromtimestamp(now, zone).date()
    first_hourly_day = max(date_range.start, today - dt.timedelta(days=HOURLY_KEPT_DAYS))
    old_days = [day for day in date_range.days if day < first_hourly_day]
    since = max(date_range.since, _midnight(first_hourly_day, zone))
    until = date_range.until  # the hours still to come today read as 0: a day is charted whole
    starts = list(range(int(since // HOUR) * HOUR, int(until), HOUR)) if until > since else []
    hourly = store.counters.hours(names, starts)
    utc_days = [_midnight(day, dt.UTC) for day in old_days]
    daily = store.counters.days(names, utc_days)
    hours = [dt.datetime.fromtimestamp(start, zone) for start in starts]
    return RangeCounts(date_range, hours, hourly, old_days, daily)


@dataclass
class PersonCalls:
    """Calls that asked to talk to someone now, by how they ended."""

    asked: int = 0
    answered: int = 0  # a staff phone took the call
    voicemail: int = 0
    abandoned: int = 0  # hung up while ringing or before leaving a message
    missed_by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # not answered, by local hour

    @property
    def answered_share(self) -> float | None:
        return share(self.answered, self.asked)


def person_calls(counts: RangeCounts) -> PersonCalls:
    asked, answered = counts.total(PERSON_ASKED), counts.total(PERSON_ANSWERED)
    voicemail = counts.total(VOICEMAIL_LEFT)
    zeros = [0] * len(counts.hours)
    hourly_asked = counts.hourly.get(PERSON_ASKED, zeros)
    hourly_answered = counts.hourly.get(PERSON_ANSWERED, zeros)
    missed = [max(0, a - b) for a, b in zip(hourly_asked, hourly_answered, strict=True)]
    return PersonCalls(
        asked=asked,
        answered=answered,
        voicemail=voicemail,
        abandoned=max(0, asked - answered - voicemail),
        missed_by_hour=counts.by_hour_of_day(missed),
    )


@dataclass
class ServiceFigures:
    """How soon people who asked for a callback in the range were tried and reached (kept requests only)."""

    requests: int = 0
    tried: int = 0
    first_attempt_median: float | None = None
    first_attempt_p90: float | None = None
    reached_1h: float | None = None  # share of requests at least 1 h old reached within 1 h
    reached_24h: float | None = None
    old_enough_1h: int = 0
    old_enough_24h: int = 0


REACHED_OUTCOMES = ("reached", "referred")  # a staff member spoke with the person


def first_attempt(trail: list[dict]) -> float | None:
    """When staff first tried to reach the person (a call placed or an outcome recorded)."""
    return min((e["at"] for e in trail if e.get("action") in FIRST_ATTEMPT_ACTIONS), default=None)


def first_reached(trail: list[dict]) -> float | None:
    """When an outcome first said a staff member spoke with the person."""
    return min(
        (
            e["at"]
            for e in trail
            if e.get("action") == "outcome" and (e.get("detail") or "").split(" ")[0] in REACHED_OUTCOMES
        ),
        default=None,
    )


def service_figures(store: Store, date_range: DateRange, now: float, limit: int = 5000) -> ServiceFigures:
    """Time to first attempt (median, 90th percentile) and the share reached within 1 h and 24 h."""
    states = store.callback_stats.states_between(date_range.since, date_range.until, limit)
    trails = store.callback_stats.trails([s.id for s in states])
    result = ServiceFigures(requests=len(states))
    waits: list[float] = []
    reached = {HOUR: 0, DAY: 0}
    old_enough = {HOUR: 0, DAY: 0}
    for state, trail in zip(states, trails, strict=True):
        tried, spoke = first_attempt(trail), first_reached(trail)
        if tried is not None:
            waits.append(max(0.0, tried - state.created))
        for window in (HOUR, DAY):
            if now - state.created >= window:  # only requests old enough to tell
                old_enough[window] += 1
                reached[window] += spoke is not None and spoke - state.created <= window
    result.tried = len(waits)
    result.first_attempt_median = percentile(waits, 0.5)
    result.first_attempt_p90 = percentile(waits, 0.9)
    result.old_enough_1h, result.old_enough_24h = old_enough[HOUR], old_enough[DAY]
    result.reached_1h = share(reached[HOUR], old_enough[HOUR])
    result.reached_24h = share(reached[DAY], old_enough[DAY])
    return result


BREAKDOWN_PREFIXES = ("sms.intent.", "call.menu.", DELIVERY_FAILED_PREFIX, "callback.outcome.")
RANGE_COUNTERS = (
    *TEXTS_IN,
    *TEXTS_OUT,
    "call.in",
    CALLBACKS_CREATED,
    "crisis",
    "sms.optout",
    SEARCH_FOUND,
    SEARCH_EMPTY,
    SEARCH_FAILED,
    PERSON_ASKED,
    PERSON_ANSWERED,
    VOICEMAIL_LEFT,
)


@dataclass
class RangeFigures:
    """Everything the operators' figures panel shows for a range of days."""

    range: DateRange
    updated: float
    counts: RangeCounts
    sums: dict[str, int]
    texts_in: int
    texts_out: int
    texts_replied: int  # of texts_out: the replies in the webhook's TwiML
    calls: int
    callbacks: int  # distinct requests
    crisis: int
    optouts: int
    searches: int
    search_found: int
    search_empty: int
    search_failed: int
    person: PersonCalls
    service: ServiceFigures
    text_choices: dict[str, int]  # by intent; the self-check's last answers as one (`check_done`)
    call_choices: dict[str, int]
    self_check: dict[str, int]
    outcomes: dict[str, int]
    delivery_failures: dict[str, int]
    delivery_rate: float | None

    @property
    def hit_rate(self) -> float | None:
        return share(self.search_found, self.searches)

    @property
    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.updated, self.range.zone).date()

    @property
    def by_hour(self) -> bool:
        """A one-day range is charted per hour; longer ones per day."""
        return self.range.start == self.range.end

    def series(self, *names: str) -> list[Point]:
        return self.counts.per_hour(*names) if self.by_hour else self.counts.per_day(*names)

    @property
    def self_check_in_words(self) -> dict[str, int]:
        return in_words(self.self_check, SELF_CHECK_LABELS)

    @property
    def outcomes_in_words(self) -> dict[str, int]:
        """Staff's call outcomes as staff pick them ("No answer"), not their stored names."""
        return in_words(self.outcomes, OUTCOME_WORDS)


def range_figures(store: Store, date_range: DateRange, now: float | None = None) -> RangeFigures:
    """The figures of the days in `date_range` (in the helpline's timezone)."""
    now = time.time() if now is None else now
    names = sorted(
        set(RANGE_COUNTERS) | {n for n in counter_names(store) if n.startswith(BREAKDOWN_PREFIXES)}
    )
    counts = read_counts(store, names, date_range, now)
    sums = counts.sums()
    found, empty, failed = sums[SEARCH_FOUND], sums[SEARCH_EMPTY], sums[SEARCH_FAILED]
    delivery_failed = sum(v for n, v in sums.items() if n.startswith(DELIVERY_FAILED_PREFIX))
    return RangeFigures(
        range=date_range,
        updated=now,
        counts=counts,
        sums=sums,
        texts_in=counts.total(*TEXTS_IN),
        texts_out=counts.total(*TEXTS_OUT),
        texts_replied=sums["sms.replied"],
        calls=sums["call.in"],
        callbacks=sums[CALLBACKS_CREATED],
        crisis=sums["crisis"],
        optouts=sums["sms.optout"],
        searches=found + empty + failed,
        search_found=found,
        search_empty=empty,
        search_failed=failed,
        person=person_calls(counts),
        service=service_figures(store, date_range, now),
        text_choices=text_intents(sums),
        call_choices=breakdown(sums, "call.menu."),
        self_check=breakdown(sums, SELF_CHECK_PREFIX),
        outcomes=breakdown(sums, "callback.outcome."),
        delivery_failures=breakdown(sums, DELIVERY_FAILED_PREFIX),
        delivery_rate=share(delivery_failed, sums["sms.out"] + delivery_failed),
    )
