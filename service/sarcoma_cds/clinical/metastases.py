"""Which diagnoses are metastases, and where (clinical-logic §1.4): the site of each metastasis
Condition from its code, or from its bodySite when the code is generic or ambiguous ("site
unknown" when neither says); and the organ of a measurement, from its bodySite or the
BodyStructure it focuses on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sarcoma_cds.clinical.facts import Evidence
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Obs
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import BodyStructure, Coding

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


def _label(m: Metastasis) -> str:
    return f"{(m.site or 'site unknown').replace('_', ' ')} metastasis ({m.dx.label()})"


def organ_of(o: Obs, vs: ValueSets, rec: Record | None = None) -> str | None:
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
