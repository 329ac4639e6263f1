"""Metastatic burden (clinical-logic §1.4; recommendations 1.1, 1.2): whether there is metastatic
disease and a liver metastasis (ever, current, confirmed), oligometastatic or not, with the site
facts (`site_facts.py`), the lesion facts (`lesions.py`) and the liver findings (bilobar,
central, vascular involvement) gathered together.
"""

from __future__ import annotations

from dataclasses import dataclass

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.honesty import Doubts, condition_doubts
from sarcoma_cds.clinical.lesions import lesion_facts, lesion_sizes
from sarcoma_cds.clinical.liver_directed import liver_directed_kinds
from sarcoma_cds.clinical.metastases import Metastasis, classify_metastases, organ_of
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.site_facts import SITE_FACTS, extrahepatic_facts, site_facts
from sarcoma_cds.clinical.staging import StagedMetastasis, staged_metastasis
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import DateInterval


@dataclass(frozen=True)
class Burden:
    metastases: list[Metastasis]
    facts: dict[str, Fact]
    staged: StagedMetastasis  # metastatic disease recorded by staging or history only


def _metastatic(
    rec: Record, mets: list[Metastasis], staged: StagedMetastasis, doubts: Doubts
) -> Fact:
    """A metastasis Condition, else staging or history (mCODE), else an honest "no"."""
    staged_ev = [o.evidence(what) for o, what in staged.metastatic]
    if mets:
        return Fact.of(
            True,
            [m.evidence for m in mets] + staged_ev,
            unconfirmed=all(m.dx.unconfirmed for m in mets),
        )
    if staged.metastatic:
        return Fact.of(
            True, staged_ev, note="metastatic by staging or history; the sites are not coded"
        )
    return _honest_none(rec, doubts, doubts.metastatic, "no metastasis recorded")


def _liver_ever(
    rec: Record, mets: list[Metastasis], staged: StagedMetastasis, doubts: Doubts
) -> Fact:
    """A liver metastasis Condition, else a liver history; M1 without sites stays open."""
    liver_ever = [m for m in mets if m.site == "liver"]
    liver_staged = [o.evidence(what) for o, what in staged.liver]
    if liver_ever:
        return Fact.of(
            True,
            [m.evidence for m in liver_ever] + liver_staged,
            unconfirmed=all(m.dx.unconfirmed for m in liver_ever),
        )
    if liver_staged:
        return Fact.of(
            True, liver_staged, note=f"liver metastasis recorded only as history{_by(liver_staged)}"
        )
    if staged.metastatic and not mets:
        return Fact.indeterminate(
            "metastatic disease is recorded only as "
            + ", ".join(
                f"{what} ({o.date.text})" if o.date else what for o, what in staged.metastatic[:2]
            )
            + ", without its sites",
            [o.evidence(what) for o, what in staged.metastatic],
        )
    if unknown_site := [m for m in mets if m.site is None]:
        # A metastasis coded without its site (C79.9, 128462008 without bodySite) may be the
        # liver metastasis: not a "no" (clinical-logic 1.1).
        return Fact.indeterminate(
            "a metastasis is recorded without its site ("
            + ", ".join(m.dx.label() for m in unknown_site[:2])
            + "): it may be in the liver; a bodySite would settle it",
            [m.evidence for m in unknown_site],
        )
    return _honest_none(rec, doubts, doubts.liver, "no liver metastasis recorded")


def derive_burden(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    last_local: Proc | None = None,
    mets: list[Metastasis] | None = None,
    doubts: Doubts | None = None,
) -> Burden:
    """`last_local`: the last liver-directed local treatment (resection, ablation, ...), if any.
    `mets` and `doubts`: the classified metastases and unread diagnoses, when the caller has
    them already (the profile computes each once per request)."""
    mets = mets if mets is not None else classify_metastases(rec, vs)
    current = [m for m in mets if m.dx.current]
    doubts = doubts if doubts is not None else condition_doubts(rec)
    staged = staged_metastasis(rec, vs)
    f: dict[str, Fact] = {}
    staged_ev = [o.evidence(what) for o, what in staged.metastatic]
    f["metastatic"] = _metastatic(rec, mets, staged, doubts)
    liver_ever = [m for m in mets if m.site == "liver"]
    liver_now = [m for m in liver_ever if m.dx.current]
    liver_staged = [o.evidence(what) for o, what in staged.liver]
    f["liver_metastasis_ever"] = ever = _liver_ever(rec, mets, staged, doubts)
    if liver_ever or ever.is_no:
        f["liver_metastasis_current"] = _liver_current(rec, liver_now, last_local)
    else:
        f["liver_metastasis_current"] = Fact.unknown(
            ever.reason
            or f"the liver metastasis is recorded only as history{_by(liver_staged)}, without a "
            "diagnosis: whether disease remains, and whether it was treated, is not recorded",
            liver_staged,
        )
    f["liver_metastasis_confirmed"] = (
        Fact.of(
            any(not m.dx.unconfirmed for m in liver_now),
            [m.evidence for m in liver_now],
            # The unconfirmed diagnoses named and dated, for the summary's one bullet (REVIEW5 m7).
            note="confirmed"
            if any(not m.dx.unconfirmed for m in liver_now)
            else "; ".join(
                dict.fromkeys(
                    ", ".join(x for x in (m.dx.label(), m.dx.date.text if m.dx.date else "") if x)
                    for m in liver_now
                )
            ),
        )
        if liver_now
        else _without_current_liver(f["liver_metastasis_current"])
    )
    if rec.has("conditions") and not (staged.metastatic and not current):
        # An unread diagnosis that reads like a further metastasis keeps the sites open.
        f.update(
            site_facts(current, [w for w in doubts.metastatic if w not in doubts.liver], doubts)
        )
    else:  # nothing is known about sites (never "0 sites", never "OMD yes")
        reason = (
            "metastatic disease is recorded by staging or history only, without its sites"
            if rec.has("conditions")
            else "no conditions were supplied"
        )
        for name in SITE_FACTS:
            f[name] = Fact.unknown(reason, staged_ev)
    lesions = lesion_facts(
        rec,
        vs,
        p,
        [(m.dx, m.site) for m in current],
        lambda o: organ_of(o, vs, rec),
        _treated(rec, vs, last_local),
    )
    count = lesions.count
    if staged.metastatic and not current:
        count = Fact.unknown(
            "metastatic disease is recorded by staging or history only, without its lesions",
            staged_ev,
        )
    f["lesion_count"] = count
    f["burden_assessed_date"] = lesions.assessed
    f["burden_stale"] = lesions.stale
    f["oligometastatic"] = _oligometastatic(f, count, lesions.stale, p)
    f.update(extrahepatic_facts(f, current, last_local))
    f.update(lesion_sizes(rec, vs, p, lambda o: organ_of(o, vs, rec)))
    for name, vs_id in (
        ("bilobar", "bilobar"),
        ("central_location", "central-location"),
        ("vascular_involvement", "vascular-involvement"),
    ):
        f[name] = _boolean_finding(rec, vs, vs_id, name.replace("_", " "))
    return Burden(mets, f, staged)


# The last liver-directed treatment as a sentence names it ("since the metastasectomy").
_TREATED = {
    "resection": "metastasectomy",
    "ablation": "liver ablation",
    "embolisation": "liver embolisation",
    "sbrt": "liver SBRT",
}


def _treated(
    rec: Record, vs: ValueSets, last_local: Proc | None
) -> tuple[str, DateInterval] | None:
    done = (last_local.end or last_local.start) if last_local else None
    if last_local is None or done is None:
        return None
    kind = next((k for k, x in liver_directed_kinds(rec, vs) if x is last_local), None)
    return _TREATED.get(kind or "", "liver treatment"), done


def _by(evidence: list[Evidence]) -> str:
    """ " (by 2025-11-16)": a history entry dates the record, not the metastasis."""
    dates = sorted(e.date for e in evidence if e.date)
    return f" (by {dates[-1]})" if dates else ""


def _liver_current(rec: Record, liver_now: list[Metastasis], last_local: Proc | None) -> Fact:
    if not liver_now:
        return rec.none_recorded("conditions", "no current liver metastasis recorded")
    ev = [m.evidence for m in liver_now]
    unconfirmed = all(m.dx.unconfirmed for m in liver_now)
    done = (last_local.end or last_local.start) if last_local else None
    if last_local is None or done is None:
        return Fact.of(True, ev, unconfirmed=unconfirmed)
    # EHRs often leave a resected metastasis "active": only a diagnosis dated after the last
    # liver-directed treatment (and not a repeat of an older encounter diagnosis) shows disease now.
    after = [
        m
        for m in liver_now
        if not m.dx.repeat and m.dx.date is not None and m.dx.date.earliest > done.latest
    ]
    if after:
        return Fact.of(True, [m.evidence for m in after], unconfirmed=unconfirmed)
    return Fact.indeterminate(
        f"the liver metastasis recorded as active is not dated after the {last_local.label()} "
        f"of {done.text}: if it was treated, mark it resolved; if disease remains or recurred, "
        "record it with its date",
        [*ev, last_local.evidence(last_local.label())],
    )


def _without_current_liver(current: Fact) -> Fact:
    """Whether the liver metastasis is confirmed, when none is current: the question does not
    arise when "no current liver metastasis" is known; otherwise it is open for the same reason."""
    if current.is_no:
        return Fact.not_applicable("no current liver metastasis recorded")
    return Fact.unknown(current.reason or "whether a liver metastasis is current is not known")


def _honest_none(rec: Record, doubts: Doubts, items: list[str], note: str) -> Fact:
    """ "No" only when every diagnosis that could say otherwise was read (clinical-logic 1.1)."""
    if items and rec.has("conditions"):
        what = "a liver metastasis" if "liver" in note else "a metastasis"
        return Fact.indeterminate(doubts.reason(what, items))
    return rec.none_recorded("conditions", note)


def _oligometastatic(f: dict[str, Fact], lesions: Fact, stale: Fact, p: ClinicalParameters) -> Fact:
    sites, diffuse = f["site_count"], f["diffuse_involvement"]
    if sites.known and sites.value == 0:
        return Fact.not_applicable("no current metastasis recorded")
    ev = tuple(lesions.evidence) + tuple(sites.evidence)
    no_reasons = []
    if lesions.known and isinstance(lesions.value, int) and lesions.value > p.omd_max_lesions:
        no_reasons.append(f"{lesions.value} lesions (> {p.omd_max_lesions})")
    if sites.known and isinstance(sites.value, int) and sites.value > p.omd_max_sites:
        no_reasons.append(f"{sites.value} metastatic sites (> {p.omd_max_sites})")
    if diffuse.is_yes:
        no_reasons.append(f"{diffuse.note} (1.2)")
    if no_reasons:
        return Fact.of(False, ev, note="; ".join(no_reasons))
    missing = list(  # dict.fromkeys: one shared cause ("no conditions were supplied") once
        dict.fromkeys(
            fact.reason or name
            for name, fact in (("lesion count", lesions), ("sites", sites), ("diffuse", diffuse))
            if not fact.known
        )
    )
    if missing:
        return Fact.indeterminate("; ".join(missing), ev)
    # 1.1 needs confirmed staging: an old count cannot establish OMD today (a "no" stands).
    if not stale.is_no:
        why = stale.note if stale.known else stale.reason
        return Fact.indeterminate(f"{why}: restage before any surgical decision", ev)
    return Fact.of(
        True,
        ev,
        note=(
            f"{lesions.value} lesion(s) in {sites.value} site(s), no diffuse involvement; "
            "the MDT must confirm that the primary and every metastasis are amenable to radical "
            "treatment"
        ),
    )


def _boolean_finding(rec: Record, vs: ValueSets, vs_id: str, what: str) -> Fact:
    o = rec.latest_obs(vs[vs_id])
    if o is None or o.res.valueBoolean is None:
        return Fact.unknown(f"{what} not recorded")
    # The note dates the finding for the card ("bilobar metastases (2025-11-20)", REVIEW2 #17).
    return Fact.of(
        o.res.valueBoolean,
        [o.evidence(f"{what}: {o.res.valueBoolean}")],
        note=o.date.text if o.date else "undated",
    )
