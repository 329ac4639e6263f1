"""Liver-directed local treatment (§1.3; 9.1): which procedures are a resection, ablation,
embolisation or SBRT of the liver, each counted once with its kind; the kind of the last one;
and what a fact about the liver resection says when no resection is dated.
"""

from __future__ import annotations

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.valuesets import ValueSets

LIVER_DIRECTED = ("liver-resection", "liver-ablation", "liver-embolisation", "liver-sbrt")
# The kind of each liver-directed treatment, as the cards name it.
LOCAL_KIND = {
    "liver-resection": "resection",
    "liver-ablation": "ablation",
    "liver-embolisation": "embolisation",
    "liver-sbrt": "sbrt",
    "radiotherapy-course": "sbrt",
}


def liver_directed(rec: Record, vs: ValueSets) -> list[Proc]:
    return [p for _, p in liver_directed_kinds(rec, vs)]


def liver_directed_kinds(rec: Record, vs: ValueSets) -> list[tuple[str, Proc]]:
    """Each liver-directed local treatment with its kind (resection, ablation, embolisation,
    sbrt); a procedure in two value sets counts once, by the first."""
    out: list[tuple[str, Proc]] = []
    seen: set[int] = set()
    for vs_id in (*LIVER_DIRECTED, "radiotherapy-course"):
        procs = rec.procs_in(vs[vs_id])
        if vs_id in ("liver-sbrt", "radiotherapy-course"):
            # mCODE RadiotherapyCourseSummary with bodySite liver is liver SBRT too.
            procs = [p for p in procs if vs["bodysite-liver"].matches_any(p.body_sites())]
        for p in procs:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((LOCAL_KIND[vs_id], p))
    return out


def last_local_kind(rec: Record, vs: ValueSets, last: Proc | None) -> Fact:
    if last is None:
        return (
            Fact.not_applicable("no dated liver-directed treatment recorded")
            if rec.has("procedures")
            else Fact.unknown("no procedures were supplied")
        )
    kind = next(k for k, p in liver_directed_kinds(rec, vs) if p is last)
    done = last.end or last.start
    return Fact.of(
        kind,
        [last.evidence(last.label())],
        # The date only: the kind is the value, and a procedure code's display ("Ablation, 1 or
        # more liver tumors, percutaneous, radiofrequency") is not card wording.
        note=done.text if done else "undated",
    )


def no_dated_resection(prior_resections: Fact) -> Fact:
    """A fact about the (first or last) liver resection when none is dated: not applicable when
    none is recorded, unknown when the procedures were not supplied or the resection is undated."""
    if not prior_resections.known:
        return Fact.unknown(prior_resections.reason or "no procedures were supplied")
    if prior_resections.value == 0:
        return Fact.not_applicable("no liver resection recorded", prior_resections.evidence)
    return Fact.unknown("a liver resection is recorded without a date", prior_resections.evidence)
