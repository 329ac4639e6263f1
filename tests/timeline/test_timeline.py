"""The timeline model, its layout and its SVG, on the example patients (pure: no server, no
clock). The SVG of three patients is pinned by snapshots: synchronous (21), metachronous with
re-resection (29), partial dates (04)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from markupsafe import escape
from syrupy.assertion import SnapshotAssertion
from tests.conftest import load_example, load_manifest

from sarcoma_cds.pipeline import Engine
from sarcoma_cds.timeline.render import render_svg, render_view
from sarcoma_cds.timeline.view import TumourBoardView, build_view

MANIFEST = {e["file"]: e for e in load_manifest()}
SNAPSHOTTED = [
    "21-asps-synchronous-stable-on-therapy.json",
    "29-re-metastasectomy-long-tfi.json",
    "04-partial-date-timing-indeterminate.json",
]


def view_of(engine: Engine, name: str, today: str | None = None) -> TumourBoardView:
    request = load_example(name)
    day = date.fromisoformat(today or MANIFEST[name]["today"])
    return build_view(engine, request["context"]["patientId"], request["prefetch"], day)


def _events(view: TumourBoardView) -> dict[str, Any]:
    return {e.ref: e for e in view.timeline.dated_events()}


@pytest.mark.parametrize("name", SNAPSHOTTED, ids=[n[:2] for n in SNAPSHOTTED])
def test_svg_snapshot(engine: Engine, name: str, snapshot: SnapshotAssertion) -> None:
    view = view_of(engine, name)
    assert render_svg(view.layout, view.patient_id) == snapshot


def test_metachronous_with_re_resection(engine: Engine) -> None:
    view = view_of(engine, "29-re-metastasectomy-long-tfi.json")
    events = _events(view)
    assert [lane.title for lane in view.timeline.lanes] == [
        "Primary tumour",
        "Metastases: liver",
        "Local treatment",
        "Imaging & assessments",
    ]
    assert events["Condition/liver-met-first"].status == "resolved"
    assert events["Condition/liver-met-recurrence"].status == "active"
    assert events["Procedure/hepatectomy"].lane == "local"
    dfi, tfi = view.timeline.spans
    assert (dfi.kind, dfi.label) == ("dfi", "DFI 41 months · metachronous")
    assert (dfi.start.text, dfi.end.text) == ("2019-04-08", "2022-09-12")
    assert (tfi.kind, tfi.label) == ("tfi", "TFI 41 months · favourable")
    assert (tfi.start.text, tfi.end.text) == ("2022-11-10", "2026-04-15")
    marks = {m.label: m.when.text for m in view.timeline.marks}
    assert marks["6 months: synchronous ≤ | metachronous >"] == "2019-10-08"
    assert marks["DFI 12 months (long DFI >)"] == "2020-04-08"
    assert marks["TFI 12 months"] == "2023-11-10"
    # 13.1: a CT on 2026-04-15, 3.4 years after the operation: every 6 months.
    assert marks["Surveillance CT due (every 6 months (to the end of year 5))"] == "2026-10-15"


def test_synchronous_patient_on_therapy_draws_an_ongoing_line(engine: Engine) -> None:
    view = view_of(engine, "21-asps-synchronous-stable-on-therapy.json")
    line = _events(view)["Procedure/systemic-therapy"]
    assert (line.lane, line.status) == ("systemic", "ongoing")
    # The cards' words: the generic procedure names no regimen (REVIEW4 m5).
    assert line.label == "Line 1: chemotherapy, agents not recorded (ongoing)"
    [item] = [i for lane in view.layout.lanes for i in lane.items if "chemotherapy" in i.label]
    assert item.shape == "bar"
    today_x = next(m.x1 for m in view.layout.marks if m.kind == "today")
    assert item.x2 == today_x  # the bar runs to today
    [dfi] = view.timeline.spans
    assert dfi.label == "DFI 17 days · synchronous"


def test_a_coarse_date_is_a_range_not_a_point(engine: Engine) -> None:
    view = view_of(engine, "04-partial-date-timing-indeterminate.json")
    primary = _events(view)["Condition/dx-sarcoma"]
    assert (primary.start.earliest, primary.start.latest) == (date(2025, 1, 1), date(2025, 12, 31))
    [item] = [i for i in view.layout.lanes[0].items]
    assert item.shape == "range"
    assert item.x2 - item.x1 > 100  # a whole year wide
    [dfi] = view.timeline.spans
    assert dfi.label == "DFI 2–14 months · timing indeterminate"
    boundary = next(m for m in view.timeline.marks if m.kind == "boundary")
    assert (boundary.when.earliest, boundary.when.latest) == (date(2025, 7, 1), date(2026, 6, 30))


def test_overdue_follow_up_is_marked(engine: Engine) -> None:
    view = view_of(engine, "32-follow-up-overdue.json")
    [overdue] = [m for m in view.timeline.marks if m.kind == "overdue"]
    assert overdue.label.startswith("Surveillance CT overdue")
    assert overdue.when.latest < view.today


def test_every_example_renders_with_every_fact_and_card(engine: Engine) -> None:
    for name in MANIFEST:
        view = view_of(engine, name)
        html = render_view(view)
        assert html.count('<tr><th scope="row">') == len(view.facts)
        for card in view.cards:
            assert str(escape(card.summary)) in html
        for row in view.table:
            assert row.ref in html


def test_non_consensus_recommendations_are_marked(engine: Engine) -> None:
    shown: dict[str, bool] = {}
    for name in MANIFEST:
        for card in view_of(engine, name).cards:
            for rec in card.recommendations:
                shown[rec.id] = rec.consensus_reached
    html = "".join(render_view(view_of(engine, n)) for n in MANIFEST)
    not_reached = {i for i, reached in shown.items() if not reached}
    assert not_reached <= {"3.2", "5.5", "10.2"}
    assert not_reached, "at least one example cites a non-consensus recommendation"
    assert html.count("No consensus</span>") >= len(not_reached)


def test_patient_text_is_escaped(engine: Engine) -> None:
    request = load_example("29-re-metastasectomy-long-tfi.json")
    condition = request["prefetch"]["conditions"]["entry"][0]["resource"]
    condition["code"]["text"] = "<script>alert(1)</script>"
    view = build_view(engine, "pt-29", request["prefetch"], date(2026, 6, 1))
    html = render_view(view)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_the_svg_has_an_accessible_name_and_a_tooltip_per_event(engine: Engine) -> None:
    view = view_of(engine, "29-re-metastasectomy-long-tfi.json")
    svg = render_svg(view.layout, view.patient_id)
    assert 'role="img"' in svg
    assert 'aria-labelledby="tl-title tl-desc"' in svg
    titles = re.findall(r'<g class="event [^"]*"><title>([^<]*)</title>', svg)
    assert len(titles) == len(view.timeline.dated_events())


def test_facts_that_do_not_apply_are_not_asked_to_be_settled(engine: Engine) -> None:
    view = view_of(engine, "01-metachronous-lms-liver-only.json")  # no recurrence, no resection
    rows = {row.name: row for row in view.facts}
    tfi = rows["tfi_months"]
    assert (tfi.state, tfi.value) == ("not_applicable", "not applicable")
    assert tfi.explanation == "no liver recurrence after local treatment"
    bilobar = rows["bilobar"]
    assert (bilobar.state, bilobar.explanation) == ("unknown", "To settle: bilobar not recorded")
    assert not [s for s in view.timeline.spans if s.kind == "tfi"]
