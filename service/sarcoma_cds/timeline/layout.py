"""Geometry of the timeline chart: where each event, span and mark goes, in SVG user units.

Computed here, in plain code that the snapshot tests pin down, so the template only draws. An
exact date is a point; a coarse one ("2025", "2025-03") a box over all the days it may denote;
a treatment period a bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sarcoma_cds.timeline.model import Timeline
from sarcoma_cds.values.dates import DateInterval

WIDTH = 1000
LEFT = 200  # lane titles to the left of this
RIGHT = 20
TOP = 64  # axis labels and mark labels above the lanes
ROW = 26  # one row of events in a lane
LANE_PAD = 10
SPAN_ROW = 30
CHAR = 6.0  # average width of a character at the chart's 11 px font
MIN_DAYS = 120


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    major: bool


@dataclass(frozen=True)
class Item:
    x1: float  # x1 == x2: an exact date, drawn as a point
    x2: float
    y: float
    label: str
    label_x: float
    title: str  # full text for the tooltip: label and date as written
    anchor: str  # "start", or "end" near the right edge (the label reads leftwards)
    shape: str  # "point", "range" (coarse date) or "bar" (period)
    css: str  # status classes: "active", "resolved planned", ...


@dataclass(frozen=True)
class LaneBox:
    title: str
    y: float
    height: float
    items: tuple[Item, ...]


@dataclass(frozen=True)
class SpanBox:
    kind: str
    x1: float
    x2: float
    y: float
    label: str
    title: str


@dataclass(frozen=True)
class MarkBox:
    kind: str
    x1: float
    x2: float
    label: str
    label_y: float
    anchor: str
    title: str


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    plot_left: int
    plot_right: int
    lanes_top: float
    lanes_bottom: float
    ticks: tuple[Tick, ...]
    lanes: tuple[LaneBox, ...]
    spans: tuple[SpanBox, ...]
    marks: tuple[MarkBox, ...]


class _Scale:
    def __init__(self, first: date, last: date) -> None:
        days = max((last - first).days, MIN_DAYS)
        pad = timedelta(days=max(days // 20, 10))
        self.start = first - pad
        self.end = self.start + timedelta(days=days) + 2 * pad
        self.total = (self.end - self.start).days

    def x(self, d: date) -> float:
        return round(LEFT + (d - self.start).days / self.total * (WIDTH - LEFT - RIGHT), 1)

    def xs(self, d: DateInterval) -> tuple[float, float]:
        # +1 day on the right: "2025-03" covers the whole of 31 March.
        x1 = self.x(d.earliest)
        return (x1, x1) if d.exact else (x1, self.x(d.latest + timedelta(days=1)))


def layout(timeline: Timeline) -> Layout:
    scale = _scale(timeline)
    ticks = _ticks(scale)
    y = float(TOP)
    lanes: list[LaneBox] = []
    for lane in timeline.lanes:
        rows: list[float] = []  # right edge of the last label in each row
        items: list[Item] = []
        for e in lane.events:
            assert e.start is not None
            x1, x2 = scale.xs(e.start)
            shape = "range" if not e.start.exact else "point"
            when, short = e.start.text, e.start.text
            if e.is_bar and e.end is not None:
                x2 = scale.xs(e.end)[1]
                shape = "bar"
                when, short = f"{e.start.text} to {e.end.text}", f"{e.start.text}–{e.end.text}"
            elif e.status == "ongoing":
                x2 = scale.x(timeline.today)
                shape = "bar"
                when, short = f"{e.start.text} to today (ongoing)", f"{e.start.text}→"
            label = _clip(f"{short} {e.label}")
            width = len(label) * CHAR
            anchor, label_x = "start", x1 + (8 if shape == "point" else 0)
            if label_x + width > WIDTH - RIGHT:
                anchor, label_x = "end", (x1 - 8 if shape == "point" else x2)
            lo = min(x1, label_x - width if anchor == "end" else label_x)
            hi = max(x2, label_x if anchor == "end" else label_x + width)
            row = next((i for i, edge in enumerate(rows) if edge < lo - 4), None)
            if row is None:
                rows.append(0.0)
                row = len(rows) - 1
            rows[row] = hi
            css = e.status + (" unconfirmed" if e.unconfirmed else "")
            item_y = y + LANE_PAD + row * ROW + ROW / 2
            title = f"{e.label} — {when} ({e.ref})"
            items.append(Item(x1, x2, item_y, label, label_x, title, anchor, shape, css))
        height = LANE_PAD * 2 + max(len(rows), 1) * ROW
        lanes.append(LaneBox(lane.title, y, height, tuple(items)))
        y += height
    lanes_bottom = y
    spans: list[SpanBox] = []
    for s in timeline.spans:
        x1 = scale.xs(s.start)[0]
        x2 = scale.xs(s.end)[1]
        y += SPAN_ROW
        title = f"{s.label}: {s.start.text} to {s.end.text}. {s.detail}".strip()
        spans.append(SpanBox(s.kind, x1, x2, y, s.label, title))
    height = int(y + SPAN_ROW)
    marks: list[MarkBox] = []
    for i, m in enumerate(timeline.marks):
        x1, x2 = scale.xs(m.when)
        # Alternate the label rows so that neighbouring marks do not print over each other.
        anchor = "end" if x1 + len(m.label) * CHAR > WIDTH - RIGHT else "start"
        label_y = 14.0 + 12 * (i % 3)
        marks.append(MarkBox(m.kind, x1, x2, m.label, label_y, anchor, f"{m.label}: {m.when}"))
    return Layout(
        width=WIDTH,
        height=height,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        lanes_top=float(TOP),
        lanes_bottom=lanes_bottom,
        ticks=tuple(ticks),
        lanes=tuple(lanes),
        spans=tuple(spans),
        marks=tuple(marks),
    )


def _clip(text: str, limit: int = 60) -> str:
    """Chart labels stay short; the tooltip and the table carry the full text."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _scale(timeline: Timeline) -> _Scale:
    days: list[date] = [timeline.today]
    for e in timeline.dated_events():
        assert e.start is not None
        days += [e.start.earliest, e.start.latest]
        if e.end is not None:
            days += [e.end.earliest, e.end.latest]
    for m in timeline.marks:
        days += [m.when.earliest, m.when.latest]
    return _Scale(min(days), max(days))


def _ticks(scale: _Scale) -> list[Tick]:
    """Years, and quarters when the chart spans three years or less."""
    quarters = scale.total <= 3 * 366
    ticks: list[Tick] = []
    for year in range(scale.start.year, scale.end.year + 1):
        for month in (1, 4, 7, 10) if quarters else (1,):
            d = date(year, month, 1)
            if scale.start <= d <= scale.end:
                major = month == 1
                label = str(year) if major else d.strftime("%b")
                if not ticks and not major:
                    label = f"{label} {year}"  # the year of a chart that starts mid-year
                ticks.append(Tick(scale.x(d), label, major))
    return ticks
