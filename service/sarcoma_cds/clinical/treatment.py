"""Treatment history (§1.3, §1.5; 9.1, 9.2, 8.3): the facts of every treatment together.
Liver and primary resections and prior abdominal surgery are derived here; the systemic therapy
facts (`systemic_therapy.py`), the lines (`lines.py`), liver recurrence and the TFI
(`recurrence.py`) and the response (`response.py`) are gathered from their modules.
"""

from __future__ import annotations

from sarcoma_cds.clinical.dating import latest_of
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.lines import group_lines, perioperative_fact, split_at_metastasis
from sarcoma_cds.clinical.liver_directed import liver_directed, no_dated_resection
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.recurrence import recurrence_facts
from sarcoma_cds.clinical.resources import Dx
from sarcoma_cds.clinical.response import (
    progression_stale,
    progression_without_metastatic_therapy,
    response_facts,
)
from sarcoma_cds.clinical.systemic_therapy import (
    metastatic_line_facts,
    systemic_events,
    systemic_facts,
)
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import parse_fhir_date


def primary_in_place(timing: Fact, primary_resected: Fact) -> Fact:
    """Synchronous disease with the primary not resected (§3.1: treat it before or at the same
    time as the metastasectomy)."""
    ev = list(timing.evidence) + list(primary_resected.evidence)
    if timing.known and timing.value != "synchronous":
        return Fact.of(False, ev, note="metachronous: the primary was treated before")
    if primary_resected.is_yes:
        return Fact.of(False, ev, note="primary resected")
    if timing.known and primary_resected.is_no:
        return Fact.of(True, ev, note="synchronous, no resection of the primary recorded")
    missing = timing if not timing.known else primary_resected
    return Fact.unknown(missing.reason or "timing or primary resection unknown", ev)


def derive_treatment(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    current_liver_mets: list[Dx],
    primary_intra_abdominal: Fact,
    first_metastasis: Fact | None = None,
) -> dict[str, Fact]:
    """`first_metastasis`: the first_metastasis_date fact (a line that ended before it treated
    the primary: REVIEW5 M1)."""
    f: dict[str, Fact] = {}
    first = (
        parse_fhir_date(first_metastasis.value)
        if first_metastasis is not None and isinstance(first_metastasis.value, str)
        else None
    )
    events = systemic_events(rec, vs, ("done", "ongoing"))
    grouped = group_lines(events, p, rec.today)
    primary_lines, lines = split_at_metastasis(grouped, first)
    for_primary = {id(e) for ln in primary_lines for e in ln.events}
    metastatic = [e for e in events if id(e) not in for_primary]
    resections = sorted(
        (x for x in rec.procs_in(vs["liver-resection"]) if x.start),
        key=lambda x: x.start.earliest if x.start else rec.today,
    )
    undated_resections = [x for x in rec.procs_in(vs["liver-resection"]) if not x.start]
    all_resections = resections + undated_resections
    f["prior_liver_resections"] = (
        Fact.of(len(all_resections), [x.evidence(x.label()) for x in all_resections])
        if all_resections or rec.has("procedures")
        else Fact.unknown("no procedures were supplied")
    )
    last = latest_of(d for x in resections if (d := x.end or x.start) is not None)
    if last:
        ev = [x.evidence(x.label()) for x in resections if (x.end or x.start) == last] or [
            resections[-1].evidence(resections[-1].label())
        ]
        f["last_liver_metastasectomy_date"] = (
            Fact.of(last.latest.isoformat(), ev)
            if last.exact
            else Fact.indeterminate(f"liver resection dated only '{last.text}'", ev)
        )
    elif undated_resections:
        f["last_liver_metastasectomy_date"] = Fact.unknown(
            "a liver resection is recorded without a date",
            [x.evidence(x.label()) for x in undated_resections],
        )
    else:
        f["last_liver_metastasectomy_date"] = no_dated_resection(f["prior_liver_resections"])

    primary_resections = rec.procs_in(vs["primary-resection"])
    f["primary_resected"] = (
        Fact.of(
            True,
            [x.evidence(x.label()) for x in primary_resections],
            note="; ".join(x.when("on") for x in primary_resections),
        )
        if primary_resections
        else rec.none_recorded("procedures", "no resection of the primary recorded")
    )
    abdominal = list(all_resections)
    if primary_intra_abdominal.is_yes:
        abdominal += primary_resections
    f["prior_abdominal_surgeries"] = (
        Fact.of(
            len(abdominal),
            [x.evidence(x.label()) for x in abdominal],
            note="liver resections and resections of an intra-abdominal primary",
        )
        if abdominal or rec.has("procedures")
        else Fact.unknown("no procedures were supplied")
    )

    # The metastatic events grouped on their own, as `on_systemic_therapy` dates them. Grouping
    # is sequential, so when the primary's lines come first (the usual case) each metastatic
    # event meets the same lines before it either way: the metastatic lines as they stand, not a
    # second grouping (issue 18).
    if all(a is b for a, b in zip(grouped[: len(primary_lines)], primary_lines, strict=True)):
        alone = lines
    else:
        for_primary = {id(e) for ln in primary_lines for e in ln.events}
        alone = group_lines([x for x in events if id(x) not in for_primary], p, rec.today)
    f.update(systemic_facts(rec, vs, resections, f["prior_liver_resections"], primary_lines, alone))
    f["perioperative_systemic_therapy"] = perioperative_fact(primary_lines, first, rec.today)
    local = liver_directed(rec, vs)
    f.update(recurrence_facts(rec, vs, p, local, current_liver_mets))
    f["response_to_systemic_therapy"], f["response_at_least_stable"] = response_facts(
        rec, vs, metastatic, bool(primary_lines)
    )
    f.update(metastatic_line_facts(rec, f, lines))
    received = f["systemic_therapy_received"]
    f.update(progression_without_metastatic_therapy(rec, vs, first, metastatic, received))
    f["progression_stale"] = progression_stale(
        f["systemic_progression"], f["response_to_systemic_therapy"], events + local, p, rec.today
    )
    return f
