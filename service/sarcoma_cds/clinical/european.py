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
Nothing here reads a clock or does I/O; the added codings are the concept's own, never text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sarcoma_cds.clinical.codes import ATHENA, ICD10, ICDO3, LOINC, canonical_system
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import PatientRecord
from sarcoma_cds.fhir.projection import (
    CodeableConcept,
    Coding,
    Condition,
    Extension,
    Observation,
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
    conditions = [_with_icdo3(c, vs) for c in rec.conditions]
    episodes = _episodes(conditions)
    dated = _diagnosis_dates(rec.observations)
    kept: list[Condition] = []
    statuses: list[Observation] = []
    for c in conditions:
        if id(c) in episodes:
            if (obs := _status_observation(c, vs)) is not None:
                statuses.append(obs)
            continue
        kept.append(_dated(c, dated))
    extra = statuses + _outcomes(rec, vs)
    changes: dict[str, Any] = {"conditions": kept, "observations": rec.observations + extra}
    procedures = _surgery_children(rec, vs)
    if procedures is not None:
        changes["procedures"] = procedures
    return replace(rec, **changes)


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
    return cc.model_copy(update={"coding": cc.coding + tuple(added)}), morphologies


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
    return c.model_copy(update=update) if update else c


def _keys(cc: CodeableConcept | None) -> frozenset[tuple[str, str]]:
    if cc is None:
        return frozenset()
    return frozenset(
        (system, x.code)
        for x in cc.coding
        if x.code and (system := canonical_system(x.system)) is not None
    )


# --- episodes --------------------------------------------------------------------------------


def _target_id(reference: str | None) -> str | None:
    """The id a Condition reference names: `Condition/x`, an absolute URL, `urn:uuid:x`."""
    if not reference:
        return None
    return reference.rstrip("/").rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def _episodes(conditions: list[Condition]) -> set[int]:
    """Conditions that follow an earlier Condition of this record with the same code."""
    by_id: dict[str, Condition] = {c.id: c for c in conditions if c.id}
    out: set[int] = set()
    for c in conditions:
        for ext in c.extension:
            target = getattr(ext, "valueReference", None)
            if ext.url != OCCURRED_FOLLOWING or target is None:
                continue
            base = by_id.get(_target_id(target.reference) or "")
            if base is not None and base is not c and _keys(base.code) & _keys(c.code):
                out.add(id(c))
    return out


def _episode_date(c: Condition) -> str | None:
    return c.onsetDateTime or (c.onsetPeriod.start if c.onsetPeriod else None) or c.recordedDate


def _status_observation(c: Condition, vs: ValueSets) -> Observation | None:
    """The episode's disease status (the IG's Athena slice of clinicalStatus) as an assessment."""
    when = _episode_date(c)
    if c.clinicalStatus is None or when is None:
        return None
    status = [x for x in c.clinicalStatus.coding if _is_response(x, vs)]
    if not status:
        return None
    return _assessment(f"{c.id or 'condition'}-status", status, when, c.code)


def _is_response(coding: Coding, vs: ValueSets) -> bool:
    return any(vs[i].contains(coding.system, coding.code) for i in RESPONSE_SETS)


def _assessment(
    obs_id: str, value: Iterable[Coding], when: str, about: CodeableConcept | None
) -> Observation:
    label = about.label() if about else None
    return Observation.model_validate(
        {
            "resourceType": "Observation",
            "id": obs_id,
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": DISEASE_STATUS}], "text": label},
            "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [x.model_dump(exclude_none=True) for x in value]},
        }
    )


# --- diagnosis dates -------------------------------------------------------------------------


def _diagnosis_dates(observations: list[Observation]) -> dict[tuple[str, str], str]:
    """Earliest diagnosis-Observation date per diagnosis code."""
    out: dict[tuple[str, str], str] = {}
    for o in observations:
        if o.status in ("entered-in-error", "cancelled") or not o.effectiveDateTime:
            continue
        if not any(canonical_system(x.system) == LOINC and x.code == DIAGNOSIS for x in _cc(o)):
            continue
        for key in _keys(o.valueCodeableConcept):
            if key not in out or o.effectiveDateTime < out[key]:
                out[key] = o.effectiveDateTime
    return out


def _cc(o: Observation) -> tuple[Coding, ...]:
    return o.code.coding if o.code else ()


def _dated(c: Condition, dated: dict[tuple[str, str], str]) -> Condition:
    if c.onsetDateTime or (c.onsetPeriod and c.onsetPeriod.start):
        return c
    found = sorted(d for key in _keys(c.code) if (d := dated.get(key)))
    return c.model_copy(update={"onsetDateTime": found[0]}) if found else c


# --- treatments (need the medication and procedure reading) ----------------------------------


def _outcomes(rec: PatientRecord, vs: ValueSets) -> list[Observation]:
    out: list[Observation] = []
    for m in getattr(rec, "medications", ()):
        if getattr(m, "resourceType", None) != "MedicationAdministration":
            continue
        when = m.effectivePeriod.end if m.effectivePeriod else None
        when = (
            when or m.effectiveDateTime or (m.effectivePeriod.start if m.effectivePeriod else None)
        )
        if when is None:
            continue
        for ext in m.extension:
            if ext.url in OUTCOME and ext.valueCodeableConcept is not None:
                status = [x for x in ext.valueCodeableConcept.coding if _is_response(x, vs)]
                if status:
                    out.append(
                        _assessment(f"{m.id or 'administration'}-outcome", status, when, None)
                    )
    return out


def _on_a_metastasis(p: Any, vs: ValueSets) -> bool:
    """Is the procedure's body site a metastasis ("Metastasis to liver", Surgery2FHIR)?"""
    sites = [c for cc in p.bodySite for c in cc.coding]
    return any(i.startswith("metastasis-") for i in vs.memberships(sites))


def _surgery_children(rec: PatientRecord, vs: ValueSets) -> list[Any] | None:
    by_id = {p.id: p for p in rec.procedures if p.id}
    changed = False
    out: list[Any] = []
    for p in rec.procedures:
        parents = [by_id.get(_target_id(r.reference) or "") for r in getattr(p, "partOf", ())]
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
        changed = changed or bool(update)
        out.append(p.model_copy(update=update) if update else p)
    return out if changed else None
