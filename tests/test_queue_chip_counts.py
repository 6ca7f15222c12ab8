"""The queue's filter chips count what the list shows with them on: a retry scheduled for later is
listed apart under "Scheduled retries", and counted in the summary's "scheduled for later", not in a chip."""

import re

from helpline.domain.callback_rules import Outcome
from helpline.services import callbacks
from tests.test_staff_auth import login

CHIPS = ("mine", "unclaimed", "crisis", "spanish", "voicemail")


def chip_counts(page: str) -> dict[str, int]:
    return {name: int(re.search(rf'id="count-{name}">\s*(\d+)', page).group(1)) for name in CHIPS}


def due_rows(page: str) -> int:
    """Rows of the list of requests to call now (the scheduled retries' table is apart)."""
    now_table = page.split('<table class="queue later">')[0]
    return len(re.findall(r"<tr id=\"row-cb\d+\" data-row", now_table))


def ask(store, phone: str, **kind) -> str:
    details = {"lang": "en", "reason": "callback", "priority": False, "channel": "sms"} | kind
    return callbacks.request_callback(store, phone, **details)[0].id


def test_each_chip_counts_the_rows_the_list_shows_with_it_on(client, staff_user, store, helpline):
    ask(store, "+15551230001")
    ask(store, "+15551230002", reason="crisis", priority=True)
    ask(store, "+15551230003", lang="es", reason="voicemail", channel="voice")
    mine = ask(store, "+15551230004")
    callbacks.claim(helpline, mine, staff_user.email)
    later = ask(store, "+15551230005", lang="es", reason="crisis", priority=True)
    callbacks.claim(helpline, later, "ana@example.org")  # called, no answer: tried again later
    callbacks.record_outcome(helpline, later, "ana@example.org", Outcome.NO_ANSWER)

    login(client, staff_user.email)
    page = client.get("/staff").get_data(as_text=True)
    assert "<strong>3 waiting</strong>" in page and "1 scheduled for later" in page
    counts = chip_counts(page)
    assert counts == {"mine": 1, "unclaimed": 3, "crisis": 1, "spanish": 1, "voicemail": 1}
    for chip in CHIPS:
        shown = client.get(f"/staff?{chip}=on").get_data(as_text=True)
        assert due_rows(shown) == counts[chip], chip
        if chip in ("unclaimed", "crisis", "spanish"):  # the retry is still there, listed apart
            assert f'id="row-{later}"' in shown.split('<table class="queue later">')[1]
