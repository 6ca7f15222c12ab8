"""What operators read for each counted menu choice: words, not the counters' keys (`callback_done`)."""

from __future__ import annotations

from helpline.services.figures import in_words

TEXT_CHOICES = {
    "oih": "OIH (what it is)",
    "signs": "SIGNS",
    "tolerance": "TOLERANCE",
    "treat": "TREAT",
    "check": "CHECK (self-check)",
    "call": "CALL (asked for a callback)",
    "more": "MORE (next providers)",
    "menu": "MENU",
    "spanish": "ESPAÑOL",
    "english": "ENGLISH",
    "search": "a ZIP or city (provider search)",
    "service": "a kind of treatment (e.g. methadone)",
    "ask_state": "a city without its state",
    "ask_city": "a state without its city",
    "ask_place": "no ZIP known, or a street address (asked for a ZIP or city)",
    "call_withdraw": "took back a callback request",
    "no_call": "asked not to be called",
    "opted_out": "texted while opted out",
    "crisis": "crisis words",
    "optout": "STOP (opted out)",
    "optin": "START (back in)",
    "help": "HELP",
    "about": "about the line",
    "thanks": "thanks",
    "follow_up": "answer to a check-in text",
    "unknown": "not understood (menu sent)",
}

CALL_CHOICES = {
    "greeting": "call answered (greeting)",
    "info": "1 what OIH is",
    "treatment": "2 find treatment",
    "callback": "3 callback",
    "talk": "4 talk to someone now",
    "emergency": "0 emergency",
    "spanish": "9 español",
    "english": "English",
    # A keyed ZIP is searched in its own step, which counts as the search's outcome (below).
    "zip_spoken": "ZIP said (read back to confirm)",
    "zip_misheard": "ZIP heard wrong (asked again)",
    "city_spoken": "city and state said for the ZIP (read back to confirm)",
    "ask_state": "a city said without its state (asked which)",
    "no_call": "said not to call them back",
    "zip": "ZIP said or asked again",  # counted so before the two above were told apart
    "search": "providers read out",
    "search_empty": "nobody found near the ZIP",
    "search_failed": "could not search",
    "text_providers": "providers texted as well",
    "callback_number": "asked for a callback number",
    "number": "callback number keyed",
    "callback_requested": "callback number confirmed",
    "callback_done": "callback request made",
    "talk_ring": "staff phones rung",
    "talk_answered": "staff answered",
    "voicemail": "sent to voicemail",
    "dial_988": "put through to 988",
    "repeat": "menu said again (no or wrong input)",
    "goodbye": "goodbye from the line",
    "menu": "back to the menu",
    "crisis": "crisis words",
    "unknown": "not understood",
}


def labelled(counts: dict[str, int], labels: dict[str, str]) -> dict[str, int]:
    """`{"callback_done": 2}` -> `{"callback request made": 2}`, in the same order; unknown keys in words."""
    return in_words(counts, labels)
