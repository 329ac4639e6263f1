"""Disease status after the first metastasis (clinical-logic §1.5; 8.3 "at least stable
disease"): the response to systemic therapy given for the metastatic disease, a progression
before any such therapy, and how old a recorded progression is.

Only therapy given for the metastatic disease is assessed here: a line that ended before the
first metastasis treated the primary (lines.split_at_metastasis, REVIEW5 M1), so metastases
cannot have "improved" or "progressed" on it.
"""

from __future__ import annotations

from datetime import date

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.lines import latest_assessed
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Obs, Proc
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import CodeableConcept
from sarcoma_cds.values.dates import DateInterval, months_days_text

# (value set, the fact's value, at least stable), in the order a status is classified.
_CLASSES = (
    ("response-improved", "improved", True),
    ("response-stable", "stable", True),
    ("response-progressed", "progressed", False),
)


def _latest_status(rec: Record, vs: ValueSets, since: DateInterval) -> Obs | None:
    statuses = [
        o
        for o in rec.obs_in(vs["disease-status"])
        if o.date and o.date.latest >= since.earliest and o.res.valueCodeableConcept
    ]
    return max(statuses, key=lambda o: o.date.latest if o.date else since.earliest, default=None)


def response_facts(
    rec: Record, vs: ValueSets, metastatic: list[Proc], primary_only: bool
) -> tuple[Fact, Fact]:
    """`response_to_systemic_therapy`, `response_at_least_stable`: the latest disease status
    since the first systemic therapy given for the metastatic disease (`metastatic`);
    `primary_only`: therapy is recorded, but only for the primary."""
    started = [x.start for x in metastatic if x.start]
    if not started:
        reason = (
            "no systemic therapy for the metastatic disease recorded (only therapy for the "
            "primary, before the first metastasis)"
            if primary_only
            else "no dated systemic therapy recorded"
        )
        return Fact.unknown(reason), Fact.unknown(reason)
    first = min(started, key=lambda i: i.earliest)
    latest = _latest_status(rec, vs, first)
    if latest is None:
        reason = (
            f"no disease-status assessment (97509-4) recorded after systemic therapy ({first.text})"
        )
        return Fact.unknown(reason), Fact.unknown(reason)
    cc = latest.res.valueCodeableConcept
    assert cc is not None
    ev = [latest.evidence(f"disease status: {cc.label()}")]
    for vs_id, label, at_least_stable in _CLASSES:
        if vs[vs_id].matches_any(cc.coding):
            return (
                Fact.of(label, ev, note=_where(latest)),
                Fact.of(at_least_stable, ev, note=_degree(cc, label, vs)),
            )
    reason = f"latest disease status is undetermined or uncoded ({cc.label()})"
    return Fact.indeterminate(reason, ev), Fact.indeterminate(reason, ev)


def progression_without_metastatic_therapy(
    rec: Record,
    vs: ValueSets,
    first_metastasis: DateInterval | None,
    metastatic: list[Proc],
    received: Fact,
) -> dict[str, Fact]:
    """A progression since the first metastasis with no systemic therapy for the metastatic
    disease recorded, as two facts (`received`: systemic_therapy_received):
    - `progression_untreated`: the "no" is known (every source read) — not a failure of
      treatment (REVIEW5 M1: restage and the board, never "no liver surgery");
    - `progression_therapy_unknown`: whether therapy treated the metastases is open (Procedures
      or medications not sent, a medication that could not be read, therapy without dates), so
      neither "untreated" nor a treatment failure can be said: check it first (REVIEW6 M1).
      The note names why it is open."""
    if metastatic:
        na = Fact.not_applicable("systemic therapy for the metastatic disease is recorded")
        return {"progression_untreated": na, "progression_therapy_unknown": na}
    progressed = _progressed(rec, vs, first_metastasis)
    if received.is_no:
        return {
            "progression_untreated": progressed,
            "progression_therapy_unknown": Fact.of(
                False, note="every source of systemic therapy was read"
            ),
        }
    untreated = Fact.indeterminate(
        received.reason or "systemic therapy is recorded without dates", received.evidence
    )
    if not progressed.is_yes:
        return {"progression_untreated": untreated, "progression_therapy_unknown": progressed}
    why = (
        "Procedures not sent"
        if not rec.has("procedures")
        else "medications not sent"
        if not rec.medications_supplied
        else "a medication could not be read"
        if rec.medication_doubts
        else "therapy recorded without dates"
    )
    unknown = Fact.of(
        True,
        [*progressed.evidence, *received.evidence],
        note=f"{progressed.note}; whether systemic therapy was given for the metastases is "
        f"unknown ({why})",
    )
    return {"progression_untreated": untreated, "progression_therapy_unknown": unknown}


def _progressed(rec: Record, vs: ValueSets, first_metastasis: DateInterval | None) -> Fact:
    """Whether the latest disease status since the first metastasis is a progression; the
    note says when and where it was recorded."""
    if first_metastasis is None:
        return Fact.unknown("the first metastasis is not dated")
    latest = _latest_status(rec, vs, first_metastasis)
    if latest is None:
        return Fact.unknown("no disease-status assessment recorded since the first metastasis")
    cc = latest.res.valueCodeableConcept
    assert cc is not None
    ev = [latest.evidence(f"disease status: {cc.label()}")]
    label = next((lb for vs_id, lb, _ in _CLASSES if vs[vs_id].matches_any(cc.coding)), None)
    if label is None:
        return Fact.indeterminate(
            f"latest disease status is undetermined or uncoded ({cc.label()})", ev
        )
    return Fact.of(label == "progressed", ev, note=_where(latest))


def progression_stale(
    progression: Fact,
    response: Fact,
    later: list[Proc],
    p: ClinicalParameters,
    today: date,
) -> Fact:
    """`progression_stale`: the progression the cards rest on was assessed more than
    `staging_window_days` ago (the lesion count's age rule, clinical-logic §1.4), so it says
    what the disease did then, not what it does now (REVIEW5 m2). `later`: treatment events
    that may follow it (systemic therapy, liver-directed treatment)."""
    if not progression.known:
        return Fact(state=progression.state, reason=progression.reason)
    if not progression.is_yes:
        return Fact.not_applicable("no progression on or after systemic therapy recorded")
    assessed = latest_assessed(response)
    if assessed is None:
        return Fact.unknown("the progression is not dated", response.evidence)
    window = p.staging_window_days
    if (today - assessed).days <= window:
        return Fact.of(False, response.evidence, note=f"recorded within {window} days")
    since = sorted(
        (x for x in later if x.start and x.start.earliest > assessed),
        key=lambda x: x.start.earliest if x.start else assessed,
    )
    shown = "; ".join(f"{x.label()} from {x.start.text}" for x in since if x.start)
    after = f"treatment since: {shown}" if since else "no treatment recorded since"
    return Fact.of(
        True,
        response.evidence,
        note=(
            f"recorded {response.note}, {months_days_text(assessed, today)} ago (more than "
            f"{window} days), {after}"
        ),
    )


def _degree(cc: CodeableConcept, label: str, vs: ValueSets) -> str:
    """The response in the record's own degree: "partial response" for a coded partial
    response or remission (REVIEW3 47); an improvement that names no degree stays "improved"."""
    for vs_id, words in _DEGREES:
        if vs[vs_id].matches_any(cc.coding):
            return words
    for c in cc.coding:  # an IDEA4RC concept, by its IG name in the generated value set
        concept = vs.concept(c.system, c.code)
        if concept is not None and concept.display in _IG_DEGREES:
            return _IG_DEGREES[concept.display]
    return label


def _where(status: Obs) -> str:
    """When and where the assessment was recorded: "2025-09-15 (site not recorded)" (REVIEW3
    46: a disease status coded on the primary names no site)."""
    site = status.res.bodySite.label() if status.res.bodySite else None
    when = status.date.text if status.date else "undated"
    return f"{when} ({site or 'site not recorded'})"


# An improvement by its degree, when the record codes one (subsets of response-improved).
_DEGREES = (("response-complete", "complete response"), ("response-partial", "partial response"))
# IDEA4RC's response concepts by their IG names, which the generated value sets keep as the
# concepts' displays (idea4rc-response-improved.yaml; the curated files list no OHDSI codes).
_IG_DEGREES = {"Complete Remission": "complete response", "Partial Remission": "partial response"}
