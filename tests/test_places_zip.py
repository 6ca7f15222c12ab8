"""ZIPs that name no place (00000, 99999) are never kept as where a person is."""

import pytest

from helpline.domain import places
from helpline.services import callbacks


@pytest.mark.parametrize("zip_code", ["00000", "99999"])
def test_a_zip_that_names_no_place_is_not_kept_on_the_callback_request(text, store, zip_code):
    text(zip_code)
    text("call")
    (request,) = callbacks.waiting(store)
    assert request.zip is None
    assert places.real_zip(zip_code) is None and places.locate(zip_code) is None


def test_a_real_zip_is_kept_on_the_callback_request(text, store):
    text("10001")
    text("call")
    assert callbacks.waiting(store)[0].zip == "10001"
