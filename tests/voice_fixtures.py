"""Voice-line fixtures: a phone that calls the line through signed webhooks, every answer TwiML-checked."""

from __future__ import annotations

import pytest

from helpline.devtools.simulate_call import PhoneCall
from helpline.services import accounts
from tests.twiml_check import check_voice

CALLER = "+15551230002"
STAFF_PHONES = ("+12025550111", "+12025550112")  # valid-looking: staff phones are checked


@pytest.fixture
def phone_call(signed_post):
    """`phone_call()` -> a PhoneCall from CALLER; `.start()`, then `.press("2")`, `.say("…")`, `.wait()`."""

    def post(path: str, params: dict) -> tuple[int, str]:
        response = signed_post(path, params)
        if response.status_code == 200:
            assert response.mimetype == "text/xml"
        return response.status_code, response.get_data(as_text=True)

    def make(caller: str = CALLER, **options) -> PhoneCall:
        from tests.conftest import HELPLINE_NUMBER

        return PhoneCall(post, caller, HELPLINE_NUMBER, check=check_voice, **options)

    return make


@pytest.fixture
def staff_on_duty(store):
    """Two staff accounts on duty with their phones."""
    for index, phone in enumerate(STAFF_PHONES):
        email = f"staff{index}@helpline.example"
        accounts.add(store, email, role="staff")
        accounts.set_duty(store, email, True, phone=phone)
    return STAFF_PHONES
