"""Directory freshness on /ops/directory: wrong numbers reported, stale listings, hiding one."""

from __future__ import annotations

import time

from helpline.store import directory as repository
from helpline.web.ops import directory as ops_directory


def test_review_flags_wrong_numbers_and_stale_listings(app, store, small_directory):
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    ops_directory.report_wrong_number(chelsea.id)
    ops_directory.report_wrong_number(chelsea.id)
    fresh = ops_directory.review(time.time())
    assert fresh.total == len(small_directory)
    assert [(x.name, x.wrong_numbers) for x in fresh.wrong_number] == [("Chelsea Methadone Clinic", 2)]
    assert fresh.stale_count == 0
    later = ops_directory.review(time.time() + 400 * 86400)  # a year and more without a refresh
    assert later.stale_count == len(small_directory) - 1  # the wrong-number one is listed apart


def test_operator_hides_a_listing_and_searches_stop_offering_it(
    ops_post, operator_client, app, small_directory
):
    r = app.extensions["helpline"].store._r
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    ops_directory.report_wrong_number(chelsea.id)
    page = operator_client.get("/ops/directory").get_data(as_text=True)
    assert "Chelsea Methadone Clinic" in page and 'data-testid="wrong-number"' in page
    response = ops_post(
        f"/ops/directory/{chelsea.id}/hide", {"reason": "number rings a pizzeria"}, page="/ops/directory"
    )
    assert response.status_code == 302
    assert repository.hidden(r)[chelsea.id]["reason"] == "number rings a pizzeria"
    assert 'data-testid="hidden"' in operator_client.get("/ops/directory").get_data(as_text=True)
    assert ops_post("/ops/directory/nosuchid/hide", {"reason": "x"}).status_code == 404
    ops_post(f"/ops/directory/{chelsea.id}/unhide", page="/ops/directory")
    assert chelsea.id not in repository.hidden(r)
