"""axe-core in the page under test: every staff page must have no serious or critical violation."""

from __future__ import annotations

import functools
from pathlib import Path

AXE = Path(__file__).resolve().parent / "axe" / "axe-core-4.14.1.min.js"
BLOCKING = ("serious", "critical")


@functools.lru_cache(maxsize=1)
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """Run axe-core (WCAG 2.x A/AA and best practices) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's devtools protocol: the page's content policy (no inline script)
        # is not loosened for the test.
        page.evaluate(_source() + "\n;typeof window.axe")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def assert_accessible(page, where: str = "") -> None:
    """Fail with each serious or critical violation: rule, what it means, and where on the page."""
    found = axe_violations(page)
    assert not found, f"axe on {where or page.url}:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}" for v in found
    )
