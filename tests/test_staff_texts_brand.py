"""A texter sees one name for the helpline: the texts staff start from, and the referral they send,
open with the same name as the automatic texts, in English and in Spanish."""

from __future__ import annotations

import html
import re

import pytest

from helpline.infra.burst import drain
from tests.conftest import TEXTER
from tests.test_staff_auth import csrf_token, login
from tests.test_staff_workspace import only_request, post, sent_to


@pytest.fixture
def staff(client, staff_user):
    login(client, staff_user.email)
    client.token = csrf_token(client, "/staff")
    return client


@pytest.mark.parametrize(("first", "ask", "lang"), [("hi", "call", "en"), ("español", "llamar", "es")])
def test_staff_texts_open_with_the_name_the_automatic_texts_use(
    staff,
    text,
    store,
    small_directory,
    first,
    ask,
    lang,
):
    brand = text(first)[0].split(":")[0] + ":"  # the automatic welcome, in their language
    assert brand == "Helpline:"
    text(ask)
    request = only_request(store)
    assert request.lang == lang
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    templates = [html.unescape(t) for t in re.findall(r'data-template="([^"]*)"', page)]
    assert templates and [t for t in templates if not t.startswith(brand)] == []
    clinic = small_directory[0]
    post(staff, f"/staff/callbacks/{request.id}/text/referral", provider=clinic.id, near="10001")
    drain(store.rq_connection)
    (referral,) = [body for body in sent_to(store, TEXTER) if clinic.name in body]
    assert referral.startswith(brand)
