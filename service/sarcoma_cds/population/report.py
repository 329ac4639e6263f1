"""report.html: what the tumour board looks at first — counts by the branch the patients' cards
take and by timing, the disease-free interval, metastatic sites, overdue follow-ups, data
quality (with the patients whose record cannot settle STS or liver disease), and the worklist.

Charts are matplotlib SVG embedded in the page (no script, nothing fetched: the report opens
offline); the page is a Jinja2 template, autoescaped.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import matplotlib
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.figure import Figure

from sarcoma_cds.cards.layout import SUMMARY_TOPIC
from sarcoma_cds.population.rows import GAP_SEPARATOR, SEPARATOR
from sarcoma_cds.population.screen import ScreenResult
from sarcoma_cds.population.work import worker_engine

DFI_BINS = ((0, 6, "≤ 6"), (6, 12, "6–12"), (12, 24, "12–24"), (24, 36, "24–36"), (36, 60, "36–60"))
COLOURS = ("#1f5fa8", "#c77d00", "#1f7a4d", "#8d2b0b", "#7b4fa6")
matplotlib.use("Agg")  # files only, no display
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("sarcoma_cds.population", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
    )


def _bar(title: str, counts: Iterable[tuple[str, int]], horizontal: bool = True) -> Markup:
    items = list(counts) or [("none", 0)]
    labels, values = [k for k, _ in items], [n for _, n in items]
    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.subplots()
    if horizontal:
        bars = axes.barh(labels[::-1], values[::-1], color=COLOURS[0])
    else:
        bars = axes.bar(labels, values, color=COLOURS[0])
    axes.bar_label(bars, padding=2)
    axes.set_title(title, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    svg = io.StringIO()
    figure.savefig(svg, format="svg")
    text = svg.getvalue()
    # The SVG is matplotlib's, with the labels escaped by it; counts and codes, no patient data.
    return Markup(text[text.index("<svg") :])  # noqa: S704


def dfi_bins(values: Iterable[float | None]) -> list[tuple[str, int]]:
    counts = Counter[str]()
    for v in values:
        if v is None:
            counts["unknown"] += 1
            continue
        label = next((lab for lo, hi, lab in DFI_BINS if v <= hi and (v > lo or lo == 0)), "> 60")
        counts[label] += 1
    order = [lab for _, _, lab in DFI_BINS] + ["> 60", "unknown"]
    return [(lab, counts[lab]) for lab in order]


def _split(text: str, sep: str = SEPARATOR) -> list[str]:
    return [p for p in text.split(sep) if p]


def branch_labels() -> dict[str, str]:
    """A branch (a card topic) in words: the title its rule gives the card."""
    labels = {rule.topic: rule.title for rule in worker_engine().rules.rules}
    labels[SUMMARY_TOPIC] = "Status only (no plan or follow-up card)"
    return labels


def render_report(result: ScreenResult, today: date, source: str) -> str:
    rows = result.rows
    labels = branch_labels()
    branches = Counter(labels.get(r["branch"], r["branch"]) for r in rows)
    off_list = Counter(labels.get(r["branch"], r["branch"]) for r in result.off_list)
    timing = Counter(r["timing"] or "unknown" for r in rows)
    sites = Counter(s for r in rows for s in _split(r["sites"]))
    overdue = [r for r in rows if r["followup_overdue"] == "yes"]
    with_gaps = [r for r in rows if r["data_gaps"]]
    gap_kinds = Counter(
        g.split(" (")[0] for r in with_gaps for g in _split(r["data_gaps"], GAP_SEPARATOR)
    )
    charts = {
        "branches": _bar("Worklist patients by branch", branches.most_common()),
        "timing": _bar("Patients by timing", sorted(timing.items()), horizontal=False),
        "dfi": _bar(
            "Disease-free interval (months)", dfi_bins(r["dfi_months"] for r in rows), False
        ),
        "sites": _bar("Metastatic sites", sites.most_common()),
    }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=result,
            today=today.isoformat(),
            source=source,
            charts=charts,
            overdue=overdue,
            with_gaps=len(with_gaps),
            gap_kinds=gap_kinds.most_common(10),
            off_list=off_list.most_common(),
            labels=labels,
            split=_split,
            gap_separator=GAP_SEPARATOR,
        )
    )
