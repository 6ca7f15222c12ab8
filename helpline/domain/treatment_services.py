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
PAYMENT = "payment"  # free, sliding-fee or Medicaid care: what someone without money asks first

SERVICES = (METHADONE, BUPRENORPHINE, NALTREXONE, PAIN, DETOX, OUTPATIENT, RESIDENTIAL, TELEHEALTH, PAYMENT)
MEDICATIONS = (METHADONE, BUPRENORPHINE, NALTREXONE)

# What a CHECK outcome looks for: OUD -> medication programs; OIH -> pain care; both -> either.
OUTCOME_SERVICES: dict[str, tuple[str, ...]] = {
    "oud": MEDICATIONS,
    "oih": (PAIN,),
    "both": MEDICATIONS + (PAIN,),
}

# Words and codes seen in exports and typed by operators -> our names.
_ALIASES = {
    "methadone": METHADONE,
    "otp": METHADONE,
    "opioid treatment program": METHADONE,
    "mm": METHADONE,
    "bupe": BUPRENORPHINE,
    "buprenorphine": BUPRENORPHINE,
    "suboxone": BUPRENORPHINE,
    "bu": BUPRENORPHINE,
    "naltrexone": NALTREXONE,
    "vivitrol": NALTREXONE,
    "nu": NALTREXONE,
    "pain": PAIN,
    "pain management": PAIN,
    "detox": DETOX,
    "detoxification": DETOX,
    "dt": DETOX,
    "outpatient": OUTPATIENT,
    "op": OUTPATIENT,
    "residential": RESIDENTIAL,
    "res": RESIDENTIAL,
    "telehealth": TELEHEALTH,
    "telemedicine": TELEHEALTH,
    "payment": PAYMENT,
    "sliding fee": PAYMENT,
    "medicaid": PAYMENT,
    "free": PAYMENT,
}

# FindTreatment locator `sCodes` for a service (the locator filters; we still filter ourselves).
LOCATOR_CODES = {
    METHADONE: "MM",
    BUPRENORPHINE: "BU",
    NALTREXONE: "NU",
    DETOX: "DT",
    OUTPATIENT: "OP",
    RESIDENTIAL: "RES",
    TELEHEALTH: "TELE",
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


def _phrase_services(code: str, phrase: str) -> set[str]:
    p = phrase.lower()
    found: set[str] = set()
    several_medications = sum(m in p for m in MEDICATIONS) > 1
    if "pain" in p:
        found.add(PAIN)  # e.g. "Use methadone/buprenorphine for pain management"
    elif not several_medications:  # "methadone/buprenorphine or naltrexone treatment" says none for sure
        if "methadone" in p or "opioid treatment program" in p:
            found.add(METHADONE)
        if "buprenorphine" in p or "suboxone" in p:
            found.add(BUPRENORPHINE)
        if "naltrexone" in p or "vivitrol" in p:
            found.add(NALTREXONE)
    if "detox" in p:
        found.add(DETOX)
    if code in ("SET", "TC", "FT") and "outpatient" in p:
        found.add(OUTPATIENT)
    if code in ("SET", "TC", "FT") and "residential" in p:
        found.add(RESIDENTIAL)
    if "telemedicine" in p or "telehealth" in p:
        found.add(TELEHEALTH)
    if code in ("PAY", "PYAS") and (
        "sliding fee" in p or "no payment" in p or "medicaid" in p or "free" in p
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
    """Services named in a free-text or code column of a CSV export (`MM; BU; OP`, `Methadone`)."""
    found: set[str] = set()
    for part in re.split(r"[;,|/]", text or ""):
        part = part.strip()
        if not part:
            continue
        try:
            found.add(service_named(part))
        except UnknownService:
            found |= _phrase_services("SET", part)
    return tuple(s for s in SERVICES if s in found)
