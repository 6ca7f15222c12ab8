"""The call menu's figures name ZIPs as they came: a spoken ZIP read back to confirm is not "ZIP keyed"."""

from __future__ import annotations

from helpline.services import figures
from helpline.web.ops import choices


def call_choices(store) -> dict[str, int]:
    return choices.labelled(figures.breakdown(figures.totals(store), "call.menu."), choices.CALL_CHOICES)


def test_a_spoken_zip_is_counted_as_said_and_a_misheard_one_as_asked_again(
    phone_call, store, small_directory
):
    call = phone_call()
    call.start()
    call.press("2")
    assert "1 0 0 0 1" in " ".join(call.say("one zero zero zero one"))  # read back to confirm
    call.say("no")  # misheard: asked again
    call.say("one zero zero zero one")
    call.say("yes")
    counted = call_choices(store)
    assert "ZIP keyed" not in counted  # nothing was keyed
    assert counted["ZIP said (read back to confirm)"] == 2
    assert counted["ZIP heard wrong (asked again)"] == 1
    assert counted["providers read out"] == 1


def test_a_keyed_zip_is_never_counted_as_a_spoken_one(phone_call, store, small_directory):
    call = phone_call()
    call.start()
    call.press("2")
    call.press("10001")
    counted = call_choices(store)
    assert counted["providers read out"] == 1
    assert not {"ZIP keyed", "ZIP said (read back to confirm)"} & set(counted)
