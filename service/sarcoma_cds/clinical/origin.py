"""Is the liver lesion a sarcoma metastasis? (clinical-logic §1.3; 3.1, 4.2; paper §3.3)

Doubt comes from an unconfirmed diagnosis, HCC risk factors, a colorectal cancer history or a very
long DFI. Liver histology showing sarcoma settles it, for good: the biopsy is not offered again
and the risk factors stay named only for the liver-function work-up (7.1). The paper cites
bleeding in up to 10% of liver biopsies; a second one must never be suggested by mistake.
"""

from __future__ import annotations

import msgspec

from sarcoma_cds.clinical.dating import earliest_of
from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Obs, Proc, Report
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import Coding, Condition, Procedure, Reference
from sarcoma_cds.values.dates import DateInterval, within_months

# A conclusion or morphology "shows sarcoma" when it is in one of these (GIST excluded).
SARCOMA_SETS = ("sts-morphology", "primary-sts", "metastatic-sarcoma")
LIVER_SPECIMEN_PROCEDURES = ("liver-biopsy", "liver-resection")
# The primary a metastasis belongs to: mCODE SecondaryCancerCondition's extension, and the core
# extension EHRs use for the same link.
RELATED_PRIMARY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition",
    "http://hl7.org/fhir/StructureDefinition/condition-related",
)


def _shows_sarcoma(codings: tuple[Coding, ...], vs: ValueSets) -> bool:
    member = vs.memberships(codings)
    return "gist" not in member and any(s in member for s in SARCOMA_SETS)


def _refs(refs: tuple[Reference, ...]) -> set[str]:
    """ "Type/id" of each reference (relative, absolute or versioned)."""
    out = set()
    for r in refs:
        parts = (r.reference or "").split("/_history")[0].rstrip("/").split("/")
        if len(parts) >= 2:
            out.add("/".join(parts[-2:]))
    return out


def liver_histology(
    rec: Record, vs: ValueSets, liver_mets: list[Dx], after: DateInterval | None
) -> list[Evidence]:
    """Pathology of a liver specimen that shows sarcoma, dated after `after` (the last
    liver-directed treatment: its own pathology describes the lesion it removed, not this one)."""
    specimen_procs: list[Proc] = [
        x for vs_id in LIVER_SPECIMEN_PROCEDURES for x in rec.procs_in(vs[vs_id])
    ]
    proc_refs = {x.ref for x in specimen_procs}
    report_refs = {
        r for x in specimen_procs if isinstance(x.res, Procedure) for r in _refs(x.res.report)
    }
    met_refs = {d.ref for d in liver_mets}
    cited = {
        r for d in liver_mets if not d.unconfirmed for e in d.res.evidence for r in _refs(e.detail)
    }

    def current(when: DateInterval | None) -> bool:
        return after is None or (when is not None and when.earliest > after.latest)

    def liver_obs(o: Obs) -> bool:
        body = o.res.bodySite
        return (
            (body is not None and vs["bodysite-liver"].matches_any(body.coding))
            or bool(_refs(o.res.focus) & met_refs)
            or bool(_refs(o.res.partOf + o.res.derivedFrom) & proc_refs)
            or o.ref in cited
        )

    found: list[Evidence] = []
    liver_obs_refs: set[str] = set()
    for o in rec.obs_in(vs["histology-observation"]):
        cc = o.res.valueCodeableConcept
        if cc and _shows_sarcoma(cc.coding, vs) and liver_obs(o):
            liver_obs_refs.add(o.ref)
            if current(o.date):
                found.append(o.evidence(f"liver histology: {cc.label()}"))
    for r in rec.reports:
        if not _shows_sarcoma(r.conclusions(), vs):
            continue
        linked = (
            r.ref in report_refs or r.ref in cited or bool(_refs(r.res.result) & liver_obs_refs)
        )
        if linked and current(r.date):
            found.append(r.evidence(f"liver pathology: {_conclusion(r)}"))
    return found


def linked_elsewhere(
    rec: Record, primaries: list[Dx], liver: list[Dx]
) -> list[tuple[Evidence, str]]:
    """Liver metastases the record links (related-primary extension) to a cancer Condition that
    is not the sarcoma: their origin is in doubt whatever else is recorded (paper §3.3: a liver
    lesion is not assumed to be the sarcoma's). A link that cannot be resolved says nothing.
    Returns the evidence and the linked primary's name."""
    sarcoma = {id(d.res) for d in primaries}
    out: list[tuple[Evidence, str]] = []
    for d in liver:
        for ext in d.res.extension:
            if ext.url not in RELATED_PRIMARY or ext.valueReference is None:
                continue
            target = rec.refs.resolve_as(ext.valueReference, Condition, d.res)
            if target is None or id(target) in sarcoma:
                continue
            label = target.code.label() if target.code else "an uncoded condition"
            what = (
                f"liver metastasis ({d.label()}) linked to the primary {label} "
                f"(Condition/{target.id or '?'}), not the sarcoma"
            )
            out.append((d.evidence(what), label))
    return out


def _conclusion(r: Report) -> str:
    cc = next(iter(r.res.conclusionCode), None)
    return cc.label() if cc else (r.res.conclusion or "sarcoma")


def derive_origin(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    primaries: list[Dx],
    metastases: list[Dx],
    current_liver: list[Dx],
    facts: dict[str, Fact],
    last_local: Proc | None,
) -> dict[str, Fact]:
    done = (last_local.end or last_local.start) if last_local else None
    histology = liver_histology(rec, vs, current_liver, done)
    f: dict[str, Fact] = {}
    if histology:
        f["liver_histology_sarcoma"] = Fact.of(True, histology, note="sarcoma on liver histology")
    elif rec.has("observations") or rec.reports:
        f["liver_histology_sarcoma"] = Fact.of(
            False, note="no liver histology showing sarcoma recorded"
        )
    else:
        f["liver_histology_sarcoma"] = Fact.unknown("no observations or reports were supplied")
    very_long = _very_long_dfi(primaries, metastases, current_liver, p)
    f["very_long_dfi"] = very_long
    if not current_liver:
        f["origin_uncertain"] = f["origin_other_doubts"] = Fact.not_applicable(
            "no current liver metastasis"
        )
        return f
    elsewhere = linked_elsewhere(rec, primaries, current_liver)
    linked = (
        Fact.of(
            True,
            [e for e, _ in elsewhere],
            note="; ".join(dict.fromkeys(label for _, label in elsewhere)),
        )
        if elsewhere
        else Fact.of(False)
    )
    doubts: list[tuple[str, Fact]] = [
        ("unconfirmed liver metastasis", _negate(facts["liver_metastasis_confirmed"])),
        ("linked to another primary", linked),
        ("HCC risk factors", facts["hcc_risk_factors"]),
        ("colorectal cancer history", facts["colorectal_cancer_history"]),
        ("long interval to the liver lesion", very_long),
    ]
    named = [
        f"{what} ({fact.note})" if fact.note and what != doubts[0][0] else what
        for what, fact in doubts
        if fact.is_yes
    ]
    if histology:
        # The histology overrides a recorded link to another primary; the rest stays relevant.
        risk = "; ".join(n for n in named if not n.startswith("linked to another primary"))
        f["origin_uncertain"] = f["origin_other_doubts"] = Fact.of(
            False,
            histology,
            note="settled by liver histology showing sarcoma"
            + (f"; still relevant to the liver-function work-up (7.1): {risk}" if risk else ""),
        )
        return f
    ev = [e for _, fact in doubts if fact.is_yes for e in fact.evidence]
    # The doubts besides an unconfirmed diagnosis, which the summary names in its own bullet
    # with the diagnosis and date (REVIEW5 m7: one fact said once).
    others = [(what, fact) for what, fact in doubts[1:] if fact.is_yes]
    other_named = [n for n in named if n != doubts[0][0]]
    f["origin_other_doubts"] = (
        Fact.of(True, [e for _, fact in others for e in fact.evidence], note="; ".join(other_named))
        if other_named
        else Fact.of(False, note="no doubt besides the diagnosis's verification status")
    )
    if named:
        f["origin_uncertain"] = Fact.of(True, ev, note="; ".join(named))
        return f
    open_ = [f"{what}: {fact.reason}" for what, fact in doubts if not fact.known]
    if open_:
        f["origin_uncertain"] = f["origin_other_doubts"] = Fact.unknown("; ".join(open_))
    else:
        f["origin_uncertain"] = Fact.of(
            False, note="no reason to doubt the origin (confirmed, no HCC or colorectal risk)"
        )
    return f


def _negate(fact: Fact) -> Fact:
    if not fact.known:
        return fact
    return msgspec.structs.replace(fact, value=not fact.value)


def _very_long_dfi(
    primaries: list[Dx],
    metastases: list[Dx],
    current_liver: list[Dx],
    p: ClinicalParameters,
) -> Fact:
    """3.1's "long DFI" as a reason to doubt the origin: the disease-free interval from the primary
    diagnosis to the current liver lesion, when that lesion is the first metastasis. After an
    earlier metastasis the DFI has ended; the interval since the last treatment is the TFI, which
    9.1 counts in favour of further treatment (paper §3.9), not a reason for doubt."""
    primary = earliest_of(d.date for d in primaries if d.date)
    lesion = earliest_of(d.date for d in current_liver if d.date and not d.repeat)
    if primary is None or lesion is None:
        return Fact.unknown(
            "no primary diagnosis date" if primary is None else "no dated current liver metastasis"
        )
    first = earliest_of(d.date for d in metastases if d.date)
    if first is not None and first.latest < lesion.earliest:
        return Fact.of(
            False,
            note=f"not the first metastasis (first {first.text}): the interval since then is not "
            "a disease-free interval",
        )
    within = within_months(primary, lesion, p.origin_long_dfi_months)
    span = f"primary {primary.text} to liver lesion {lesion.text}"
    if within is None:
        return Fact.indeterminate(
            f"cannot tell whether > {p.origin_long_dfi_months} months ({span})"
        )
    return Fact.of(
        not within, note=f"{span}: {'>' if not within else '≤'} {p.origin_long_dfi_months} months"
    )
