"""Providers to refer a person to, from a request's page: where to search by default, and the search.

The default place is what the conversation tells: their ZIP, the place they searched ("Chicago, IL
methadone"), else the area their number belongs to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import phonenumbers

from helpline.domain import places
from helpline.domain.callback_rules import CallbackRequest
from helpline.domain.providers import Provider
from helpline.services import callbacks

if TYPE_CHECKING:
    from helpline.container import Helpline

log = logging.getLogger(__name__)

SHOWN = 8


@dataclass(frozen=True)
class Search:
    near: str
    providers: list[Provider]
    note: str = ""  # why nothing is listed, when nothing is


def default_place(hl: Helpline, request: CallbackRequest) -> tuple[str, str]:
    """(place to search near, where it came from) for this request; ("", why not) when unknown."""
    if request.zip:
        return request.zip, "From their ZIP code."
    location = (hl.store.load_state(request.phone_id) or {}).get("location")
    if location and places.locate(location):
        label = places.locate(location).label
        return label, f"From their texts: they searched near {label}."
    area = area_of_number(callbacks.phone_of(hl.store, request))
    if area:
        return area, f"From their phone number's area code ({area}); ask where they are."
    return "", "Their ZIP or town is not known yet: ask them."


def area_of_number(phone: str) -> str | None:
    """`Chicago, IL` for a 312 number: the area code's city, when it names one we can search near."""
    try:
        parsed = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return None
    from phonenumbers import geocoder  # 0.6 s of area-code data: loaded on first use, not by every command

    described = geocoder.description_for_number(parsed, "en")
    if "," not in described:
        return None  # a whole state ("Alaska") is too wide to search near
    found = places.locate(described.lower())
    return found.label if found else None


def search(hl: Helpline, near: str) -> Search:
    """The nearest providers to `near` (a ZIP or "city, ST"); never raises: the page must open."""
    near = (near or "").strip()[:60]
    if not near:
        return Search("", [])
    place = places.locate(near.lower())
    if place is None:
        return Search(near, [], f'"{near}" is not a ZIP code or a "city, ST" we know.')
    try:
        from helpline.services.provider_search import find_providers

        result = find_providers(hl, place, limit=SHOWN)
    except Exception:  # the page must still open when the directory is down
        log.exception("event=staff.provider_search_failed")
        return Search(place.label, [], "The provider search is not answering; try again in a minute.")
    note = "" if result.providers else f"No providers found near {place.label}. Try a nearby ZIP or city."
    if getattr(result, "unavailable", False) and not result.providers:
        note = "The provider search is not answering; try again in a minute."
    return Search(place.label, list(result.providers), note)


def provider(hl: Helpline, near: str, provider_id: str) -> Provider | None:
    """One provider from the search near `near` (the one staff clicked on)."""
    return next((p for p in search(hl, near).providers if p.id == provider_id), None)
