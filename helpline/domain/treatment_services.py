"""Treatment services in the words a texter understands, and how directory text maps to them.

Pure: no I/O. Every source (FindTreatment JSON, SAMHSA CSV, an operator's `--services`) is
normalised here, so search filters and replies speak one vocabulary.
"""

from __future__ import annotations

import re

METHADONE = "methadone"
BUPRENORPHINE = "buprenorphine"
NALTREXONE = "naltrexone"
PAIN = "pain"
DETOX = "detox"
OUTPATIENT = "outpatient"
RESIDENTIAL = "residential"
TELEHEALTH = "telehealth"
PAYMENT = "payment"  # free, sliding-fee or assisted payment: what someone without money asks first

SERVICES = (METHADONE, BUPRENORPHINE, NALTREXONE, PAIN, DETOX, OUTPATIENT, RESIDENTIAL, TELEHEALTH, PAYMENT)
MEDICATIONS = (METHADONE, BUPRENORPHINE, NALTREXONE)

# What a CHECK outcome filters on. OUD -> the medication programs. OIH -> no filter: no source tags
# pain care reliably (SAMHSA files carry no services at all), so the reply points to the prescriber
# and pain care in words and lists the nearest treatment providers.
OUTCOME_SERVICES: dict[str, tuple[str, ...]] = {
    "oud": MEDICATIONS,
    "oih": (),
    "both": MEDICATIONS,
}

# Words texters and operators use -> our names (English and Spanish).
_ALIASES = {
    "methadone": METHADONE,
    "metadona": METHADONE,
    "otp": METHADONE,
    "opioid treatment program": METHADONE,
    "methadone clinic": METHADONE,
    "bupe": BUPRENORPHINE,
    "bup": BUPRENORPHINE,
    "buprenorphine": BUPRENORPHINE,
    "buprenorfina": BUPRENORPHINE,
    "suboxone": BUPRENORPHINE,
    "subutex": BUPRENORPHINE,
    "sublocade": BUPRENORPHINE,
    "zubsolv": BUPRENORPHINE,
    "naltrexone": NALTREXONE,
    "naltrexona": NALTREXONE,
    "vivitrol": NALTREXONE,
    "pain": PAIN,
    "dolor": PAIN,
    "pain management": PAIN,
    "pain care": PAIN,
    "detox": DETOX,
    "detoxification": DETOX,
    "desintoxicacion": DETOX,
    "outpatient": OUTPATIENT,
    "ambulatorio": OUTPATIENT,
    "residential": RESIDENTIAL,
    "residencial": RESIDENTIAL,
    "telehealth": TELEHEALTH,
    "telemedicine": TELEHEALTH,
    "telesalud": TELEHEALTH,
    "payment": PAYMENT,
    "sliding fee": PAYMENT,
    "sliding scale": PAYMENT,
    "free": PAYMENT,
    "gratis": PAYMENT,
}

# FindTreatment service codes as its exports and filters use them (findtreatment.gov's own filter
# list): read from code columns of an export, and sent as `sCodes` (SEND_CODES) to the locator.
LOCATOR_SERVICE_CODES = {
    "METH": METHADONE,
    "MM": METHADONE,  # methadone maintenance, the older code
    "OTP": METHADONE,
    "BU": BUPRENORPHINE,
    "NU": NALTREXONE,
    "DT": DETOX,
    "OP": OUTPATIENT,
    "RES": RESIDENTIAL,
    "CT": TELEHEALTH,
    "NP": PAYMENT,  # free or no-cost care
    "SS": PAYMENT,  # sliding fee scale
    "PA": PAYMENT,  # payment assistance
}
# One code per service when asking the locator. Payment has three codes and the locator requires
# every code sent, so none is sent for it: its rows are filtered here on their PAY/PYAS entries.
LOCATOR_CODES = {
    METHADONE: "METH",
    BUPRENORPHINE: "BU",
    NALTREXONE: "NU",
    DETOX: "DT",
    OUTPATIENT: "OP",
    RESIDENTIAL: "RES",
    TELEHEALTH: "CT",
}


class UnknownService(ValueError):
    """A service word that is not one of SERVICES or their aliases."""


def service_named(word: str) -> str:
    """`Bupe` -> `buprenorphine`; raises UnknownService for anything else."""
    key = " ".join(word.lower().replace("_", " ").split())
    if key in SERVICES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownService(f"unknown service {word!r}; known: {', '.join(SERVICES)}")


def services_named(words: str) -> tuple[str, ...]:
    """`methadone, bupe` -> ('methadone', 'buprenorphine'), in canonical order."""
    found = {service_named(w) for w in re.split(r"[;,|]", words or "") if w.strip()}
    return tuple(s for s in SERVICES if s in found)


def wanted_services(service: str | None, check_outcome: str | None) -> tuple[str, ...]:
    """What a search filters on: an explicit word wins over the CHECK outcome (they asked for it)."""
    if service:
        return (service_named(service),)
    return OUTCOME_SERVICES.get(check_outcome or "", ())


def _has(word: str, phrase: str) -> bool:
    return re.search(rf"\b{word}", phrase) is not None


def _phrase_services(code: str, phrase: str) -> set[str]:
    """What one FindTreatment service phrase says a facility offers; unsure phrases say nothing."""
    p = phrase.lower()
    if re.search(r"\bnot\b", p) or "prescribed elsewhere" in p or _has("accepts clients", p) or "only" in p:
        return set()  # "Does not treat opioid addiction", "Accepts clients on opioid medication"
    found: set[str] = set()
    several_medications = sum(_has(m, p) for m in MEDICATIONS) > 1
    if _has("pain", p):
        found.add(PAIN)  # "Use methadone/buprenorphine for pain management", "co-occurring pain"
    elif not several_medications:  # "methadone/buprenorphine or naltrexone treatment" says none for sure
        if _has("methadone", p) or "opioid treatment program" in p:
            found.add(METHADONE)
        if _has("buprenorphine", p) or _has("suboxone", p):
            found.add(BUPRENORPHINE)
        if _has("naltrexone", p) or _has("vivitrol", p):
            found.add(NALTREXONE)
    if _has("detox", p):
        found.add(DETOX)
    if code in ("SET", "TC", "FT") and _has("outpatient", p):
        found.add(OUTPATIENT)
    if code in ("SET", "TC", "FT") and _has("residential", p):
        found.add(RESIDENTIAL)
    if _has("telemedicine", p) or _has("telehealth", p):
        found.add(TELEHEALTH)
    if code in ("PAY", "PYAS") and any(
        w in p for w in ("sliding fee", "no payment", "free", "payment assistance")
    ):
        found.add(PAYMENT)
    return found


def from_locator_services(entries: list[dict] | None) -> tuple[str, ...]:
    """The services of a FindTreatment row (`services: [{f1, f2, f3}]`, f3 a `;`-separated list)."""
    found: set[str] = set()
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("f2") or "").upper()
        for phrase in str(entry.get("f3") or "").split(";"):
            found |= _phrase_services(code, phrase)
    return tuple(s for s in SERVICES if s in found)


def from_text(text: str | None) -> tuple[str, ...]:
    """Services named in a code or free-text column of an export (`METH; BU; OP`, `Methadone`)."""
    found: set[str] = set()
    for part in re.split(r"[;,|/]", text or ""):
        part = part.strip()
        if not part:
            continue
        if part.upper() in LOCATOR_SERVICE_CODES:
            found.add(LOCATOR_SERVICE_CODES[part.upper()])
            continue
        try:
            found.add(service_named(part))
        except UnknownService:
            found |= _phrase_services("SET", part)
    return tuple(s for s in SERVICES if s in found)
