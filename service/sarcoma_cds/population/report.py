"""report.html: what the tumour board looks at first — counts by the branch the patients' cards
take and by timing, the disease-free interval, metastatic sites, overdue follow-ups, data
quality (with the patients whose record cannot settle STS or liver disease), and the worklist.

Charts are SVG drawn by the page's template from charts.py's geometry (no script, nothing
fetched: the report opens offline); the page is a Jinja2 template, autoescaped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from sarcoma_cds.cards.layout import SUMMARY_TOPIC
from sarcoma_cds.population.charts import bar_chart
from sarcoma_cds.population.rows import GAP_SEPARATOR, SEPARATOR
from sarcoma_cds.population.screen import ScreenResult
from sarcoma_cds.population.work import worker_engine

DFI_BINS = ((0, 6, "≤ 6"), (6, 12, "6–12"), (12, 24, "12–24"), (24, 36, "24–36"), (36, 60, "36–60"))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("sarcoma_cds.population", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
    )


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
        "branches": bar_chart("Worklist patients by branch", branches.most_common()),
        "timing": bar_chart("Patients by timing", sorted(timing.items()), horizontal=False),
        "dfi": bar_chart(
            "Disease-free interval (months)", dfi_bins(r["dfi_months"] for r in rows), False
        ),
        "sites": bar_chart("Metastatic sites", sites.most_common()),
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
