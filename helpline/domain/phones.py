"""Phone numbers as the helpline accepts them: pure, no I/O.

A number counts when it could be called or texted back: valid by `phonenumbers`, or one of the
fictional 555 numbers the simulator, the tests and the ops test phone use.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

_EXTENSION = re.compile(r"^(.*?\d)\s*ext\.\s*(\d+)$")


@functools.lru_cache(maxsize=4096)  # people text several times; parsing a number is not free
def callable_number(text: str) -> str | None:
    """`text` (E.164, national US form, or Twilio's `whatsapp:` form) as E.164 when callable, else None."""
    raw = text.removeprefix("whatsapp:").strip()
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not is_fictional(number) and not phonenumbers.is_valid_number(number):  # the cheap check first
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    """A North American 555 number (area code or exchange): never a real person."""
    national = str(number.national_number)
    return number.country_code == 1 and len(national) == 10 and "555" in (national[:3], national[3:6])


def mask_phone(phone: str | None) -> str:
    """`+15551230001` -> `+1******0001` for logs."""
    if not phone:
        return "-"
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 6) + phone[-4:]


def split_extension(phone: str) -> tuple[str, str]:
    """A listing's `+16175550132 ext. 12` -> (`+16175550132`, `12`); a number without one -> (it, "")."""
    match = _EXTENSION.match(phone or "")
    return (match.group(1), match.group(2)) if match else (phone or "", "")
