"""The report's bar charts: geometry from counts, drawn by the page's template."""

from __future__ import annotations

from typing import Any

import pytest

from sarcoma_cds.population.charts import LABEL_MAX, WIDTH, bar_chart


def test_horizontal_bars_are_proportional_and_keep_their_order() -> None:
    chart = bar_chart("Sites", [("liver", 40), ("lung", 10), ("bone", 0)])
    assert [b.full for b in chart.bars] == ["liver", "lung", "bone"]
    liver, lung, bone = chart.bars
    assert lung.width == pytest.approx(liver.width / 4)
    assert bone.width == 0
    assert all(b.value_x + 30 <= WIDTH for b in chart.bars)  # the count fits after the bar
    assert liver.y < lung.y < bone.y
    assert chart.description == "liver: 40; lung: 10; bone: 0"


def test_a_long_label_is_cut_and_whole_in_the_tooltip() -> None:
    long = "Treatment pathway for a first liver presentation of a retroperitoneal sarcoma"
    (bar,) = bar_chart("Branches", [(long, 3)]).bars
    assert len(bar.label) == LABEL_MAX and bar.label.endswith("…")
    assert bar.full == long


def test_vertical_bars_stand_on_one_baseline() -> None:
    chart = bar_chart("DFI", [("≤ 6", 2), ("6–12", 4), ("unknown", 0)], horizontal=False)
    bottoms = {round(b.y + b.height, 6) for b in chart.bars}
    assert bottoms == {chart.axis[1]}
    assert chart.bars[0].height == pytest.approx(chart.bars[1].height / 2)


def test_no_counts_draw_one_empty_bar() -> None:
    (bar,) = bar_chart("Nothing", []).bars
    assert (bar.full, bar.value, bar.width) == ("none", 0, 0)


def test_the_template_draws_an_accessible_escaped_svg() -> None:
    from sarcoma_cds.population.report import _environment

    chart = bar_chart("Sites & more", [("<liver>", 2)])
    macros: Any = _environment().get_template("chart.svg.j2").module
    svg = str(macros.chart(chart, "sites"))
    assert svg.startswith("<svg") and svg.count("<rect") == 1
    assert 'role="img" aria-labelledby="sites-title sites-desc"' in svg
    assert "&lt;liver&gt;" in svg and "<liver>" not in svg
    assert '<title id="sites-title">Sites &amp; more</title>' in svg
