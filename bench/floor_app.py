"""A second baseline for `bench/webhook.py --floor`: the helpline app itself, whose text handler makes only
the one Redis round trip every text needs and nothing around it.

That trip screens the text (its MessageSid's lease, the texter's facts) and marks it answered, in one
script: exactly-once needs both. Against the bare endpoint, floor/bare is what that round trip and the
app's own request handling cost; full/floor is what the conversation itself adds (the decision,
encryption, the exchange kept for staff, jobs and counters, a second round trip when the texter is not
as expected).
"""

from __future__ import annotations

import helpline.web.sms as sms_view
from helpline import create_app as create_helpline
from helpline.services.texting import Answer


def one_round_trip(line, text) -> Answer:
    store = line.store
    phone_id = store.vault.phone_id(text.sender)
    record = (None, [], ["sms.in"], line.dedupe_seconds, None)  # no state: always as expected
    store.answer_at_once(text.sid, phone_id, line.clock(), line.lease_seconds, b"", line.rate_limit, record)
    return Answer(["Thanks for your message."], "event=sms.floor")


def create_app():
    sms_view.handle_text = one_round_trip  # this process serves the floor only
    return create_helpline()
