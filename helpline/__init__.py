"""Helpline: the SMS and voice service of a free, confidential treatment helpline.

Importing the package loads nothing: `create_app` builds the web app on demand, so the pure
domain (`helpline.domain`) imports without Flask.
"""

from __future__ import annotations


def create_app(settings=None, **overrides):
    """The Flask app (see `helpline.app.create_app`)."""
    from helpline.app import create_app as build_app

    return build_app(settings, **overrides)
