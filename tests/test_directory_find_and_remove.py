"""Operators find any listing (command line and /ops/directory) to hide it, see one with `show`,
offer it again with `unhide`, and take out a source imported by mistake with `remove`."""

from __future__ import annotations

import json

from helpline.domain import places
from helpline.services import audit
from helpline.services.provider_search import find_providers
from helpline.store import directory as repository
from tests.directory_fixtures import write_csv

NYC = places.zip_centroid("10001")


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["providers", *args], **kwargs)


def by_name(listings, name):
    return next(p for p in listings if p.name == name)


def test_find_prints_each_listing_with_its_id_address_phone_services_and_state(app, small_directory):
    chelsea = by_name(small_directory, "Chelsea Methadone Clinic")
    result = run(app, "find", "chelsea methadone")
    assert result.exit_code == 0, result.output
    assert f"{chelsea.id}  Chelsea Methadone Clinic" in result.output
    assert "1 W 29th St, New York, NY 10001; +12125550101; methadone" in result.output
    assert "1 listing match 'chelsea methadone'." in result.output and "HIDDEN" not in result.output
    by_zip = run(app, "find", "10001").output
    for name in ("Chelsea Methadone Clinic", "Midtown Pain Care", "Hudson Recovery"):
        assert name in by_zip
    assert "no phone; outpatient" in by_zip and "3 listings match '10001'." in by_zip
    assert "Village Bupe" not in by_zip  # 10012
    assert "Midtown Pain Care" in run(app, "find", "midtown 34th street").output  # "Street" finds "St"
    assert run(app, "find", "nowhere clinic").output.strip() == "No listing matches 'nowhere clinic'."


def test_show_shows_a_listing_and_never_changes_it_and_unhide_offers_it_again(app, helpline, small_directory):
    chelsea = by_name(small_directory, "Chelsea Methadone Clinic")
    assert run(app, "hide", chelsea.id, "--reason", "closed").exit_code == 0
    shown = run(app, "show", chelsea.id)
    assert shown.exit_code == 0, shown.output
    assert (
        "Chelsea Methadone Clinic" in shown.output and "HIDDEN from searches (closed, by cli)" in shown.output
    )
    assert f"flask providers unhide {chelsea.id}" in shown.output
    assert chelsea.id in repository.hidden(helpline.store._r)  # showing it left it hidden
    assert "Chelsea" in run(app, "find", "chelsea").output  # a hidden listing can still be found
    assert run(app, "show", "0000000000000000").exit_code != 0
    result = run(app, "unhide", chelsea.id)
    assert result.exit_code == 0 and f"{chelsea.id} is offered again." in result.output
    assert chelsea.id not in repository.hidden(helpline.store._r)
    assert "offered in searches" in run(app, "show", chelsea.id).output
    assert find_providers(helpline, NYC, service="methadone").providers[0].name == "Chelsea Methadone Clinic"
    done = [e.action for e in audit.recent(helpline.store)]
    assert "ops.directory.hide" in done and "ops.directory.unhide" in done


def test_an_operator_finds_a_listing_on_the_directory_page_and_hides_it_from_there(
    ops_post, operator_client, helpline, small_directory
):
    midtown = by_name(small_directory, "Midtown Pain Care")
    page = operator_client.get("/ops/directory?q=midtown").get_data(as_text=True)
    found = page[page.index('data-testid="found"') :]
    assert f'<tr data-provider="{midtown.id}"><th scope="row">Midtown Pain Care</th>' in found
    assert "200 W 34th St, New York, NY 10001" in found and f"<code>{midtown.id}</code>" in found
    assert f"/ops/directory/{midtown.id}/hide" in found and "Chelsea" not in found.split("</table>")[0]
    response = ops_post(
        f"/ops/directory/{midtown.id}/hide", {"reason": "closed", "q": "midtown"}, page="/ops/directory"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/ops/directory?q=midtown")
    assert midtown.id in repository.hidden(helpline.store._r)
    again = operator_client.get("/ops/directory?q=midtown").get_data(as_text=True)
    assert "hidden: closed" in again and f"/ops/directory/{midtown.id}/unhide" in again
    none = operator_client.get("/ops/directory?q=zzzz").get_data(as_text=True)
    assert 'data-testid="found-none"' in none


def test_remove_takes_out_a_source_imported_by_mistake_after_asking(app, helpline, small_directory, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [("Wrong Place", "9 Elm St", "10001", 40.7500, -73.9970, "", "")])
    assert run(app, "import", str(bad)).exit_code == 0
    assert run(app, "import", str(tmp_path / "bad.csv")).exit_code == 0
    before = json.loads(run(app, "status", "--json").output)
    assert set(before["sources"]) == {"test", "bad"} and before["total"] == 9

    kept = run(app, "remove", "bad", input="n\n")
    assert kept.exit_code != 0 and "Remove source 'bad' (1 listing from bad.csv)" in kept.output
    assert set(json.loads(run(app, "status", "--json").output)["sources"]) == {"test", "bad"}

    result = run(app, "remove", "bad", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Removed source 'bad' (1 listing). The directory now holds 8 listings." in result.output
    after = json.loads(run(app, "status", "--json").output)
    assert set(after["sources"]) == {"test"} and after["total"] == 8 and after["version"] != before["version"]
    names = {p.name for p in find_providers(helpline, NYC, limit=10).providers}
    assert "Wrong Place" not in names and "Chelsea Methadone Clinic" in names
    entry = next(e for e in audit.recent(helpline.store) if e.action == "ops.directory.remove_source")
    assert entry.who == "cli" and "source=bad listings=1" in entry.detail

    unknown = run(app, "remove", "bad", "--yes")
    assert unknown.exit_code != 0 and "no source 'bad' in the directory (sources: test)" in unknown.output
    assert run(app, "remove", "test", "--yes").exit_code == 0
    assert "Directory: empty" in run(app, "status").output
    assert run(app, "import", str(bad)).exit_code == 0  # a removed source can be imported again
