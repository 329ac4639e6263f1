"""mCODE CancerRelatedSurgicalProcedure (clinical-logic 1.5): an excision whose code alone does
not say what was removed counts by its `reasonReference` (the primary, or a liver metastasis) or
its `bodySite` (the liver, or the primary's site).

The procedures found here are indexed under `liver-resection` or `primary-resection` in the
record, so every fact that reads those value sets sees them.
"""

from __future__ import annotations

from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Proc
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import Condition


def _reason_conditions(p: Proc, rec: Record) -> list[Condition]:
    if not hasattr(p.res, "reasonReference"):
        return []
    out = []
    for ref in p.res.reasonReference:
        c = rec.refs.resolve_as(ref, Condition, p.res)
        if c is not None:
            out.append(c)
    return out


def classify_resections(rec: Record, vs: ValueSets, primaries: list[Dx], liver: list[Dx]) -> None:
    primary_res = {id(d.res) for d in primaries}
    liver_res = {id(d.res) for d in liver}
    primary_sites = {
        (c.system, c.code) for d in primaries for c in d.body_sites() if c.system and c.code
    }
    for p in rec.procedures:
        members = rec.proc_value_sets(p)
        if "liver-resection" in members:
            continue
        # The record's index holds what the code says (a reindex adds, and removes only
        # primary-resection, adding liver-resection, skipped above): asking the value sets again
        # was two questions per procedure (issue 18).
        is_generic = "excision-generic" in members
        is_primary_code = "primary-resection" in members
        if not (is_generic or is_primary_code):
            continue
        reasons = {id(c) for c in _reason_conditions(p, rec)}
        if reasons & liver_res or (
            is_generic and not reasons and vs["bodysite-liver"].matches_any(p.body_sites())
        ):
            # A resection of the liver metastasis, whatever its generic code says.
            rec.reindex_procedure(p, add="liver-resection", remove="primary-resection")
        elif is_generic and (
            reasons & primary_res
            or any((c.system, c.code) in primary_sites for c in p.body_sites())
        ):
            rec.reindex_procedure(p, add="primary-resection")
