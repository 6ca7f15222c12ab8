"""Server-drawn SVG charts for the ops pages. Pure: figures in, markup out (no JS needed)."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from helpline.services.figures import Point

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 40, 26, 10


def bar_chart(points: list[Point], title: str, label_format: str = "%H", label_every: int = 3) -> Markup:
    """A bar per bucket, with the count in each bar's tooltip and an accessible summary."""
    return bars([(p.at.strftime(label_format), p.value) for p in points], title, label_every)


def every_nth(count: int, labels: int = 8) -> int:
    """Label every n-th bar so that about `labels` labels fit under the chart."""
    return max(1, math.ceil(count / labels))


def bars(points: list[tuple[str, int]], title: str, label_every: int = 3) -> Markup:
    """A bar per (label, value), the value in each bar's tooltip, and an accessible summary."""
    peak = max((value for _, value in points), default=0)
    scale_top = _nice_ceiling(peak)
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(points), 1)
    total = sum(value for _, value in points)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}: '
        f'{total} in all, peak {peak}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = PAD_TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">')
        parts.append(f"{_short(scale_top * fraction)}</text>")
    for i, (label, value) in enumerate(points):
        height = plot_h * value / scale_top if scale_top else 0
        x = PAD_LEFT + i * step + step * 0.12
        y = PAD_TOP + plot_h - height
        tip = f"{escape(label)}: {value}"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.76:.1f}" height="{height:.1f}" '
            f'data-label="{escape(label)}" data-value="{value}"><title>{tip}</title></rect>'
        )
        if i % label_every == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="axis" x="{x + step * 0.38:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above went through escape()


def _nice_ceiling(value: int) -> int:
    """A round number at or above `value` for the top of the scale (1, 2, 5, 10, 20, 50 …)."""
    if value <= 0:
        return 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10


def _short(value: float) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"
