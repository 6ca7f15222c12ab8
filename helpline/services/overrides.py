"""Business hours and message templates as operators edit them, shared by every process.

The shipped files (config/hours.yaml, config/messages.*.yaml) are the defaults; edits live in
Redis (store.overrides). `LiveSettings` hands texting, voice and the queue the current version: it
checks one version key at most every `check_every` seconds (settings.overrides_refresh_seconds;
at once after this process saves), so the hot path costs one GET a second, not one per message.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from helpline.domain.content import LANGUAGES, Catalog
from helpline.domain.hours import BusinessHours, InvalidHours
from helpline.domain.template_rules import TemplateCheck, as_saved, check_template, too_long_with_hours
from helpline.store import StoreUnavailable
from helpline.store.overrides import Overrides

HISTORY_LIMIT = 500  # template edits kept for audit and rollback


class InvalidTemplate(ValueError):
    """An operator's template edit breaks a rule (segments, placeholders)."""

    def __init__(self, check: TemplateCheck):
        super().__init__("; ".join(check.errors))
        self.check = check


@dataclass(frozen=True)
class TemplateEdit:
    """One saved change to a template: who, when, before and after (None = the shipped default)."""

    id: int
    at: float
    by: str
    lang: str
    key: str
    before: str | None
    after: str | None
    action: str  # edit | rollback | reset


class LiveSettings:
    """The current hours and catalog: the shipped defaults with operators' edits on top."""

    def __init__(
        self, overrides: Overrides, base_catalog: Catalog, base_hours: BusinessHours, check_every: float
    ):
        self.overrides = overrides
        self.base_catalog = base_catalog
        self.base_hours = base_hours
        self.check_every = check_every
        self._lock = threading.Lock()
        self._version: bytes | None = None
        self._checked_at = float("-inf")
        self._catalog = base_catalog
        self._hours = base_hours

    # -- what the line reads --------------------------------------------------------------
    def catalog(self) -> Catalog:
        self._refresh()
        return self._catalog

    def hours(self) -> BusinessHours:
        self._refresh()
        return self._hours

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_every:
            return
        try:
            version = self.overrides.version()
        except StoreUnavailable:
            self._checked_at = now  # asked again after `check_every`, not at every read meanwhile
            return  # keep answering with what we have; the texting path reports Redis itself
        with self._lock:
            self._checked_at = now
            if version == self._version:
                return
            self._catalog, self._hours = self._load()
            self._version = version

    def _load(self) -> tuple[Catalog, BusinessHours]:
        templates, hours = self.overrides.current()
        edited: dict[str, dict[str, str]] = {}
        for field, text in templates.items():
            lang, _, key = field.partition(":")
            if key in self.base_catalog.templates.get(lang, {}):
                edited.setdefault(lang, {})[key] = text
        catalog = self.base_catalog.with_overrides(edited) if edited else self.base_catalog
        try:
            current_hours = BusinessHours.from_dict(hours) if hours else self.base_hours
        except ValueError:
            current_hours = self.base_hours  # a bad stored value never stops the line
        return catalog, current_hours

    def invalidate(self) -> None:
        self._checked_at = float("-inf")

    # -- what operators change ------------------------------------------------------------
    def check(self, lang: str, key: str, text: str) -> TemplateCheck:
        """The check of `text` as template `key`, in every text it is part of as the others stand now,
        with the line's own hours where they are longer than the example."""
        default = self.base_catalog.templates[lang][key]
        current = self.catalog().templates[lang]
        return check_template(key, text, default, lang, current, {"hours": self.hours().describe(lang)})

    def save_template(self, lang: str, key: str, text: str, by: str) -> TemplateEdit:
        """Save an edit after checking it; raises InvalidTemplate (nothing saved) when it breaks a rule."""
        if key not in self.base_catalog.templates.get(lang, {}):
            raise KeyError(f"{lang}:{key}")
        check = self.check(lang, key, text)
        if not check.ok:
            raise InvalidTemplate(check)
        new = as_saved(text, self.base_catalog.templates[lang][key])
        new = None if new == self.base_catalog.templates[lang][key] else new
        return self._write(lang, key, new, by, "edit")

    def reset_template(self, lang: str, key: str, by: str) -> TemplateEdit:
        """Back to the shipped text; the history keeps the edit, so it can be rolled back."""
        if key not in self.base_catalog.templates.get(lang, {}):
            raise KeyError(f"{lang}:{key}")
        return self._write(lang, key, None, by, "reset")

    def rollback(self, edit_id: int, by: str) -> TemplateEdit:
        """Put a template back as it was before edit `edit_id`."""
        edit = next((e for e in self.history() if e.id == edit_id), None)
        if edit is None:
            raise KeyError(edit_id)
        return self._write(edit.lang, edit.key, edit.before, by, "rollback")

    def _write(self, lang: str, key: str, text: str | None, by: str, action: str) -> TemplateEdit:
        field = f"{lang}:{key}"
        edit = TemplateEdit(
            id=self.overrides.next_edit_id(),
            at=time.time(),
            by=by,
            lang=lang,
            key=key,
            before=self.overrides.template(field),
            after=text,
            action=action,
        )
        self.overrides.write_template(field, text, asdict(edit), keep=HISTORY_LIMIT)
        self.invalidate()
        return edit

    def history(self, lang: str | None = None, key: str | None = None) -> list[TemplateEdit]:
        edits = [TemplateEdit(**edit) for edit in self.overrides.history()]
        return [e for e in edits if (lang is None or e.lang == lang) and (key is None or e.key == key)]

    def is_edited(self, lang: str, key: str) -> bool:
        return self.overrides.is_edited(f"{lang}:{key}")

    def save_hours(self, data: dict) -> BusinessHours:
        """Validate (raises InvalidHours) and store business hours; every process uses them at once.
        Hours that would make a text that says them too long to send are refused, as a template is."""
        hours = BusinessHours.from_dict(data)
        templates, shipped = self.catalog().templates, self.base_catalog.templates
        too_long = [
            reason
            for lang in LANGUAGES
            for reason in too_long_with_hours(hours.describe(lang), lang, templates[lang], shipped[lang])
        ]
        if too_long:
            raise InvalidHours("; ".join(too_long), {"weekly": too_long})
        self.overrides.save_hours(hours.to_dict())
        self.invalidate()
        return hours

    def reset_hours(self) -> None:
        self.overrides.reset_hours()
        self.invalidate()


class LiveCatalog(Catalog):
    """A Catalog whose templates are always the current ones (drop-in for texting and voice)."""

    def __init__(self, live: LiveSettings):  # noqa: D107 - no templates of its own
        self._live = live

    @property
    def templates(self) -> dict[str, dict[str, str]]:  # type: ignore[override]
        return self._live.catalog().templates


class LiveHours:
    """Business hours that are always the current ones: every BusinessHours method, delegated."""

    def __init__(self, live: LiveSettings):
        self._live = live

    def __getattr__(self, name: str):
        return getattr(self._live.hours(), name)
