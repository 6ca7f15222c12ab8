"""YAML as the service's content files are read: with libyaml's parser when PyYAML has it (about ten times
faster than its pure-Python one, the same safe subset), since every app, worker and test reads the message
catalogs, lexicons and hours."""

from __future__ import annotations

from typing import IO, Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: IO[str]) -> Any:
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader
