"""Search results as texts: nearest first, each text at most two SMS segments. Pure: no I/O.

Layout is the same in every language; the words (header, "no phone listed", service names,
MORE/CALL footer, the lines that say a filter found nothing or a source could not be asked) come
from the message catalog, so operators can edit them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from helpline.domain.content import GSM7_BASIC, GSM7_EXTENDED, count_segments
from helpline.domain.phones import split_extension
from helpline.domain.providers import Provider, SearchResult

MAX_SEGMENTS = 2
NAME_MAX = 70
ADDRESS_MAX = 70
_PLAIN = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u00a0": " ",
}

Render = Callable[..., str]  # render(key, **params) -> text in the texter's language


def gsm_safe(text: str) -> str:
    """Keep a text in GSM-7 (a name with one curly quote would halve what fits in a segment)."""
    out = []
    for char in text:
        char = _PLAIN.get(char, char)
        if char in GSM7_BASIC or char in GSM7_EXTENDED:
            out.append(char)
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append("".join(c for c in folded if c in GSM7_BASIC))
    return " ".join("".join(out).split())


def _fits(text: str) -> bool:
    return count_segments(text).count <= MAX_SEGMENTS


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip(" ,.-") + "..."


def _display_name(name: str) -> str:
    return name.title() if name.isupper() and len(name) > 4 else name  # SHOUTING EXPORTS read badly


def _full_name(provider: Provider) -> str:
    """`Region Ten Community Services Board, Mohr Center`: one organisation runs many sites."""
    site = provider.site
    name = _display_name(provider.name)
    return f"{name}, {_display_name(site)}" if site and site.lower() not in name.lower() else name


def _phone(phone: str | None, render: Render) -> str:
    """`+12125550101` -> `212-555-0101`; a listing's extension after it (`617-555-0132 ext. 12`)."""
    if not phone:
        return render("provider_no_phone")
    number, extension = split_extension(phone)
    if number.startswith("+1") and len(number) == 12:
        number = f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return f"{number} ext. {extension}" if extension else number


def provider_line(number: int, provider: Provider, render: Render) -> str:
    """`1) Name - 212-555-0101 - 0.4 mi - 1 W 29th St, New York NY - methadone, pain care`."""
    miles = f"{'~' if provider.approximate else ''}{provider.miles:.1f} mi"
    town = f"{provider.city} {provider.state}".strip()
    # A long street is shortened, never the town after it: where it is matters more than the suite.
    room = ADDRESS_MAX - len(town) - 2 if town else ADDRESS_MAX
    street = _shorten(provider.address, max(room, 12)) if provider.address else ""
    where = ", ".join(x for x in (street, town) if x)
    parts = [
        f"{number}) {_shorten(_full_name(provider), NAME_MAX)}",
        _phone(provider.phone, render),
        miles,
        _shorten(where, ADDRESS_MAX),
    ]
    if provider.services:
        parts.append(", ".join(render(f"service_{s}") for s in provider.services))
    line = gsm_safe(" - ".join(p for p in parts if p))
    while not _fits(line):  # last resort; with the caps above only pathological data gets here
        line = _shorten(line, len(line) - 10)
    return line


def _pack(lines: list[str]) -> list[str]:
    """Join lines into as few texts as fit, never splitting a line."""
    texts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if _fits(candidate):
            current = candidate
        else:
            texts.append(current)
            current = line
    if current:
        texts.append(current)
    return texts


def _header(render: Render, place: str, result: SearchResult, page: int, outcome: str | None) -> str:
    if page:
        return render("results_header_more", place=place)
    if result.fallback:  # "No listing near 02115 says it offers buprenorphine; these are the nearest..."
        service = "/".join(render(f"service_{s}") for s in result.fallback)
        return render("results_fallback", place=place, service=service)
    if outcome == "oih":  # no source tags pain care: say where it is found, then list the nearest
        return render("results_header_oih", place=place)
    return render("results_header", place=place)


def result_texts(
    render: Render,
    place_label: str,
    result: SearchResult,
    page: int = 0,
    per_page: int = 3,
    outcome: str | None = None,
) -> list[str]:
    """The texts for one page of results, or the graceful answer when there are none."""
    place = gsm_safe(place_label)
    if not result.providers:
        if result.unavailable:
            return [render("results_unavailable", place=place)]
        return [render("results_no_more" if page else "results_none", place=place)]
    first = page * per_page + 1  # MORE continues the numbering: 4), 5), 6)
    lines = [_header(render, place, result, page, outcome)]
    lines += [provider_line(first + i, p, render) for i, p in enumerate(result.providers)]
    if not any(p.phone for p in result.providers):  # nobody here to call: someone who can help reach them
        lines.append(render("results_no_phone" if len(result.providers) > 1 else "results_no_phone_one"))
    lines.append(render("results_footer_more" if result.more else "results_footer_last"))
    return _pack(lines)
