"""Result texts (pure): layout, GSM-7, two segments at most, and how services are understood."""

from __future__ import annotations

import pytest

from config.settings import CONFIG_DIR
from helpline.domain import result_texts as replies
from helpline.domain import treatment_services as svc
from helpline.domain.content import Catalog, count_segments
from helpline.domain.providers import Provider
from helpline.services.provider_search import SearchResult

CATALOG = Catalog.load(CONFIG_DIR)


def renderer(lang: str):
    def render(key: str, **params) -> str:
        params.setdefault("helpline", "1-800-662-4357")
        return CATALOG.render(lang, key, **params)

    return render


def provider(name="Clinic", phone="+12125550101", miles=1.23, services=("methadone",), **extra) -> Provider:
    base = dict(address="1 Main St", city="New York", state="NY", zip="10001", lat=40.7, lng=-74.0)
    base.update(extra)
    return Provider(id=name, name=name, phone=phone, services=services, miles=miles, **base)


def test_one_line_per_provider_with_phone_miles_address_and_services():
    line = replies.provider_line(1, provider(services=("methadone", "pain")), renderer("en"))
    assert line == "1) Clinic - 212-555-0101 - 1.2 mi - 1 Main St, New York NY - methadone, pain care"


def test_approximate_places_and_missing_phones_are_said_so():
    line = replies.provider_line(2, provider(phone=None, approximate=True), renderer("es"))
    assert "sin telefono" in line and "~1.2 mi" in line and "metadona" in line


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_worst_listings_still_fit_two_gsm7_segments_each(lang):
    worst = [
        provider(
            name="CLÍNICA “SAN JOSÉ” — " + "Very Long Community Behavioral Health Services Board " * 3,
            address="12345 Extraordinarily Long Boulevard Name, Building 9 Suite 2300, Floor 14 " * 2,
            city="Rancho Santa Margarita",
            services=svc.SERVICES,
            miles=99.95,
        )
        for _ in range(3)
    ]
    texts = replies.result_texts(
        renderer(lang), "Rancho Santa Margarita, CA", SearchResult(worst, 100, "x", True)
    )
    for text in texts:
        segments = count_segments(text)
        assert segments.encoding == "GSM-7" and segments.count <= 2, text
    joined = "\n".join(texts)
    assert '1) CLINICA "SAN JOSÉ" - Very Long' in joined  # Í and curly quotes folded to GSM-7
    assert all(f"{n})" in "".join(texts) for n in (1, 2, 3))


def test_more_continues_the_numbering_and_the_end_is_said():
    result = SearchResult([provider("D"), provider("E")], 25, "directory", False)
    texts = replies.result_texts(renderer("en"), "10001", result, page=1)
    joined = "\n".join(texts)
    assert joined.startswith("More treatment near 10001:")
    assert "4) D" in joined and "5) E" in joined
    assert "MORE" not in texts[-1] and "CALL" in texts[-1]


def test_nothing_found_and_nothing_more_are_graceful():
    empty = SearchResult([], 100, "none", False)
    (none,) = replies.result_texts(renderer("en"), "99950", empty)
    assert "no treatment providers near 99950" in none and "1-800-662-4357" in none and "CALL" in none
    (no_more,) = replies.result_texts(renderer("es"), "10001", empty, page=2)
    assert no_more.startswith("No hay mas proveedores") and "LLAMAR" in no_more


@pytest.mark.parametrize(
    "word, expected",
    [
        ("bupe", "buprenorphine"),
        ("Suboxone", "buprenorphine"),
        ("OTP", "methadone"),
        ("telemedicine", "telehealth"),
    ],
)
def test_service_words_and_codes_normalise(word, expected):
    assert svc.service_named(word) == expected


def test_unknown_service_words_are_refused_by_name():
    with pytest.raises(svc.UnknownService, match="yoga"):
        svc.service_named("yoga")


def test_locator_services_are_read_conservatively():
    entries = [
        {"f2": "SET", "f3": "Outpatient; Outpatient methadone/buprenorphine or naltrexone treatment"},
        {
            "f2": "OT",
            "f3": "Buprenorphine used in Treatment; Use methadone/buprenorphine for pain management",
        },
        {"f2": "PYAS", "f3": "Sliding fee scale (fee is based on income and other factors)"},
        {"f2": "TAP", "f3": "Relapse prevention"},
    ]
    assert svc.from_locator_services(entries) == ("buprenorphine", "pain", "outpatient", "payment")


@pytest.mark.parametrize(
    "service, outcome, wanted",
    [
        (None, "oud", ("methadone", "buprenorphine", "naltrexone")),
        (None, "oih", ("pain",)),
        (None, "both", ("methadone", "buprenorphine", "naltrexone", "pain")),
        (None, "none", ()),
        ("pain", "oud", ("pain",)),
    ],
)
def test_what_a_search_filters_on(service, outcome, wanted):
    assert svc.wanted_services(service, outcome) == wanted


def test_flask_simulate_sms_shows_looking_up_then_real_providers(app, small_directory, nothing_listening):
    result = app.test_cli_runner().invoke(args=["simulate", "sms", "+15551230001", "10001"])
    assert result.exit_code == 0, result.output
    assert "helpline -> you: Looking up treatment providers near 10001" in result.output
    later = result.output.split("(later): ", 1)[1]
    assert later.startswith("Treatment near 10001:") and "1) Midtown Pain Care" in later


def test_a_site_name_tells_one_organisations_clinics_apart():
    clinic = provider(name="REGION TEN COMMUNITY SERVICES BOARD", extra={"site": "Mohr Center"})
    line = replies.provider_line(1, clinic, renderer("en"))
    assert line.startswith("1) Region Ten Community Services Board, Mohr Center - 212-555-0101")
