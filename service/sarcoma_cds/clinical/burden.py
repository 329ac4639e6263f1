"""Metastatic burden: sites, diffuse involvement, lesions, oligometastatic or not.

clinical-logic §1.4; recommendations 1.1, 1.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.honesty import Doubts, condition_doubts
from sarcoma_cds.clinical.lesions import lesion_facts, lesion_sizes
from sarcoma_cds.clinical.liver_directed import liver_directed_kinds
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Obs, Proc
from sarcoma_cds.clinical.staging import StagedMetastasis, staged_metastasis
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import BodyStructure, Coding
from sarcoma_cds.values.dates import DateInterval

# Site by metastasis code: value-set id → site category.
SITE_BY_CODE = (
    ("metastasis-liver", "liver"),
    ("metastasis-lung", "lung"),
    ("metastasis-bone", "bone"),
    ("metastasis-lymph-node", "lymph_node"),
    ("metastasis-brain", "brain"),
    ("metastasis-adrenal", "adrenal"),
    ("metastasis-soft-tissue", "soft_tissue"),
    ("metastasis-peritoneal", "peritoneal"),
    ("metastasis-retroperitoneal", "retroperitoneum"),
    ("metastasis-pleural", "pleural"),
    ("metastasis-pericardial", "pericardial"),
    ("metastasis-leptomeningeal", "leptomeningeal"),
)
# Site by bodySite, for generic codes (and to resolve C78.6 / C79.89).
SITE_BY_BODYSITE = (
    ("bodysite-liver", "liver"),
    ("bodysite-lung", "lung"),
    ("bodysite-bone", "bone"),
    ("bodysite-lymph-node", "lymph_node"),
    ("bodysite-brain", "brain"),
    ("bodysite-adrenal", "adrenal"),
    ("bodysite-peritoneum", "peritoneal"),
    ("bodysite-retroperitoneum", "retroperitoneum"),
    ("bodysite-pleura", "pleural"),
    ("bodysite-pericardium", "pericardial"),
)
_SITE_CODE_SETS = frozenset(i for i, _ in SITE_BY_CODE)
DIFFUSE = frozenset({"peritoneal", "pleural", "pericardial", "leptomeningeal"})
# Ambiguous codes: counted as a site, and make diffuse involvement indeterminate.
# Said in clinical words, not codes (clinical-logic §3): the card names the next step.
POSSIBLY_DIFFUSE = {
    "retroperitoneum_or_peritoneum": (
        "a metastasis is coded only as 'retroperitoneum or peritoneum', with no site recorded: "
        "if it is peritoneal sarcomatosis it excludes oligometastatic disease; record the site "
        "from the abdominal CT"
    ),
    "possible_leptomeningeal": (
        "a metastasis is coded only as 'meninges or nervous system', with no site recorded: if "
        "it is leptomeningeal it excludes oligometastatic disease; record the site from the "
        "imaging report"
    ),
}


_SITE_FACTS = (
    "metastatic_sites",
    "site_count",
    "liver_only",
    "liver_and_lung_only",
    "diffuse_involvement",
)


@dataclass(frozen=True)
class Metastasis:
    dx: Dx
    site: str | None  # None: site unknown (generic code without bodySite)

    # The metastasis as every burden fact cites it: built once, cited by up to eight facts
    # (issue 18).
    evidence: Evidence = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", self.dx.evidence(_label(self)))


def _site_of(codings: tuple[Coding, ...], vs: ValueSets) -> str | None:
    if not codings:
        return None
    member = vs.memberships(codings)
    return next((site for vs_id, site in SITE_BY_BODYSITE if vs_id in member), None)


def _body_site(d: Dx, vs: ValueSets) -> str | None:
    return _site_of(d.body_sites(), vs)


def classify_metastases(rec: Record, vs: ValueSets) -> list[Metastasis]:
    out: list[Metastasis] = []
    for d in rec.conditions:
        member = d.members
        site: str | None = None
        if "metastasis-retroperitoneum-or-peritoneum" in member:
            site = _body_site(d, vs) or "retroperitoneum_or_peritoneum"
        elif "metastasis-possible-leptomeningeal" in member:
            site = _body_site(d, vs) or "possible_leptomeningeal"
        elif "metastasis-other" in member:
            site = _body_site(d, vs) or "other"
        elif "metastasis-generic" in member or "metastatic-sarcoma" in member:
            site = _body_site(d, vs)  # may stay None: site unknown
        elif member.isdisjoint(_SITE_CODE_SETS):
            continue  # not a metastasis (most diagnoses: one set test, not twelve)
        else:
            site = next(s for i, s in SITE_BY_CODE if i in member)
        out.append(Metastasis(d, site))
    # "Metastatic sarcoma" (443144000) also records the primary: without a bodySite it only
    # counts as a site-unknown metastasis when no specific metastasis is recorded.
    specific = [m for m in out if m.site is not None]
    if specific:
        out = [m for m in out if m.site is not None or "metastatic-sarcoma" not in m.dx.members]
    return out


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
        f.update(_sites(current, [w for w in doubts.metastatic if w not in doubts.liver], doubts))
    else:  # nothing is known about sites (never "0 sites", never "OMD yes")
        reason = (
            "metastatic disease is recorded by staging or history only, without its sites"
            if rec.has("conditions")
            else "no conditions were supplied"
        )
        for name in _SITE_FACTS:
            f[name] = Fact.unknown(reason, staged_ev)
    lesions = lesion_facts(
        rec,
        vs,
        p,
        [(m.dx, m.site) for m in current],
        lambda o: _organ(o, vs, rec),
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
    f.update(_extrahepatic(f, current, last_local))
    f.update(lesion_sizes(rec, vs, p, lambda o: _organ(o, vs, rec)))
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
        return _none_recorded(rec, "no current liver metastasis recorded")
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


def _label(m: Metastasis) -> str:
    return f"{(m.site or 'site unknown').replace('_', ' ')} metastasis ({m.dx.label()})"


def _honest_none(rec: Record, doubts: Doubts, items: list[str], note: str) -> Fact:
    """ "No" only when every diagnosis that could say otherwise was read (clinical-logic 1.1)."""
    if items and rec.has("conditions"):
        what = "a liver metastasis" if "liver" in note else "a metastasis"
        return Fact.indeterminate(doubts.reason(what, items))
    return _none_recorded(rec, note)


def _none_recorded(rec: Record, note: str) -> Fact:
    if rec.has("conditions"):
        return Fact.of(False, note=note)
    return Fact.unknown("no conditions were supplied")


def _sites(
    current: list[Metastasis], unread: list[str] | None = None, doubts: Doubts | None = None
) -> dict[str, Fact]:
    """`unread`: diagnoses no value set reads that read like a metastasis outside the liver
    (clinical-logic 1.1): the sites are then open, never "liver only" by silence."""
    f: dict[str, Fact] = {}
    ev = [m.evidence for m in current]
    sites = sorted({m.site for m in current if m.site})
    unknown_site = [m for m in current if m.site is None]
    diffuse = sorted(set(sites) & DIFFUSE)
    possible = [POSSIBLY_DIFFUSE[s] for s in sites if s in POSSIBLY_DIFFUSE]
    if unknown_site or (unread and doubts is not None):
        reason = (
            "a metastasis is coded without its site ("
            + ", ".join(m.dx.label() for m in unknown_site)
            + "); a bodySite would settle it"
            if unknown_site
            else doubts.reason("a further metastasis", unread or [])  # type: ignore[union-attr]
            + "; code it with its site, or record it as refuted if it is not a metastasis"
        )
        f["metastatic_sites"] = Fact.indeterminate(reason, ev)
        f["site_count"] = Fact.indeterminate(f"at least {max(len(sites), 1)} site(s); {reason}", ev)
        f["liver_only"] = Fact.indeterminate(reason, ev)
        f["liver_and_lung_only"] = Fact.indeterminate(reason, ev)
    else:
        f["metastatic_sites"] = Fact.of(tuple(sites), ev)
        f["site_count"] = Fact.of(len(sites), ev)
        f["liver_only"] = Fact.of(bool(sites) and set(sites) == {"liver"}, ev)
        f["liver_and_lung_only"] = Fact.of(set(sites) == {"liver", "lung"}, ev)
    if diffuse:
        f["diffuse_involvement"] = Fact.of(
            True,
            [m.evidence for m in current if m.site in DIFFUSE],
            note="diffuse " + ", ".join(diffuse) + " involvement",
        )
    elif possible or unknown_site:
        f["diffuse_involvement"] = Fact.indeterminate(
            "; ".join(possible) or "a metastasis site is not coded", ev
        )
    else:
        f["diffuse_involvement"] = Fact.of(False, ev, note="no diffuse involvement recorded")
    return f


def _organ(o: Obs, vs: ValueSets, rec: Record | None = None) -> str | None:
    """The organ of a measurement: its bodySite, else the `location` of the BodyStructure its
    `focus` names (mCODE Tumor, in the bundle or contained)."""
    if o.res.bodySite:
        return _site_of(o.res.bodySite.coding, vs)
    if rec is None:
        return None
    for ref in o.res.focus:
        body = rec.refs.resolve_as(ref, BodyStructure, o.res)
        if body and body.location and (site := _site_of(body.location.coding, vs)):
            return site
    return None


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


def _extrahepatic(
    f: dict[str, Fact], current: list[Metastasis], last_local: Proc | None
) -> dict[str, Fact]:
    """Extrahepatic sites (never "liver"), whether any lies beyond the lung (the paper's caution,
    §3.1), and new extrahepatic disease after liver-directed treatment."""
    out: dict[str, Fact] = {}
    sites = f["metastatic_sites"]
    extra = [m for m in current if m.site != "liver"]
    ev = [m.evidence for m in extra]
    if sites.known and isinstance(sites.value, tuple):
        names = tuple(s for s in sites.value if s != "liver")
        out["extrahepatic_sites"] = Fact.of(names, ev)
        beyond = [s for s in names if s != "lung"]
        out["extrapulmonary_extrahepatic"] = Fact.of(
            bool(beyond),
            ev,
            note=", ".join(s.replace("_", " ") for s in beyond) or "none beyond the lung",
        )
    else:
        reason = sites.reason or "metastatic sites unknown"
        out["extrahepatic_sites"] = Fact(state=sites.state, reason=reason, evidence=tuple(ev))
        out["extrapulmonary_extrahepatic"] = Fact(
            state=sites.state, reason=reason, evidence=tuple(ev)
        )
    out["new_extrahepatic_disease"] = _new_extrahepatic(extra, last_local, sites)
    return out


def _new_extrahepatic(extra: list[Metastasis], last_local: Proc | None, sites: Fact) -> Fact:
    done = (last_local.end or last_local.start) if last_local else None
    if last_local is None or done is None:
        return Fact.not_applicable("no dated liver-directed treatment recorded")
    if not sites.known and not extra:
        return Fact.unknown(sites.reason or "metastatic sites unknown")
    after = [m for m in extra if not m.dx.repeat and m.dx.date and m.dx.date.earliest > done.latest]
    unclear = [
        m
        for m in extra
        if m not in after and (m.dx.date is None or m.dx.date.latest > done.earliest)
    ]
    local_ev = last_local.evidence(last_local.label())
    if after:
        names = sorted({(m.site or "site unknown").replace("_", " ") for m in after})
        first = min((m.dx.date for m in after if m.dx.date), key=lambda i: i.earliest)
        return Fact.of(
            True,
            [local_ev, *(m.evidence for m in after)],
            note=f"New {', '.join(names)} metastasis {first.text} after "
            f"{last_local.label().lower()} on {done.text}",
        )
    if unclear:
        return Fact.indeterminate(
            f"an extrahepatic metastasis may be dated before or after the {last_local.label()} "
            f"of {done.text}",
            [local_ev, *(m.evidence for m in unclear)],
        )
    return Fact.of(False, [local_ev], note=f"no extrahepatic metastasis recorded after {done.text}")


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
