"""ZIPs that name no place (00000, 99999) are never kept as where a person is."""

import pytest
import zipcodes

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


def test_a_city_is_where_its_zip_codes_are():
    """The ZIP data writes an unknown place as 0.0, 0.0; counted in, it moved Los Angeles 40 miles."""
    la = places.city_centroid("los angeles", "ca")
    assert abs(la.lat - 34.05) < 0.15 and abs(la.lng + 118.25) < 0.15
    for city, state in (
        ("indianapolis", "in"),
        ("birmingham", "al"),
        ("des moines", "ia"),
        ("stockton", "ca"),
    ):
        place = places.city_centroid(city, state)
        zips = [places.zip_centroid(code) for code in _zips_of(city, state)]
        nearby = [z for z in zips if abs(z.lat - place.lat) < 0.5 and abs(z.lng - place.lng) < 0.5]
        assert len(nearby) == len(zips), f"{city}, {state}: centre at {place.lat}, {place.lng}"


def test_a_zip_without_a_place_of_its_own_is_where_its_city_is():
    po_box = places.zip_centroid("90085")  # a Los Angeles ZIP the data places at 0.0, 0.0
    assert po_box is not None and abs(po_box.lat - 34.05) < 0.15 and abs(po_box.lng + 118.25) < 0.15


def _zips_of(city: str, state: str) -> list[str]:
    return [z["zip_code"] for z in zipcodes.filter_by(city=city.title(), state=state.upper())]
