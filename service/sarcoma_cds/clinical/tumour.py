"""The primary tumour: is there an STS, is it GIST, which histology, where (clinical-logic §1.5)."""

from __future__ import annotations

from dataclasses import dataclass

from sarcoma_cds.clinical.codes import (
    ATHENA,
    FAMILY,
    ICD10CM,
    ICDO3,
    IDEA4RC_LOCAL,
    canonical_system,
    icdo3_parts,
    normalise_code,
)
from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.honesty import Doubts, condition_doubts
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import Coding

# Histology categories in the order they are tried; the value-set id is `histology-<category>`
# with underscores as hyphens.
HISTOLOGIES = (
    "leiomyosarcoma",
    "myxoid_liposarcoma",
    "liposarcoma",
    "asps",
    "clear_cell_sarcoma",
    "angiosarcoma",
    "synovial_sarcoma",
    "epithelioid_sarcoma",
    "rhabdomyosarcoma",
    "ups",
)
_HISTOLOGY_SETS = tuple((cat, f"histology-{cat.replace('_', '-')}") for cat in HISTOLOGIES)


@dataclass(frozen=True)
class Tumour:
    primaries: list[Dx]  # conditions that establish a primary STS (dated ones date it)
    gist: Fact
    sts: Fact
    histology: Fact
    retroperitoneal: Fact
    intra_abdominal: Fact


def _morphologies(rec: Record, vs: ValueSets) -> list[tuple[Coding, Evidence]]:
    """ICD-O-3 morphology codes: the mCODE histology extension on Conditions, and histology
    Observations (LOINC 31206-6)."""
    out: list[tuple[Coding, Evidence]] = []
    for d in rec.conditions:
        for c in d.morphologies():
            out.append((c, d.evidence(f"histology {c.code}")))
    for o in rec.obs_in(vs["histology-observation"]):
        if o.res.valueCodeableConcept:
            for c in o.res.valueCodeableConcept.coding:
                out.append((c, o.evidence(f"histology {c.code}")))
    return out


def derive_tumour(rec: Record, vs: ValueSets, doubts: Doubts | None = None) -> Tumour:
    """`doubts`: the record's unread diagnoses, when the caller has them already."""
    morphs = _morphologies(rec, vs)
    sts_morph = [(c, e) for c, e in morphs if vs["sts-morphology"].contains(c.system, c.code)]

    # GIST: by condition code or by morphology 8936, whatever the system (input-profile).
    gist_ev = [d.evidence(f"GIST ({d.label()})") for d in rec.dx_in(vs["gist"])]
    gist_ev += [e for c, e in morphs if vs["gist"].contains(c.system, c.code)]

    primaries = [
        d
        for d in rec.conditions
        if "primary-sts" in (member := d.members)
        or "metastatic-sarcoma" in member
        or ("malignant-primary" in member and _own_sts_morph(d, vs))
    ]
    # A morphology not attached to a Condition (a histology Observation, another Condition's
    # extension) says only that the patient has an STS: it makes a generic malignant primary
    # (uterine C55) the sarcoma only when no Condition establishes the STS itself. Otherwise an
    # earlier colorectal cancer would be dated as the sarcoma's diagnosis.
    if not primaries and sts_morph:
        primaries = rec.dx_in(vs["malignant-primary"])
    if not primaries:
        # A registry's morphology sent as its own Condition ("M8890/3") with no site Condition.
        primaries = [d for d in rec.conditions if _coded_as(d, ICDO3) and _own_sts_morph(d, vs)]
    primaries = [d for d in primaries if "gist" not in d.members]
    history = rec.dx_in(vs["sts-history"])

    if gist_ev:
        gist = Fact.of(True, gist_ev, note="GIST recorded")
    elif rec.has("conditions"):
        gist = Fact.of(False, note="no GIST code or morphology recorded")
    else:
        gist = Fact.unknown("no conditions were supplied")

    if primaries:
        sts = Fact.of(
            True,
            [d.evidence(f"primary STS ({d.label()})") for d in primaries],
            note="primary soft tissue sarcoma recorded",
            unconfirmed=all(d.unconfirmed for d in primaries),
        )
    elif history:
        sts = Fact.of(
            True,
            [d.evidence(f"history of STS ({d.label()})") for d in history],
            note="only a personal-history code (Z85.831, which also covers GIST and "
            "mesothelioma): histology should be confirmed",
            unconfirmed=True,
        )
    elif unread := _unread_cancers(rec, vs):
        sts = Fact.indeterminate(
            "recorded: " + "; ".join(why for _, why in unread) + " — not a soft tissue sarcoma "
            "this service can confirm or exclude",
            [d.evidence(d.label()) for d, _ in unread],
        )
    elif rec.has("conditions"):
        doubts = doubts if doubts is not None else condition_doubts(rec)
        sts = (
            Fact.indeterminate(
                doubts.reason("a soft tissue sarcoma", doubts.sts) + "; record the histology"
            )
            if doubts.sts
            else Fact.of(False, note="no soft tissue sarcoma recorded")
        )
    else:
        sts = Fact.unknown("no conditions were supplied")

    # Each primary as the histology and site facts cite it, built once for the three (a chart
    # repeats its primary at every visit; issue 18).
    cited = [d.evidence(d.label()) for d in primaries]
    # Only a site-specific code (ICD-10 is organised by site) or a bodySite can say "no";
    # "sarcoma, site unspecified" in SNOMED cannot.
    sited = [
        ev
        for d, ev in zip(primaries, cited, strict=True)
        if d.body_sites() or _coded_as(d, ICD10CM, *FAMILY)
    ]
    return Tumour(
        primaries=primaries,
        gist=gist,
        sts=sts,
        histology=_histology(vs, primaries, cited, sts_morph, bool(gist_ev)),
        retroperitoneal=_site_fact(primaries, cited, sited, vs, "primary-rps", "retroperitoneal"),
        intra_abdominal=_site_fact(
            primaries, cited, sited, vs, "intra-abdominal-primary", "intra-abdominal"
        ),
    )


def _coded_as(d: Dx, *systems: str) -> bool:
    return any(canonical_system(c.system) in systems for c in d.codes if c.code)


def _unread_cancers(rec: Record, vs: ValueSets) -> list[tuple[Dx, str]]:
    """Conditions that may be a sarcoma the service cannot classify (clinical-logic §1.1: they
    make "no STS" indeterminate): a malignant morphology that the IDEA4RC sarcoma list counts as
    a sarcoma but the STS morphologies do not (osteosarcoma, endometrial stromal sarcoma, ...),
    or an IDEA4RC concept no value set knows. A carcinoma stays a readable "no"."""
    sarcomas = vs["idea4rc-sarcoma-diagnosis"].morphologies
    out: list[tuple[Dx, str]] = []
    for d in rec.conditions:
        malignant = [
            c
            for c in d.morphologies()
            if c.code
            and (parts := icdo3_parts(normalise_code(ICDO3, c.code)))[1] in ("3", "6")
            and parts[0] in sarcomas
            and not vs["sts-morphology"].contains(c.system, c.code)
            and not vs["gist"].contains(c.system, c.code)
        ]
        if malignant:
            out.append((d, f"{d.label()} (ICD-O-3 {malignant[0].code})"))
        elif _coded_as(d, ATHENA, IDEA4RC_LOCAL) and not d.members and not d.morphologies():
            out.append((d, f"{d.label()} (an IDEA4RC concept this service does not read)"))
    return out


def _own_sts_morph(d: Dx, vs: ValueSets) -> bool:
    return any(vs["sts-morphology"].contains(c.system, c.code) for c in d.morphologies())


def _histology(
    vs: ValueSets,
    primaries: list[Dx],
    cited: list[Evidence],
    sts_morph: list[tuple[Coding, Evidence]],
    gist: bool,
) -> Fact:
    if gist:
        return Fact.of("gist", note="GIST")
    # Morphology codes first (most specific), then SNOMED disorder codes of the primary.
    candidates: list[tuple[Coding, Evidence]] = list(sts_morph)
    for d, ev in zip(primaries, cited, strict=True):
        candidates += [(c, ev) for c in d.codes]
    found: dict[str, list[Evidence]] = {}
    for coding, source in candidates:
        # The coding's value sets, looked up once (not each histology set asked in turn).
        member = vs.memberships((coding,))
        for cat, vs_id in _HISTOLOGY_SETS:
            if vs_id in member:
                found.setdefault(cat, []).append(source)
                break
    if len(found) == 1:
        cat, evs = next(iter(found.items()))
        return Fact.of(cat, evs, note=cat.replace("_", " "))
    if len(found) > 1:
        return Fact.indeterminate(
            "conflicting histologies recorded: " + ", ".join(sorted(found)),
            [e for evs in found.values() for e in evs],
        )
    if sts_morph:
        # A recorded STS morphology outside the listed subtypes: a real "other".
        return Fact.of(
            "other_sts",
            [e for _, e in sts_morph],
            note="soft tissue sarcoma of a subtype without subtype-specific advice",
        )
    return Fact.unknown("histology not recorded", cited)


def _site_fact(
    primaries: list[Dx],
    cited: list[Evidence],
    sited: list[Evidence],
    vs: ValueSets,
    vs_id: str,
    what: str,
) -> Fact:
    """`cited`: each primary's evidence, in the order of `primaries`; `sited`: that of those
    whose site is coded."""
    hits = [i for i, d in enumerate(primaries) if vs_id in d.members]
    if vs_id == "primary-rps":
        retroperitoneum = vs["bodysite-retroperitoneum"]
        hits += [
            i
            for i, d in enumerate(primaries)
            if i not in hits and retroperitoneum.matches_any(d.body_sites())
        ]
    if hits:
        return Fact.of(True, [cited[i] for i in hits], note=f"{what} primary")
    if sited:
        return Fact.of(False, sited, note=f"not {what}")
    if primaries:
        return Fact.unknown(f"the primary's site is not coded (cannot tell if {what})")
    return Fact.unknown("no primary tumour recorded")
