"""The spoken wording: both languages complete, placeholders kept, words a voice can say."""

import re
from pathlib import Path

import pytest

from helpline.domain import ivr, spoken
from helpline.domain.content import placeholders
from helpline.services import calling
from helpline.web import staff, voice

CONFIG = Path(__file__).resolve().parent.parent / "config"
SOURCES = [Path(ivr.__file__), Path(calling.__file__), Path(voice.__file__)]
SETTINGS_KEYS = {"tts_voice", "tts_language", "speech_hints", "yes_no_hints"}


@pytest.fixture(scope="module")
def catalog():
    return calling.load_voice_catalog(CONFIG)


def used_keys() -> set[str]:
    found = set()
    for path in SOURCES:
        found |= set(re.findall(r'Speak\(\s*"([a-z0-9_]+)"', path.read_text()))
        found |= set(re.findall(r'"(voicemail_[a-z]+|whisper[a-z_]*)"', path.read_text()))
    return found


def test_every_key_the_line_says_exists_in_both_languages(catalog):
    for lang in ("en", "es"):
        missing = used_keys() - set(catalog.templates[lang])
        assert not missing, (lang, missing)


def test_both_languages_have_the_same_placeholders(catalog):
    for key in catalog.templates["en"]:
        assert placeholders(catalog.templates["en"][key]) == placeholders(catalog.templates["es"][key]), key


def test_spanish_is_spoken_by_a_spanish_voice_and_heard_by_spanish_recognition(catalog):
    assert catalog.render("es", "tts_language") == "es-US"
    assert catalog.render("en", "tts_language") == "en-US"
    assert catalog.render("es", "tts_voice") != catalog.render("en", "tts_voice")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_spoken_sentences_have_no_text_message_shorthand(catalog, lang):
    for key, text in catalog.templates[lang].items():
        if key in SETTINGS_KEYS or key.startswith("whisper"):
            continue
        assert not re.search(r"\b(OIH|HIO|24/7|STOP|Reply|Responda|txt|w/)\b|call/text|/", text), (
            key,
            text,
        )
        assert not re.search(r"\b911\b|\b988\b", text), (key, "say emergency numbers digit by digit")


@pytest.mark.parametrize(
    ("phone", "said"),
    [
        ("+16175550132 ext. 12", "6 1 7, 5 5 5, 0 1 3 2, extension 1 2"),
        ("+18006624357", "8 0 0, 6 6 2, 4 3 5 7"),
    ],
)
def test_a_listing_phone_is_read_grouped_with_its_extension_after_it(phone, said):
    assert spoken.phone(phone) == said


def test_staff_see_and_dial_a_listing_extension():
    assert staff._phone_display("+16175550132 ext. 12") == "(617) 555-0132 ext. 12"
    assert staff._tel_href("+16175550132 ext. 12") == "tel:+16175550132,12"
    assert staff._tel_href("+16175550132") == "tel:+16175550132"


@pytest.mark.parametrize(
    ("address", "city", "said"),
    [
        ("3801 West 63rd Street, Unit 3", "Chicago", "3801 West 63rd Street, Chicago"),
        ("4901 S PENNSYLVANIA AVE", "OKLAHOMA CITY", "4901 South Pennsylvania Avenue, Oklahoma City"),
        ("Rachel Upjohn Building, 4250 Plymouth Rd", "Ann Arbor", "4250 Plymouth Road, Ann Arbor"),
        ("386 St. Lukes Dr, Suite 200", "Mobile", "386 Saint Lukes Drive, Mobile"),
        ("1912 Commerce Ave NW 2nd Floor", "", "1912 Commerce Avenue Northwest"),
        ("PO BOX 6367", "Tyler", ""),  # no door to go to
    ],
)
def test_a_listing_street_is_read_short_in_whole_words(address, city, said):
    assert spoken.street(address, city) == said
