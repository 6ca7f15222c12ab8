"""The operators' pages count the callback queue as staff see it: waiting now (due, nobody holds it) apart
from retries scheduled for later, crisis apart from the rest; the health page says who is waiting now;
every count and outcome is in words; the directory page says what its listings lack."""

from __future__ import annotations

import re
import time

import pytest
from rq import Worker

from helpline.services import callbacks as cb
from helpline.services import figures, staff_queue
from tests.test_metrics import scrape

STAFF = "sam@example.org"
MIN = 60


def tile(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"><span class="value">([^<]*)<', html)
    assert found, f"no tile {testid}"
    return found[1]


def ask(store, phone: str, *, crisis: bool, minutes_ago: float) -> cb.CallbackRequest:
    request, _ = cb.request_callback(
        store,
        phone,
        lang="en",
        reason="crisis" if crisis else "callback",
        priority=crisis,
        channel="sms",
        now=time.time() - minutes_ago * MIN,
    )
    return request


def missed(helpline, request: cb.CallbackRequest) -> None:
    """Staff called and nobody answered: a retry is scheduled for later."""
    cb.claim(helpline, request.id, STAFF)
    _, decision = cb.record_outcome(helpline, request.id, STAFF, cb.Outcome.NO_ANSWER)
    assert decision.next_attempt_at is not None


@pytest.fixture
def queue(helpline, store):
    """Five open requests: a crisis to call now (30 min), a crisis whose retry is later (asked 60 min ago),
    a crisis a staff member holds, a plain request whose retry is later, and a plain one to call now."""
    due_crisis = ask(store, "+15551230101", crisis=True, minutes_ago=30)
    missed(helpline, ask(store, "+15551230102", crisis=True, minutes_ago=60))
    cb.claim(helpline, ask(store, "+15551230103", crisis=True, minutes_ago=5).id, STAFF)
    missed(helpline, ask(store, "+15551230104", crisis=False, minutes_ago=90))
    ask(store, "+15551230105", crisis=False, minutes_ago=10)
    return due_crisis


def test_ops_counts_the_queue_as_the_staff_pages_do(queue, operator_client, store, client):
    staff_bar = staff_queue.pulse(store)
    staff_counts = staff_queue.queue_view(store, staff_queue.QueueFilters(), STAFF).counts
    assert [r.id for r in staff_bar.waiting] == [queue.id]  # what the staff bar says: 1 crisis waiting
    page = operator_client.get("/ops").get_data(as_text=True)
    assert tile(page, "cb-crisis") == str(len(staff_bar.waiting)) == "1"
    assert tile(page, "cb-waiting") == str(staff_counts["waiting"]) == "2"
    assert tile(page, "cb-claimed") == str(staff_counts["held"]) == "1"
    assert tile(page, "cb-scheduled") == str(staff_counts["scheduled"]) == "2"
    assert tile(page, "cb-oldest") == "30 min"  # the retries scheduled for later are not waiting
    # The banner counts the crisis waiting now, not the one whose retry is an hour's wait away.
    assert "1 crisis request waiting to be called, for 30 min." in page
    assert "2 crisis" not in page and "3 crisis" not in page
    assert figures.callback_figures(store).crisis_waiting == 1
    assert scrape(client)["helpline_callbacks_crisis_waiting"][()] == 1  # /metrics agrees


def test_callbacks_now_come_before_the_figures_of_the_days(queue, operator_client):
    page = operator_client.get("/ops").get_data(as_text=True)
    assert page.index("Callbacks now") < page.index("Show these days") < page.index("Texts and calls")
    fragment = operator_client.get("/ops/callbacks-now?from=2026-01-01&to=2026-01-02").get_data(as_text=True)
    assert tile(fragment, "cb-crisis") == "1" and "Texts and calls" not in fragment  # the queue now, any days


def test_the_health_page_says_who_waits_for_a_call_now(queue, operator_client):
    page = operator_client.get("/ops/health").get_data(as_text=True)
    section = page[page.index('data-testid="callbacks-waiting"') :]
    assert re.search(r'data-testid="crisis-waiting">.*1 waiting, the oldest asked 30 min ago', section)
    assert re.search(r'data-testid="other-waiting">1 waiting, the oldest asked 10 min ago<', section)
    assert 'data-testid="held">1<' in section
    assert re.search(r'data-testid="scheduled">2 \(1 crisis\), the next due ', section)
    assert page.index("Callbacks waiting now") < page.index("<h2>Workers</h2>")


def test_a_fresh_crisis_is_on_the_health_page_before_it_reaches_the_banner(store, operator_client):
    Worker(["urgent", "search", "housekeeping"], connection=store.rq_connection).register_birth()  # all well
    ask(store, "+15551230106", crisis=True, minutes_ago=2)
    page = operator_client.get("/ops/health").get_data(as_text=True)
    assert "crisis request waiting to be called" not in page  # under 15 min: not yet an alarm …
    shown = r'data-testid="crisis-waiting">.*1 waiting, the oldest asked 2 min ago'
    assert re.search(shown, page)  # … but shown
    assert "Nothing needs a person right now" not in page
    assert "staff have 1 crisis request to call now" in page


def test_outcomes_and_self_checks_are_in_words(queue, operator_client, text):
    for answer in ("check", "yes", "no", "yes"):  # pain growing and worry about use: both
        text(answer)
    page = operator_client.get("/ops").get_data(as_text=True)
    outcomes = page[page.index('data-testid="outcomes"') :]
    assert re.search(r'<th scope="row">No answer</th><td class="num">2</td>', outcomes)
    self_check = page[page.index('data-testid="self-check"') :]
    assert '<th scope="row">Signs of both OIH and opioid use disorder</th><td class="num">1<' in self_check
    assert '<th scope="row">finished the self-check</th><td class="num">1<' in page
    for jargon in ("no_answer", ">both<", "check both", "check_", "(s)"):
        assert jargon not in page, jargon


def test_the_directory_page_says_what_its_listings_lack(operator_client, small_directory):
    page = operator_client.get("/ops/directory").get_data(as_text=True)
    said = re.search(r'data-testid="without-phone">([^<]*)<', page)
    assert said and said[1] == (
        "1 of 8 listings has no phone number: texters are pointed to the national helpline "
        "(SAMHSA, 1-800-662-4357) for it."
    )
    assert "Every listing is fresh" not in page
    assert "The directory files give no date for each listing" in page
    assert "counted from its source's import, the oldest of which was just now (today " in page


def test_a_directory_mostly_without_phones_says_so_plainly(operator_client, real_directory):
    page = operator_client.get("/ops/directory").get_data(as_text=True)
    missing = sum(p.phone is None for p in real_directory)
    assert missing == len(real_directory) > 100  # the real SAMHSA file lists no phone
    assert (
        f'<p class="notice" data-testid="without-phone">{missing:,} of {missing:,} listings have no phone '
        "number: texters are pointed to the national helpline (SAMHSA, 1-800-662-4357) for these.</p>"
    ) in page
