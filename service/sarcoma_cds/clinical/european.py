"""European rare-cancer records (IDEA4RC IG, national registries) in the shapes the reader knows.

One pure pass over the projected record, before `Record` (issue 21, docs/design.md):
- an Athena histology-of-site code ("Leiomyosarcoma, NOS, of retroperitoneum") gains its ICD-O-3
  morphology and, for a soft tissue sarcoma, the ICD-10 code of its site as further codings of
  the same concept (the OMOP concept is exactly that pair, code "8890/3-C48.0");
- IDEA4RC's own histology extension is read like mCODE's (Athena values through the same
  morphology table, ICD-O-3 values as they are);
- a diagnosis Observation (LOINC 29308-4) dates the diagnosis it names when the Condition has no
  onset date (the IG's Diagnosis map: "dateOfDiagnosis" is onsetDateTime or that Observation);
- an episode Condition (condition-occurredFollowing to an earlier Condition with the same code)
  is an event, not a new primary: it leaves the Conditions, and its disease status (progression,
  recurrence, remission, stable) becomes a disease-status assessment (97509-4) at its date;
- a MedicationAdministration `outcome` (the IG's treatment response) becomes a disease-status
  assessment at the end of the administration;
- a surgery's `partOf` child takes the parent's date and status when it has none; a child on a
  metastasis (body site "Metastasis to liver") is not read as a resection of the primary.
The references of the record are remapped to the lifted resources (a reference to an episode
names its baseline). Nothing here reads a clock or does I/O; the added codings are the
concept's own, never text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from msgspec.structs import replace as with_elements

from sarcoma_cds.clinical.codes import ATHENA, ICD10, ICDO3, LOINC, canonical_system
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import PatientRecord
from sarcoma_cds.fhir.projection import (
    CodeableConcept,
    Coding,
    Condition,
    Extension,
    MedicationAdministration,
    Observation,
    Procedure,
    Resource,
)

IG = "http://hl7.eu/fhir/ig/idea4rc/StructureDefinition/"
IDEA4RC_HISTOLOGY = (
    IG + "condition-histology-morphology-behavior",
    IG + "mcode-histology-morphology-behavior",
)
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
OCCURRED_FOLLOWING = "http://hl7.org/fhir/StructureDefinition/condition-occurredFollowing"
# The profile's extension is `outcome`; the IG's own example uses `treatment-response`.
OUTCOME = (IG + "outcome", IG + "treatment-response")
DIAGNOSIS = "29308-4"
DISEASE_STATUS = "97509-4"
RESPONSE_SETS = ("response-improved", "response-stable", "response-progressed")

# ICD-O-3 topography Cxx.9 of a three-character ICD-10 category (ICD-10 has no subdivision).
_THREE_CHARACTER = frozenset({"C19", "C20", "C23", "C37", "C52", "C55", "C56", "C58", "C61", "C73"})


def icd10_of_topography(topography: str) -> str | None:
    """The WHO ICD-10 code of a malignant primary at this ICD-O-3 site; None for lymph nodes
    (C77 is a secondary neoplasm in ICD-10) and the unknown primary site (C80)."""
    category = topography[:3]
    if category in ("C77", "C80"):
        return None
    return category if category in _THREE_CHARACTER else topography


def lift(rec: PatientRecord, vs: ValueSets) -> PatientRecord:
    lifted = [_with_icdo3(c, vs) for c in rec.conditions]
    baseline_of = _episodes(rec)
    dated = _diagnosis_dates(rec.observations)
    final: dict[int, Condition] = {}  # index in rec.conditions -> the Condition that stands
    for i, c in enumerate(lifted):
        if i not in baseline_of:
            final[i] = _dated(c, dated)
    statuses: list[Observation] = []
    for i, base in baseline_of.items():
        final[i] = final[base]  # what names the episode (a treatment's reason) names the primary
        if (obs := _status_observation(lifted[i], vs)) is not None:
            statuses.append(obs)
    replaced: dict[int, Resource] = {
        id(old): final[i] for i, old in enumerate(rec.conditions) if final[i] is not old
    }
    procedures = _surgery_children(rec, vs)
    pairs = zip(rec.procedures, procedures, strict=True)
    replaced |= {id(old): new for old, new in pairs if new is not old}
    kept = [final[i] for i in range(len(lifted)) if i not in baseline_of]
    return replace(
        rec,
        conditions=kept,
        observations=rec.observations + statuses + _outcomes(rec, vs),
        procedures=procedures,
        refs=rec.refs.remapped(replaced) if replaced else rec.refs,
    )


# --- codes -----------------------------------------------------------------------------------


def _expand(cc: CodeableConcept, vs: ValueSets) -> tuple[CodeableConcept, list[Coding]]:
    """The concept with the ICD-O-3 (and site) codings of its Athena histology-of-site codes,
    and the morphologies found."""
    added: list[Coding] = []
    morphologies: list[Coding] = []
    for coding in cc.coding:
        if canonical_system(coding.system) != ATHENA:
            continue
        concept = vs.concept(coding.system, coding.code)
        if concept is None or concept.morphology is None:
            continue
        morph = Coding(system=ICDO3, code=concept.morphology, display=concept.display)
        morphologies.append(morph)
        added.append(morph)
        # Only a sarcoma is coded by site in ICD-10 as a malignant primary here: a benign or
        # intermediate tumour (behaviour /0, /1) or another malignancy keeps its morphology only.
        if concept.topography and vs["sts-morphology"].contains(ICDO3, concept.morphology):
            site = icd10_of_topography(concept.topography)
            if site:
                added.append(Coding(system=ICD10, code=site, display=concept.display))
    if not added:
        return cc, morphologies
    return with_elements(cc, coding=cc.coding + tuple(added)), morphologies


def _with_icdo3(c: Condition, vs: ValueSets) -> Condition:
    update: dict[str, Any] = {}
    if c.code is not None:
        code, _ = _expand(c.code, vs)
        if code is not c.code:
            update["code"] = code
    histology: list[Coding] = []
    for ext in c.extension:
        if ext.url in IDEA4RC_HISTOLOGY and ext.valueCodeableConcept is not None:
            _, morphs = _expand(ext.valueCodeableConcept, vs)
            histology += morphs
            histology += [
                x for x in ext.valueCodeableConcept.coding if canonical_system(x.system) == ICDO3
            ]
    if histology:
        mcode = Extension(
            url=MCODE_HISTOLOGY, valueCodeableConcept=CodeableConcept(coding=tuple(histology))
        )
        update["extension"] = (*c.extension, mcode)
    return with_elements(c, **update) if update else c


def _keys(cc: CodeableConcept | None) -> frozenset[tuple[str, str]]:
    if cc is None:
        return frozenset()
    return frozenset(
        (system, x.code)
        for x in cc.coding
        if x.code and (system := canonical_system(x.system)) is not None
    )


# --- episodes --------------------------------------------------------------------------------


def _episodes(rec: PatientRecord) -> dict[int, int]:
    """Episode Conditions (index) -> their baseline (index): a Condition that follows an
    earlier Condition of this record with the same code (`condition-occurredFollowing`),
    followed back to the Condition that follows none (the diagnosis). A cycle has no baseline
    and is left as it is."""
    index = {id(c): i for i, c in enumerate(rec.conditions)}
    parent: dict[int, int] = {}
    for i, c in enumerate(rec.conditions):
        for ext in c.extension:
            if ext.url != OCCURRED_FOLLOWING:
                continue
            target = rec.refs.resolve_as(ext.valueReference, Condition, c)
            j = index.get(id(target)) if target is not None else None
            if j is not None and j != i and _keys(rec.conditions[j].code) & _keys(c.code):
                parent[i] = j
                break
    out: dict[int, int] = {}
    for i, j in parent.items():
        seen = {i}
        while j in parent and j not in seen:
            seen.add(j)
            j = parent[j]
        if j not in parent:
            out[i] = j
    return out


def _episode_date(c: Condition) -> str | None:
    return c.onsetDateTime or (c.onsetPeriod.start if c.onsetPeriod else None) or c.recordedDate


def _status_observation(c: Condition, vs: ValueSets) -> Observation | None:
    """The episode's disease status (the IG's Athena slice of clinicalStatus) as an assessment."""
    when = _episode_date(c)
    if c.clinicalStatus is None or when is None or _not_asserted(c):
        return None
    status = [x for x in c.clinicalStatus.coding if _is_response(x, vs)]
    if not status:
        return None
    return _assessment(f"{c.id or 'condition'}-status", status, when, c.code)


def _not_asserted(c: Condition) -> bool:
    codes = {x.code for x in c.verificationStatus.coding} if c.verificationStatus else set()
    return bool(codes & {"entered-in-error", "refuted"})


def _is_response(coding: Coding, vs: ValueSets) -> bool:
    return any(vs[i].contains(coding.system, coding.code) for i in RESPONSE_SETS)


def _assessment(
    obs_id: str, value: Iterable[Coding], when: str, about: CodeableConcept | None
) -> Observation:
    label = about.label() if about else None
    return Observation(
        resourceType="Observation",
        id=obs_id,
        status="final",
        code=CodeableConcept(coding=(Coding(system=LOINC, code=DISEASE_STATUS),), text=label),
        effectiveDateTime=when,
        valueCodeableConcept=CodeableConcept(coding=tuple(value)),
    )


# --- diagnosis dates -------------------------------------------------------------------------


def _diagnosis_dates(observations: list[Observation]) -> dict[tuple[str, str], str]:
    """Earliest diagnosis-Observation date per diagnosis code."""
    out: dict[tuple[str, str], str] = {}
    for o in observations:
        if o.status in ("entered-in-error", "cancelled") or not o.effectiveDateTime:
            continue
        if o.code is None:
            continue
        # A plain loop, the code first: a chart has hundreds of Observations and few diagnosis
        # ones (issue 18).
        for x in o.code.coding:
            if x.code == DIAGNOSIS and canonical_system(x.system) == LOINC:
                break
        else:
            continue
        for key in _keys(o.valueCodeableConcept):
            if key not in out or o.effectiveDateTime < out[key]:
                out[key] = o.effectiveDateTime
    return out


def _dated(c: Condition, dated: dict[tuple[str, str], str]) -> Condition:
    if not dated or c.onsetDateTime or (c.onsetPeriod and c.onsetPeriod.start):
        return c
    found = sorted(d for key in _keys(c.code) if (d := dated.get(key)))
    return with_elements(c, onsetDateTime=found[0]) if found else c


# --- treatments (need the medication and procedure reading) ----------------------------------


def _outcomes(rec: PatientRecord, vs: ValueSets) -> list[Observation]:
    """The IG's treatment response (`outcome` on a MedicationAdministration, "based on imaging
    alone") as a disease-status assessment at the end of the administration."""
    out: list[Observation] = []
    for m in rec.medications:
        if not isinstance(m, MedicationAdministration) or m.status == "entered-in-error":
            continue
        period = m.effectivePeriod
        when = (period.end if period else None) or m.effectiveDateTime
        when = when or (period.start if period else None)
        if when is None:
            continue
        for ext in m.extension:
            if ext.url in OUTCOME and ext.valueCodeableConcept is not None:
                status = [x for x in ext.valueCodeableConcept.coding if _is_response(x, vs)]
                if status:
                    obs_id = f"{m.id or 'administration'}-outcome"
                    out.append(_assessment(obs_id, status, when, None))
    return out


def _on_a_metastasis(p: Procedure, vs: ValueSets) -> bool:
    """Is the procedure's body site a metastasis ("Metastasis to liver", Surgery2FHIR)?"""
    sites = [c for cc in p.bodySite for c in cc.coding]
    return any(i.startswith("metastasis-") for i in vs.memberships(sites))


def _surgery_children(rec: PatientRecord, vs: ValueSets) -> list[Procedure]:
    """Each procedure, a `partOf` child completed from its parent (Surgery2FHIR: "a surgery
    procedure, related through partOf with the main surgery")."""
    out: list[Procedure] = []
    for p in rec.procedures:
        parents = [rec.refs.resolve_as(r, Procedure, p) for r in p.partOf]
        parent = next((x for x in parents if x is not None and x is not p), None)
        if parent is None:
            out.append(p)
            continue
        update: dict[str, Any] = {}
        if not (p.performedDateTime or p.performedPeriod):
            update["performedDateTime"] = parent.performedDateTime
            update["performedPeriod"] = parent.performedPeriod
        if not p.status:
            update["status"] = parent.status
        if _on_a_metastasis(p, vs):
            # The IG makes every surgery's reason the primary; a child on a metastasis operates
            # on the metastasis (its body site), so it is not read as a resection of the primary.
            update["reasonReference"] = ()
        elif not p.reasonReference:
            update["reasonReference"] = parent.reasonReference
        out.append(with_elements(p, **update) if update else p)
    return out
