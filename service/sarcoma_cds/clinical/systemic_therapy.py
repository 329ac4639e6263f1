"""Systemic therapy facts (§1.5; 9.2): the chemotherapy Procedures and medication events of a
sarcoma agent; whether systemic therapy was received for the metastatic disease, is ongoing or
is planned (a known "no" only when every medication that might be one could be read); adjuvant
therapy after the first liver resection; and the line facts of the metastatic lines.
"""

from __future__ import annotations

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.lines import Line, line_facts, therapy_label
from sarcoma_cds.clinical.liver_directed import no_dated_resection
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.valuesets import ValueSets


def systemic_events(rec: Record, vs: ValueSets, statuses: tuple[str, ...]) -> list[Proc]:
    """Chemotherapy Procedures and medication resources of a sarcoma systemic agent."""
    meds = [m for m in rec.medication_events if m.status in statuses]
    return rec.procs_in(vs["systemic-therapy"], statuses) + meds


def no_systemic(rec: Record, note: str, ev: list[Evidence] | None = None) -> Fact:
    """Known "no" only when procedures and medications were supplied and every medication
    that might be systemic therapy could be read (clinical-logic 1.1, honest "no")."""
    if not rec.has("procedures"):
        return Fact.unknown("no procedures were supplied")
    if not rec.medications_supplied:
        return Fact.unknown(
            "no medication resources were supplied (MedicationRequest, MedicationAdministration "
            "or MedicationStatement): chemotherapy is often recorded only there"
        )
    if rec.medication_doubts:
        shown = "; ".join(rec.medication_doubts[:3])
        return Fact.indeterminate(
            f"medication(s) that may be systemic therapy could not be recognised ({shown}): "
            "code them with RxNorm or ATC"
        )
    return Fact.of(False, ev or [], note=note)


def metastatic_line_facts(rec: Record, f: dict[str, Fact], lines: list[Line]) -> dict[str, Fact]:
    """Lines of systemic therapy for the metastatic disease, from Procedures and medication
    resources alike."""
    received = f["systemic_therapy_received"]
    if received.is_no:
        # "none for the metastatic disease (only therapy for the primary)" when that is so.
        primary_only = f["perioperative_systemic_therapy"].known
        none = Fact.of(
            0, received.evidence, note=received.note if primary_only else "none recorded"
        )
    elif received.is_yes:
        none = Fact.unknown("systemic therapy is recorded without dates", received.evidence)
    else:
        none = Fact(state=received.state, reason=received.reason, evidence=received.evidence)
    degree = f["response_at_least_stable"].note
    return line_facts(lines, f["response_to_systemic_therapy"], rec.today, none, degree)


def systemic_facts(
    rec: Record,
    vs: ValueSets,
    resections: list[Proc],
    prior_resections: Fact,
    primary_lines: list[Line],
    metastatic_lines: list[Line],
) -> dict[str, Fact]:
    """`primary_lines`: lines that ended before the first metastasis. They are not systemic
    therapy received for the metastatic disease (REVIEW5 M1), but they are adjuvant therapy
    after a first liver resection if they followed one (9.2). `metastatic_lines`: the other
    events grouped into lines on their own."""
    f: dict[str, Fact] = {}
    received = systemic_events(rec, vs, ("done", "ongoing"))
    for_primary = {id(e) for ln in primary_lines for e in ln.events}
    dx_received = rec.dx_in(vs["systemic-therapy-condition"])
    ev = [x.evidence(x.label()) for x in received if id(x) not in for_primary]
    ev += [d.evidence(d.label()) for d in dx_received]
    primary_ev = [x for ln in primary_lines for x in ln.evidence()]
    f["systemic_therapy_received"] = (
        Fact.of(True, ev)
        if ev
        else no_systemic(
            rec,
            "none for the metastatic disease (only therapy for the primary)"
            if primary_lines
            else "no systemic therapy recorded",
            primary_ev,
        )
    )
    ongoing = [
        x
        for x in received
        if x.status == "ongoing"
        or x.open_ended
        or (x.end is not None and x.end.latest >= rec.today and x.period)
    ]
    # The note is how the summary says a "no" (facts.yaml `said`): "Systemic therapy: none
    # recorded" when the record holds none at all, never "On systemic therapy: no".
    # A "yes" is said with its start (REVIEW6 m4): "On systemic therapy since 2025-12-01".
    # Since the start of the regimen it belongs to (REVIEW7 n1: docetaxel from day 8 of
    # gemcitabine + docetaxel is "since 2026-01-12", the date the treatment card shows).
    line_start = {id(e): ln.start for ln in metastatic_lines for e in ln.events}
    starts = sorted(
        (line_start.get(id(x), x.start) for x in ongoing if x.start),
        key=lambda d: d.earliest,
    )
    f["on_systemic_therapy"] = (
        Fact.of(
            True,
            [x.evidence(x.label()) for x in ongoing],
            note=f"since {starts[0].text}" if starts else None,
        )
        if ongoing
        else no_systemic(
            rec, "none recorded as ongoing" if received or dx_received else "none recorded"
        )
    )
    planned = systemic_events(rec, vs, ("planned",))
    f["systemic_therapy_planned"] = (
        Fact.of(
            True,
            [x.evidence(f"planned: {x.label()}") for x in planned],
            note="; ".join(x.when("from", therapy_label(x)) for x in planned),
        )
        if planned
        else no_systemic(rec, "no planned systemic therapy recorded")
    )
    if not resections:
        f["adjuvant_after_first_liver_resection"] = no_dated_resection(prior_resections)
    else:
        first = resections[0].start
        assert first is not None
        after = [x for x in received if x.start and x.start.earliest > first.latest]
        straddle = [
            x for x in received if x.start and x not in after and x.start.latest > first.earliest
        ]
        if after:
            f["adjuvant_after_first_liver_resection"] = Fact.of(
                True, [x.evidence(x.label()) for x in after], note=f"after {first.text}"
            )
        elif straddle:
            f["adjuvant_after_first_liver_resection"] = Fact.indeterminate(
                "systemic therapy dates overlap the first liver resection date",
                [x.evidence(x.label()) for x in straddle],
            )
        else:
            f["adjuvant_after_first_liver_resection"] = Fact.of(
                False,
                [resections[0].evidence(resections[0].label())],
                note=f"no systemic therapy recorded after the first liver resection ({first.text})",
            )
    return f
