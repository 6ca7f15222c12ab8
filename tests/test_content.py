"""Every template, in both languages, fits in two SMS segments with its placeholders filled."""

import pytest

from config.settings import CONFIG_DIR
from helpline.domain.content import LANGUAGES, REQUIRED_PLACEHOLDERS, Catalog, count_segments, placeholders
from helpline.domain.template_rules import WORST_CASE

CATALOG = Catalog.load(CONFIG_DIR)
# Replies that end with the not-medical-advice line, the first time in a conversation.
INFORMATIONAL = ("oih", "signs", "tolerance", "treat", "stopped_suddenly")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", CATALOG.keys())
def test_every_template_fits_two_segments(lang, key):
    text = CATALOG.render(lang, key, **WORST_CASE)
    if key in INFORMATIONAL:
        text += CATALOG.render(lang, "disclaimer")
    segments = count_segments(text)
    assert segments.count <= 2, f"{lang}/{key}: {segments}"


# Replies that end with "We'll pass on to staff what you said about when to call" when the text said when.
WITH_CALL_TIME = (
    "call_confirm_open",
    "call_confirm_closed",
    "call_already_queued",
    "call_queued_crisis",
    "optout_call_confirm",
    "follow_up_callback",
)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", WITH_CALL_TIME)
def test_a_call_confirmation_with_the_call_time_note_still_fits_two_segments(lang, key):
    text = CATALOG.render(lang, key, **WORST_CASE) + CATALOG.render(lang, "call_time_noted")
    segments = count_segments(text)
    assert segments.count <= 2, f"{lang}/{key}: {segments}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_templates_keep_their_required_placeholders(lang):
    for key, needed in REQUIRED_PLACEHOLDERS.items():
        assert needed <= placeholders(CATALOG.templates[lang][key]), (lang, key)


@pytest.mark.parametrize(
    "text, encoding, count",
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters cost two
        ("{" * 81, "GSM-7", 2),
        ("ñé¿¡", "GSM-7", 1),
        ("á" * 70, "UCS-2", 1),
        ("á" * 71, "UCS-2", 2),
        ("á" * 134, "UCS-2", 2),
        ("á" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # a surrogate pair is two UTF-16 units
    ],
)
def test_segment_counting_follows_gsm7_and_ucs2_rules(text, encoding, count):
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (encoding, count)


def test_welcome_says_what_design_requires_in_both_languages():
    for lang in LANGUAGES:
        welcome = CATALOG.render(lang, "welcome")
        assert "STOP" in welcome and "911" in welcome and "988" in welcome


def test_the_ops_check_adds_each_sentence_to_the_replies_it_is_sent_after():
    """The /ops check counts a sentence at the end of the replies that really end with it."""
    from helpline.domain.call_times import _CONFIRMS_A_CALL
    from helpline.domain.conversation import INFORMATIONAL as ANSWERS_WITH_THE_LINE
    from helpline.domain.sent_texts import APPENDED

    assert set(APPENDED["call_time_noted"]) == set(WITH_CALL_TIME) >= _CONFIRMS_A_CALL
    assert set(APPENDED["disclaimer"]) == set(INFORMATIONAL) == ANSWERS_WITH_THE_LINE | {"stopped_suddenly"}
