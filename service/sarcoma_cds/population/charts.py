"""The report's bar charts as plain SVG geometry, drawn by the page's Jinja2 template
(templates/chart.svg.j2): no script, nothing fetched, text that stays text.

Why not a charting library: the report has four bar charts, and matplotlib (the first choice)
cost `screen` 0.3 s to import and 60 ms a chart — a tenth of the whole screening of the
20,000-patient bench, whose goal is three times the floor (bench/README.md). A bar is a
rectangle and two labels; the geometry below is all a library would have added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

WIDTH = 640
FONT = 12  # px
CHAR = 6.6  # px: an average character of a 12 px sans-serif, for the label column and cuts
LABEL_MAX = 44  # characters of a horizontal bar's label shown (the whole one in its tooltip)


@dataclass(frozen=True)
class Bar:
    label: str  # as shown (perhaps cut)
    full: str  # the whole label, for the tooltip
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    title: str
    horizontal: bool
    width: int
    height: int
    bars: tuple[Bar, ...]
    axis: tuple[float, float, float, float]  # the baseline: x1, y1, x2, y2

    @property
    def description(self) -> str:
        return "; ".join(f"{b.full}: {b.value}" for b in self.bars)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def bar_chart(title: str, counts: Iterable[tuple[str, int]], horizontal: bool = True) -> Chart:
    """Bars of `counts` in the order given: horizontal with the labels on the left, or
    vertical with the labels below; each bar with its count."""
    items = list(counts) or [("none", 0)]
    top = max(n for _, n in items) or 1
    if horizontal:
        return _horizontal(title, items, top)
    return _vertical(title, items, top)


def _horizontal(title: str, items: list[tuple[str, int]], top: int) -> Chart:
    row, thick, head = 26, 18, 34
    left = min(max(len(_cut(k)) for k, _ in items) * CHAR + 16, WIDTH * 0.55)
    span = WIDTH - left - 48  # room for the count after the longest bar
    bars = []
    for i, (label, value) in enumerate(items):
        y = head + i * row
        width = span * value / top
        bars.append(
            Bar(
                label=_cut(label),
                full=label,
                value=value,
                x=left,
                y=y,
                width=width,
                height=thick,
                label_x=left - 6,
                label_y=y + thick / 2 + FONT / 3,
                value_x=left + width + 4,
                value_y=y + thick / 2 + FONT / 3,
            )
        )
    height = head + len(items) * row + 8
    return Chart(title, True, WIDTH, height, tuple(bars), (left, head - 4, left, height - 8))


def _vertical(title: str, items: list[tuple[str, int]], top: int) -> Chart:
    head, foot, height = 34, 24, 260
    slot = (WIDTH - 16) / len(items)
    span = height - head - foot - FONT - 4  # room for the count above the tallest bar
    base = height - foot
    bars = []
    for i, (label, value) in enumerate(items):
        tall = span * value / top
        x = 8 + i * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                full=label,
                value=value,
                x=x,
                y=base - tall,
                width=slot * 0.7,
                height=tall,
                label_x=x + slot * 0.35,
                label_y=base + FONT + 4,
                value_x=x + slot * 0.35,
                value_y=base - tall - 4,
            )
        )
    return Chart(title, False, WIDTH, height, tuple(bars), (8, base, WIDTH - 8, base))
