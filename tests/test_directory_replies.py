"""Result texts (pure): layout, GSM-7, two segments at most, and how services are understood."""

from __future__ import annotations

import pytest

from config.settings import CONFIG_DIR
from helpline.domain import result_texts as replies
from helpline.domain import treatment_services as svc
from helpline.domain.content import Catalog, count_segments
from helpline.domain.listing_rows import clean_name, normalise_phone
from helpline.domain.providers import Provider, SearchResult

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
    empty = SearchResult([], 100, "directory", False)
    (none,) = replies.result_texts(renderer("en"), "99950", empty)
    assert "no treatment providers near 99950" in none and "1-800-662-4357" in none and "CALL" in none
    (no_more,) = replies.result_texts(renderer("es"), "10001", empty, page=2)
    assert no_more.startswith("No hay mas proveedores") and "LLAMAR" in no_more


@pytest.mark.parametrize(
    "lang, words", [("en", "can't look up providers right now"), ("es", "no podemos buscar")]
)
def test_a_source_that_failed_is_said_honestly_with_the_helpline_and_call(lang, words):
    (text,) = replies.result_texts(
        renderer(lang), "22902", SearchResult([], 100, "none", False, unavailable=True)
    )
    assert words in text and "1-800-662-4357" in text
    assert ("CALL" if lang == "en" else "LLAMAR") in text
    assert "found no" not in text


def test_a_filter_that_found_nothing_says_so_in_one_line_before_the_nearest():
    result = SearchResult([provider("A"), provider("B")], 10, "directory", False, ("buprenorphine",))
    texts = replies.result_texts(renderer("en"), "02115", result)
    first_line = texts[0].splitlines()[0]
    assert first_line == (
        "No listing near 02115 says it offers buprenorphine; these are the nearest treatment providers"
        " - ask them."
    )
    assert "1) A" in texts[0] and all(count_segments(t).count <= 2 for t in texts)
    spanish = replies.result_texts(renderer("es"), "02115", result)[0]
    assert "buprenorfina" in spanish.splitlines()[0]


def test_after_an_oih_self_check_the_results_point_to_the_prescriber_and_pain_care():
    result = SearchResult([provider("A")], 10, "directory", False)
    (text,) = replies.result_texts(renderer("en"), "02115", result, outcome="oih")
    assert text.startswith("For pain that keeps getting worse, ask your prescriber about OIH")
    assert "pain care" in text.splitlines()[0] and "1) A" in text


def test_a_page_without_any_phone_adds_the_national_helpline():
    no_phones = SearchResult([provider("A", phone=None), provider("B", phone=None)], 10, "directory", True)
    joined = "\n".join(replies.result_texts(renderer("en"), "10001", no_phones))
    assert (
        joined.count("no phone listed") == 2
        and "help you reach them" in joined
        and "1-800-662-4357" in joined
    )
    one_phone = SearchResult([provider("A", phone=None), provider("B")], 10, "directory", True)
    assert "help you reach them" not in "\n".join(replies.result_texts(renderer("en"), "10001", one_phone))


@pytest.mark.parametrize(
    "name1, name2, expected",
    [
        (
            "Affiliates for Consultation and",
            "Psychotherapy",
            ("Affiliates for Consultation and Psychotherapy", None),
        ),
        ("Consultation and, Psychotherapy", "", ("Consultation and Psychotherapy", None)),
        ("Adolescent Substance Abuse Program", "(ASAP)", ("Adolescent Substance Abuse Program (ASAP)", None)),
        (
            "Safe Harbor Treatment Center",
            "for Women LLC",
            ("Safe Harbor Treatment Center for Women LLC", None),
        ),
        (
            "Region Ten Community Services Board",
            "Mohr Center",
            ("Region Ten Community Services Board", "Mohr Center"),
        ),
        ("Acute Stabilization Unit", " Acute Stabilization Unit", ("Acute Stabilization Unit", None)),
    ],
)
def test_names_cut_over_two_columns_are_joined_without_stray_commas(name1, name2, expected):
    assert clean_name(name1, name2) == expected


@pytest.mark.parametrize(
    "written, phone",
    [
        ("(617) 555-0100", "+16175550100"),
        ("617.555.0100", "+16175550100"),
        ("1-617-555-0100", "+16175550100"),
        ("+1 617 555 0100", "+16175550100"),
        ("617-555-0100 x12", "+16175550100"),
        ("(617)555-0100 / (617) 555-0199", "+16175550100"),
        ("617 555 0100 ext. 3", "+16175550100"),
        ("555-0100", None),  # no area code: not callable
        ("not listed", None),
        ("", None),
    ],
)
def test_phones_written_every_way_are_read_as_one_number(written, phone):
    assert normalise_phone(written) == phone


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
        {"f2": "OT", "f3": "Accepts clients on opioid medication; Does not treat opioid addiction"},
        {"f2": "PAY", "f3": "Medicaid; Cash or self-payment"},  # nearly everyone: says nothing
    ]
    assert svc.from_locator_services(entries) == ("buprenorphine", "pain", "outpatient", "payment")


def test_the_locators_own_service_words_and_codes_are_understood():
    entries = [
        {"f2": "OT", "f3": "SAMHSA-certified Opioid Treatment Program; Naltrexone used in Treatment"},
        {"f2": "TC", "f3": "Detoxification"},
        {"f2": "SET", "f3": "Telemedicine/telehealth"},
        {"f2": "PAY", "f3": "No payment accepted"},
    ]
    assert svc.from_locator_services(entries) == ("methadone", "naltrexone", "detox", "telehealth", "payment")
    assert svc.from_text("METH; BU; NU; DT; CT; SS") == (
        "methadone",
        "buprenorphine",
        "naltrexone",
        "detox",
        "telehealth",
        "payment",
    )
    sent = {
        s: svc.LOCATOR_CODES.get(s)
        for s in ("methadone", "buprenorphine", "naltrexone", "detox", "telehealth")
    }
    assert sent == {
        "methadone": "METH",
        "buprenorphine": "BU",
        "naltrexone": "NU",
        "detox": "DT",
        "telehealth": "CT",
    }


@pytest.mark.parametrize(
    "service, outcome, wanted",
    [
        (None, "oud", ("methadone", "buprenorphine", "naltrexone")),
        (None, "oih", ()),  # no source tags pain care: the texts point to it instead
        (None, "both", ("methadone", "buprenorphine", "naltrexone")),
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


def test_a_long_street_is_shortened_but_the_town_is_always_said():
    clinic = provider(
        address="Carr 2 Km 9.4 Bo Candelaria Edif Centro Medico Esquina General Valero, Floor 3",
        city="Toa Baja",
        state="PR",
    )
    line = replies.provider_line(1, clinic, renderer("en"))
    assert line.endswith("..., Toa Baja PR") or "..., Toa Baja PR -" in line
    assert line.startswith("1) Clinic - 212-555-0101 - 1.2 mi - Carr 2 Km 9.4")


def test_a_listing_extension_is_texted_after_its_number():
    line = replies.provider_line(1, provider(phone="+16175550132 ext. 12"), renderer("en"))
    assert line.startswith("1) Clinic - 617-555-0132 ext. 12 - 1.2 mi")


@pytest.mark.parametrize(
    ("count", "said"), [(1, "No phone is listed for it."), (2, "No phone is listed for these.")]
)
def test_the_no_phone_line_fits_one_listing_or_several(count, said):
    listings = [provider(name=f"Clinic {n}", phone=None) for n in range(count)]
    texts = replies.result_texts(renderer("en"), "10001", SearchResult(listings, count, "x", False))
    assert said in "\n".join(texts)
