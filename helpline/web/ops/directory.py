"""/ops/directory: the directory's sources and figures, the listings operators should review, and
a search to find any listing (to hide it)."""

from __future__ import annotations

from flask import current_app

from helpline.services import directory_review
from helpline.services.directory_review import DirectoryReview, Found


def _helpline():
    return current_app.extensions["helpline"]


def review(now: float | None = None) -> DirectoryReview:
    return directory_review.review(_helpline(), now)


def find(query: str) -> Found | None:
    """The listings matching a search, or None when nothing was searched for."""
    return directory_review.find(_helpline(), query) if query.strip() else None


def set_hidden(provider_id: str, hide: bool, reason: str, by: str) -> bool:
    return directory_review.set_hidden(_helpline(), provider_id, hide, reason, by)


def report_wrong_number(provider_id: str) -> None:
    directory_review.report_wrong_number(_helpline(), provider_id)
