"""What an operator's test text or call asks for never reaches the staff queue or the figures.

The test phone still answers exactly as a texter or caller is answered; the request it made is taken
back at once, and the page says so. A real texter's request is untouched.
"""

import re

from helpline.services import callbacks

TEST_NUMBER = "+15551230030"


def tile(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"><span class="value">([^<]*)<', html)
    assert found, f"no {testid} tile"
    return found.group(1)


def shows_on_the_queue(client, last4: str) -> bool:
    return last4 in client.get("/staff").get_data(as_text=True)


def test_a_test_text_asking_for_a_person_is_answered_but_never_queued_nor_counted(ops_post, store):
    response = ops_post(
        "/ops/phone", {"number": TEST_NUMBER, "text": "quiero hablar con alguien", "action": "text"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="replies"' in page and "(no reply)" not in page  # answered as anyone is
    assert "This test asked for a callback (cb000001)" in page  # told what became of the request

    client = ops_post.client
    assert not shows_on_the_queue(client, "0030")
    assert callbacks.waiting(store) == []
    assert tile(client.get("/ops/figures").get_data(as_text=True), "callbacks") == "0"
    assert "ops.phone.test_request" in client.get("/ops/audit").get_data(as_text=True)


def test_a_test_crisis_text_gets_the_guidance_and_alerts_nobody(ops_post, store):
    response = ops_post(
        "/ops/phone", {"number": TEST_NUMBER, "text": "I took too many pills", "action": "text"}
    )
    page = response.get_data(as_text=True)
    assert "911" in page  # the guidance a person in crisis gets, unchanged
    assert store.callbacks.crisis_ids() == []  # no crisis on the staff bar
    figures = ops_post.client.get("/ops/figures").get_data(as_text=True)
    assert tile(figures, "crisis") == "0" and tile(figures, "callbacks") == "0"
    assert not shows_on_the_queue(ops_post.client, "0030")


def test_a_test_call_asking_for_a_callback_is_never_queued(ops_post, store):
    response = ops_post("/ops/phone", {"number": TEST_NUMBER, "action": "call", "digits": "3,1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "This test asked for a callback" in response.get_data(as_text=True)
    assert callbacks.waiting(store) == []


def test_a_real_texters_request_stays_on_the_queue(ops_post, store, text):
    text("can I talk to someone", sender="+15551230031")
    ops_post("/ops/phone", {"number": TEST_NUMBER, "text": "call", "action": "text"})
    assert [store.callbacks.phone_of(r) for r in callbacks.waiting(store)] == ["+15551230031"]
    assert shows_on_the_queue(ops_post.client, "0031")
