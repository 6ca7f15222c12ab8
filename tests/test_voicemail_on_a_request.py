"""A voicemail left on a request someone had already made (they texted, then called): staff find it
under the queue's Voicemail filter, and its page shows it when it was left."""

import re
import time

from helpline.services import callbacks

WORDS = "Ann again, please call me after five"


def leave_a_voicemail_on_an_earlier_request(app, store):
    earlier = time.time() - 3600  # they texted CALL an hour ago
    request, _ = callbacks.request_callback(
        store, "+15551230001", lang="en", reason="callback", priority=False, channel="sms", now=earlier
    )
    call = ["simulate", "call", "+15551230001", "--digits", "4", "--say", WORDS]
    result = app.test_cli_runner().invoke(args=call)
    assert result.exit_code == 0, result.output
    assert [r.id for r in callbacks.waiting(store)] == [request.id]  # the call found their request
    return request


def test_the_voicemail_filter_finds_a_voicemail_left_on_an_earlier_request(
    app, store, staff_client, nothing_listening
):
    request = leave_a_voicemail_on_an_earlier_request(app, store)
    page = staff_client.get("/staff?voicemail=on").get_data(as_text=True)
    assert re.search(r'id="count-voicemail">\s*1\s*<', page)
    assert f"/staff/callbacks/{request.id}" in page
    assert WORDS in page  # the row previews what they said


def test_the_request_page_shows_the_voicemail_when_it_was_left(app, store, staff_client, nothing_listening):
    request = leave_a_voicemail_on_an_earlier_request(app, store)
    html = staff_client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    kinds = re.findall(r'<li id="t-([a-z]+)-(\d+)-\d+" class="item', html)
    voicemail_at = next(int(ms) / 1000 for kind, ms in kinds if kind == "voicemail")
    assert voicemail_at > request.created + 3000  # not at the hour-old request's time
    order = [kind for kind, _ in kinds]  # the request, then the call in which it was left
    assert order.index("request") < order.index("call") < order.index("voicemail")
