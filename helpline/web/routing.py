"""URL rules whose URL builders are made when `url_for` first needs them, not when the app is built.

Werkzeug compiles two Python functions per route as the route is added (~0.1 ms each, ~16 ms for the app's
routes): most of what building the app cost, paid again by every process that starts (each gunicorn and RQ
worker, each `flask` command, each test), for routes whose URLs are mostly never built there.
"""

from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        name = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, **values):
            made = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, made)  # from now on, the compiled builder itself
            return made(**values)

        return build
