"""Every route's URL, as `url_for` builds it (pages link to each other, Twilio is given callback URLs),
leads back to that route, with any extra values in its query string."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import url_for
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter


def _sample(converter) -> object:
    """A value the route's part takes."""
    if isinstance(converter, AnyConverter):
        return min(converter.items)
    if isinstance(converter, IntegerConverter):
        return 42
    return "a/b" if isinstance(converter, PathConverter) else "Ab3_x"


def _values(rule) -> dict:
    return {arg: _sample(rule._converters[arg]) for arg in rule.arguments}


def test_each_route_is_built_and_matched_back(app):
    adapter = app.url_map.bind("helpline.example", url_scheme="https")
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 40  # texting, voice, staff, ops, health
    for rule in rules:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        with app.test_request_context():
            url = url_for(rule.endpoint, **_values(rule), _method=method)
            with_extra = url_for(rule.endpoint, **_values(rule), _method=method, page="2")
        endpoint, values = adapter.match(url, method=method)
        assert (endpoint, values) == (rule.endpoint, _values(rule)), url
        parts = urlsplit(with_extra)
        assert parts.path == urlsplit(url).path and parse_qs(parts.query) == {"page": ["2"]}, with_extra


def test_a_built_url_is_the_same_the_second_time(app):
    with app.test_request_context():
        first = [url_for("staff.detail", callback_id=f"cb{n}") for n in range(3)]
        again = [url_for("staff.detail", callback_id=f"cb{n}") for n in range(3)]
    assert first == again == [f"/staff/callbacks/cb{n}" for n in range(3)]
