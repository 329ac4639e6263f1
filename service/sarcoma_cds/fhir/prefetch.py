"""From the request's prefetch values to one patient's projected resources, with the gaps named.

A prefetch value may be a resource, a searchset Bundle, a list of resources, `null` or absent.
Resources are routed by their own resourceType, whatever key they came under. Anything unusable
(an OperationOutcome instead of a Bundle, a broken resource, a paged Bundle) becomes a data gap
that the summary card names; it never fails the request. A key counts as supplied (so that "none
recorded" is a known no) only when its value holds everything its query asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sarcoma_cds.fhir import gaps as gap_text
from sarcoma_cds.fhir.projection import (
    Condition,
    DiagnosticReport,
    Observation,
    Patient,
    Procedure,
    project,
)
from sarcoma_cds.fhir.searchset import unreadable_reason

# Keys whose absence means nothing can be said (the fetch fallback treats them as required).
EXPECTED_KEYS = ("patient", "conditions", "observations", "procedures")


@dataclass
class PatientRecord:
    patient_id: str
    patient: Patient | None = None
    conditions: list[Condition] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    reports: list[DiagnosticReport] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    supplied_keys: frozenset[str] = frozenset()


def _is_patients(ref: str | None, patient_id: str) -> bool:
    """`Patient/123`, `https://ehr/fhir/Patient/123` or `Patient/123/_history/2`."""
    if ref is None:
        return True  # came from the patient-compartment search; FHIR makes subject optional
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] == patient_id


def _entries(key: str, value: Any, gaps: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):
        return _resources_only(key, value, gaps)
    if not isinstance(value, dict):
        gaps.append(f"prefetch '{key}' is not a FHIR resource or Bundle; it was ignored")
        return []
    rtype = value.get("resourceType")
    if rtype == "OperationOutcome":
        return []  # named by `unreadable_reason`
    if rtype != "Bundle":
        return [value]
    entries = value.get("entry")
    if entries is None:
        return []  # an empty searchset
    if not isinstance(entries, list):
        gaps.append(f"prefetch '{key}': Bundle.entry is not a list; it was ignored")
        return []
    resources = []
    for e in entries:
        search = e.get("search") if isinstance(e, dict) else None
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue  # search warnings, not patient data
        resources.append(e.get("resource") if isinstance(e, dict) else e)
    return _resources_only(key, resources, gaps)


def _resources_only(key: str, items: list[Any], gaps: list[str]) -> list[dict[str, Any]]:
    """The JSON objects among `items`; anything else is named as a gap, not silently dropped."""
    out = [v for v in items if isinstance(v, dict)]
    if len(out) < len(items):
        gaps.append(f"prefetch '{key}': {len(items) - len(out)} entries are not FHIR resources")
    return out


def collect(
    patient_id: str, prefetch: Mapping[str, Any], unreadable: Mapping[str, str] | None = None
) -> PatientRecord:
    """`unreadable`: key -> why the caller could not obtain (all of) it, e.g. a failed fetch."""
    unread = dict(unreadable or {})
    for key, value in prefetch.items():
        reason = unreadable_reason(value)
        if reason is not None:
            unread.setdefault(key, reason)
    rec = PatientRecord(
        patient_id=patient_id,
        supplied_keys=frozenset(key for key in prefetch if key not in unread),
    )
    other_patient = broken = 0
    broken_refs: list[str] = []
    seen: set[tuple[str, str]] = set()
    for key, value in prefetch.items():
        for raw in _entries(key, value, rec.gaps):
            rtype, rid = str(raw.get("resourceType")), str(raw.get("id", ""))
            if not isinstance(raw.get("resourceType"), str):
                broken += 1  # not recognisable as a resource at all
                broken_refs.append(f"'{key}' entry without a resourceType")
                continue
            try:
                res = project(raw)
            except ValidationError:
                broken += 1
                broken_refs.append(f"{rtype}/{rid}" if rid else rtype)
                continue
            if res is None:
                continue  # a resource type the facts do not use
            if rid and (rtype, rid) in seen:
                continue  # the same resource under two keys
            seen.add((rtype, rid))
            if isinstance(res, Patient):
                if res.id in (None, patient_id):
                    rec.patient = res
                continue
            if not _is_patients(res.subject.reference if res.subject else None, patient_id):
                other_patient += 1
                continue
            if isinstance(res, Condition):
                rec.conditions.append(res)
            elif isinstance(res, Observation):
                rec.observations.append(res)
            elif isinstance(res, DiagnosticReport):
                rec.reports.append(res)
            else:
                rec.procedures.append(res)
    if broken:
        shown = ", ".join(broken_refs[:5]) + (" …" if len(broken_refs) > 5 else "")
        rec.gaps.append(f"{broken} malformed resource(s) skipped ({shown})")
    if other_patient:
        rec.gaps.append(f"{other_patient} resource(s) of another patient ignored")
    rec.gaps[:0] = [gap_text.unreadable(key, reason) for key, reason in unread.items()]
    for key in ("conditions", "observations", "procedures"):
        if key not in prefetch and key not in unread:
            rec.gaps.append(gap_text.not_sent(key))
    return rec
