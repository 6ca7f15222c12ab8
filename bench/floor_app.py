"""A second baseline for `bench/webhook.py --floor`: the helpline app itself, whose text handler makes only
the two Redis round trips every text needs and nothing between them.

Those two are the screening (the MessageSid's lease taken, the texter's facts read) and the record (the text
marked answered): exactly-once needs both, and the decision needs the facts of the first before the second.
Against the bare endpoint, floor/bare is what those round trips cost; full/floor is what the conversation
itself adds (the decision, encryption, the exchange kept for staff, jobs and counters).
"""

from __future__ import annotations

import helpline.web.sms as sms_view
from helpline import create_app as create_helpline
from helpline.services.texting import Answer


def two_round_trips(line, text) -> Answer:
    store = line.store
    phone_id = store.vault.phone_id(text.sender)
    now = line.clock()
    screening = store.screen_text(text.sid, phone_id, now, line.lease_seconds)
    if screening is None:
        return Answer([], "event=sms.duplicate")
    done = line.dedupe_seconds
    store.record_exchange(screening.lease, phone_id, None, [], ["sms.in"], now, done_seconds=done)
    return Answer(["Thanks for your message."], "event=sms.floor")


def create_app():
    sms_view.handle_text = two_round_trips  # this process serves the floor only
    return create_helpline()
