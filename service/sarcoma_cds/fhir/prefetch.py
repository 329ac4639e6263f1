"""From the request's prefetch values to one patient's projected resources, with the gaps named.

A prefetch value may be a resource, a searchset Bundle, a list of resources, `null` or absent.
Resources are routed by their own resourceType, whatever key they came under (an EHR that sends
one Bundle with everything is understood). Anything unusable (an OperationOutcome instead of a
Bundle, an unreadable element, a paged Bundle) becomes a data gap that the summary card names;
it never fails the request. A key counts as supplied (so that "none recorded" is a known no)
only when its value holds everything its query asked for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson

from sarcoma_cds.fhir import gaps as gap_text
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, resource_type_of
from sarcoma_cds.fhir.projection import (
    BodyStructure,
    Condition,
    DiagnosticReport,
    Medication,
    MedicationUse,
    Observation,
    Patient,
    Procedure,
    Resource,
    UnreadableResource,
    project,
)
from sarcoma_cds.fhir.references import ReferenceIndex
from sarcoma_cds.fhir.searchset import resource_types_in, unreadable_reason

MEDICATION_KEYS = ("medicationRequests", "medicationAdministrations", "medicationStatements")
_SHOWN = 5


@dataclass
class PatientRecord:
    patient_id: str
    patient: Patient | None = None
    conditions: list[Condition] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    medications: list[MedicationUse] = field(default_factory=list)
    reports: list[DiagnosticReport] = field(default_factory=list)
    body_structures: list[BodyStructure] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    supplied_keys: frozenset[str] = frozenset()
    refs: ReferenceIndex = field(default_factory=ReferenceIndex)
    # "Condition/x: onsetDateTime 'not-a-date'": elements read as unknown, for the facts' reasons
    unreadable: list[str] = field(default_factory=list)


def _entries(key: str, value: Any, gaps: list[str]) -> list[tuple[str | None, dict[str, Any]]]:
    """(fullUrl, resource) pairs of one prefetch value."""
    if value is None:
        return []
    if isinstance(value, list):
        return [(None, r) for r in _resources_only(key, value, gaps)]
    if not isinstance(value, dict):
        gaps.append(f"prefetch '{key}' is not a FHIR resource or Bundle; it was ignored")
        return []
    rtype = value.get("resourceType")
    if rtype == "OperationOutcome":
        return []  # named by `unreadable_reason`
    if rtype != "Bundle":
        return [(None, value)]
    entries = value.get("entry")
    if entries is None:
        return []  # an empty searchset
    if not isinstance(entries, list):
        gaps.append(f"prefetch '{key}': Bundle.entry is not a list; it was ignored")
        return []
    return _bundle_entries(key, entries, gaps)


def _bundle_entries(
    key: str, entries: list[Any], gaps: list[str]
) -> list[tuple[str | None, dict[str, Any]]]:
    """A Bundle's resources with their fullUrl; search outcomes skipped, non-resources counted."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    not_resources = 0
    for e in entries:
        if not isinstance(e, dict):
            not_resources += 1
            continue
        search = e.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue  # search warnings, not patient data
        resource = e.get("resource")
        if not isinstance(resource, dict):
            not_resources += 1
            continue
        full_url = e.get("fullUrl")
        out.append((full_url if isinstance(full_url, str) else None, resource))
    if not_resources:
        gaps.append(f"prefetch '{key}': {not_resources} entries are not FHIR resources")
    return out


def _resources_only(key: str, items: list[Any], gaps: list[str]) -> list[dict[str, Any]]:
    """The JSON objects among `items`; anything else is named as a gap, not silently dropped."""
    out = [v for v in items if isinstance(v, dict)]
    if len(out) < len(items):
        gaps.append(f"prefetch '{key}': {len(items) - len(out)} entries are not FHIR resources")
    return out


def _subject(res: Resource) -> str | bool | None:
    """The patient reference of a resource; True for resources that belong to no patient."""
    if isinstance(res, Medication):
        return True
    ref = res.patient if isinstance(res, BodyStructure) else getattr(res, "subject", None)
    return ref.reference if ref is not None else None


@dataclass
class _Collector:
    rec: PatientRecord
    broken: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # id -> first
    conflicting: list[str] = field(default_factory=list)  # ids sent twice, differently
    projected: list[tuple[Resource, str | None]] = field(default_factory=list)

    def add(self, key: str, full_url: str | None, raw: dict[str, Any]) -> None:
        rtype = raw.get("resourceType")
        if not isinstance(rtype, str):
            self.broken.append(f"'{key}' entry without a resourceType")
            return
        rid = raw.get("id")
        name = f"{rtype}/{rid}" if isinstance(rid, str) and rid else rtype
        try:
            res = project(raw)
        except UnreadableResource:
            self.broken.append(name)
            return
        if res is None:
            return  # a resource type the facts do not use
        if res.id and (rtype, res.id) in self.seen:
            # The same resource under two keys is read once; two different versions of one id
            # are a data gap (issue 17, F13): which one the EHR means is not ours to guess.
            # Digests only for ids seen twice: hashing every resource was 7 % of a call (issue 18).
            first = self.seen[(rtype, res.id)]
            differs = first is not raw and _digest(first) != _digest(raw)
            if differs and name not in self.conflicting:
                self.conflicting.append(name)
            return
        if res.id:
            self.seen[(rtype, res.id)] = raw
        self.rec.unreadable += [f"{u} ({name})" for u in res.unreadable]
        self.rec.refs.add(res, full_url)
        self._contained(res, name, raw.get("contained"))
        self.projected.append((res, full_url))

    def _contained(self, container: Resource, name: str, contained: Any) -> None:
        """`#id` references resolve to these; contained resources are not patient data of
        their own (they count only through the reference that names them)."""
        if not isinstance(contained, list):
            return
        for raw in contained:
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                continue
            try:
                res = project(raw)
            except UnreadableResource:
                self.broken.append(f"{name}#{raw.get('id')}")
                continue
            if res is not None:
                self.rec.unreadable += [f"{u} ({name}#{res.id})" for u in res.unreadable]
                self.rec.refs.add_contained(container, res)


def _digest(raw: dict[str, Any]) -> bytes:
    try:
        return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).digest()
    except orjson.JSONEncodeError:
        return b""  # not JSON again (never from a request): not compared


def supplied_keys(prefetch: Mapping[str, Any]) -> frozenset[str]:
    """The keys sent, plus the template key of every resource type that arrived under another
    key: an EHR that sends one Bundle with everything has supplied its Conditions."""
    types = resource_types_in(prefetch)
    by_type = {resource_type_of(t): k for k, t in PREFETCH_TEMPLATES.items()}
    return frozenset(prefetch) | {by_type[t] for t in types if t in by_type}


def collect(
    patient_id: str,
    prefetch: Mapping[str, Any],
    unreadable: Mapping[str, str] | None = None,
    fhir_server: str | None = None,
) -> PatientRecord:
    """`unreadable`: key -> why the caller could not obtain (all of) it, e.g. a failed fetch.
    `fhir_server`: the hook's fhirServer; a subject given as an absolute URL on another base
    names another server's patient, whatever its id (issue 17, F13)."""
    unread = dict(unreadable or {})
    for key, value in prefetch.items():
        reason = unreadable_reason(value)
        if reason is not None:
            unread.setdefault(key, reason)
    rec = PatientRecord(
        patient_id=patient_id,
        supplied_keys=frozenset(k for k in supplied_keys(prefetch) if k not in unread),
    )
    c = _Collector(rec)
    for key, value in prefetch.items():
        for full_url, raw in _entries(key, value, rec.gaps):
            c.add(key, full_url, raw)
    whose = _Whose(rec.patient_id, _patient_aliases(rec, c.projected), _base(fhir_server))
    _route_all(rec, c.projected, whose)
    _name_gaps(rec, c, whose, unread)
    return rec


def _patient_aliases(rec: PatientRecord, projected: list[tuple[Resource, str | None]]) -> set[str]:
    """The ways resources name the patient; sets `rec.patient`. The patient's fullUrl (urn:uuid
    in raw Synthea and transaction Bundles) is one of them."""
    patient_id = rec.patient_id
    aliases = {f"Patient/{patient_id}", f"urn:uuid:{patient_id}"}
    for res, full_url in projected:
        if isinstance(res, Patient) and res.id in (None, patient_id):
            rec.patient = res
            if full_url:
                aliases.add(full_url)
    return aliases


def _base(url: str | None) -> str | None:
    """A FHIR base URL compared as servers are: scheme and host case-insensitive, no trailing
    slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


@dataclass
class _Whose:
    """Decides whose a subject reference is, and counts the resources that are not ours."""

    patient_id: str
    aliases: set[str]
    server: str | None  # the hook's fhirServer as `_base`; None when the call gave none
    other_patient: int = 0
    other_server: int = 0

    def is_ours(self, ref: str | None) -> bool:
        kind = self._kind(ref)
        if kind == "other patient":
            self.other_patient += 1
        elif kind == "other server":
            self.other_server += 1
        return kind == "ours"

    def _kind(self, ref: str | None) -> Literal["ours", "other patient", "other server"]:
        if not _is_patients(ref, self.patient_id, self.aliases):
            return "other patient"
        if ref is None or ref in self.aliases or self.server is None:
            return "ours"
        if not ref.startswith(("http://", "https://")):
            return "ours"  # relative: on the server the resource came from
        # `<base>/Patient/<id>[/_history/<v>]`: the same id on another base is another patient.
        base = ref[: ref.rfind("/Patient/")] if "/Patient/" in ref else ref
        return "ours" if _base(base) == self.server else "other server"


def _route_all(
    rec: PatientRecord, projected: list[tuple[Resource, str | None]], whose: _Whose
) -> None:
    """Files each of the patient's resources in `rec`; `whose` counts those it leaves out."""
    for res, _ in projected:
        if isinstance(res, Patient):
            continue
        subject = _subject(res)
        if subject is True:
            continue  # a Medication: reached only through medicationReference
        if whose.is_ours(subject if isinstance(subject, str) else None):
            _route(rec, res)


def _name_gaps(rec: PatientRecord, c: _Collector, whose: _Whose, unread: dict[str, str]) -> None:
    """What the record lacks, in words: unreadable keys first, then skipped resources and
    elements, another patient's resources, conflicting duplicates, and the keys not sent."""
    broken = c.broken
    if broken:
        shown = ", ".join(broken[:_SHOWN]) + (" …" if len(broken) > _SHOWN else "")
        rec.gaps.append(f"{len(broken)} unreadable resource(s) skipped ({shown})")
    if rec.unreadable:
        shown = "; ".join(rec.unreadable[:_SHOWN]) + (" …" if len(rec.unreadable) > _SHOWN else "")
        rec.gaps.append(
            f"{len(rec.unreadable)} unreadable element(s) read as unknown, the rest of each "
            f"resource used ({shown})"
        )
    if whose.other_patient:
        rec.gaps.append(f"{whose.other_patient} resource(s) of another patient ignored")
    if whose.other_server:
        rec.gaps.append(gap_text.other_server(whose.other_server))
    if c.conflicting:
        rec.gaps.append(gap_text.conflicting(c.conflicting[:_SHOWN], len(c.conflicting)))
    rec.gaps[:0] = [gap_text.unreadable(key, reason) for key, reason in unread.items()]
    for key in ("conditions", "observations", "procedures"):
        if key not in rec.supplied_keys and key not in unread:
            rec.gaps.append(gap_text.not_sent(key))
    if not any(k in rec.supplied_keys or k in unread for k in MEDICATION_KEYS):
        rec.gaps.append(gap_text.not_sent("medications"))


def _route(rec: PatientRecord, res: Resource) -> None:
    if isinstance(res, Condition):
        rec.conditions.append(res)
    elif isinstance(res, Observation):
        rec.observations.append(res)
    elif isinstance(res, Procedure):
        rec.procedures.append(res)
    elif isinstance(res, DiagnosticReport):
        rec.reports.append(res)
    elif isinstance(res, BodyStructure):
        rec.body_structures.append(res)
    elif not isinstance(res, Patient | Medication):
        rec.medications.append(res)


def _is_patients(ref: str | None, patient_id: str, aliases: set[str]) -> bool:
    """`Patient/123`, `https://ehr/fhir/Patient/123`, `Patient/123/_history/2`, or the
    Patient entry's fullUrl (`urn:uuid:...`)."""
    if ref is None:
        return True  # came from the patient-compartment search; FHIR makes subject optional
    if ref in aliases:
        return True
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] == patient_id
