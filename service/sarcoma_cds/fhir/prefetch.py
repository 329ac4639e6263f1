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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sarcoma_cds.fhir import gaps as gap_text
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, resource_type_of
from sarcoma_cds.fhir.projection import (
    MODELS,
    BodyStructure,
    Condition,
    DiagnosticReport,
    Medication,
    MedicationAdministration,
    MedicationRequest,
    MedicationStatement,
    MedicationUse,
    Observation,
    Patient,
    Procedure,
    Resource,
    UnreadableResource,
    project,
    project_as,
    project_many,
)
from sarcoma_cds.fhir.references import ReferenceIndex
from sarcoma_cds.fhir.searchset import (
    has_failed_issue,
    resource_types_in,
    searchset_reason,
    unreadable_reason,
)
from sarcoma_cds.fhir.whose import Whose, base_url

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


def _resources_only(key: str, items: list[Any], gaps: list[str]) -> list[dict[str, Any]]:
    """The JSON objects among `items`; anything else is named as a gap, not silently dropped."""
    out = [v for v in items if isinstance(v, dict)]
    if len(out) < len(items):
        gaps.append(f"prefetch '{key}': {len(items) - len(out)} entries are not FHIR resources")
    return out


def _name(rtype: str, raw: dict[str, Any]) -> str:
    """How a resource is named in a gap: `Condition/x`, or its type when it has no id."""
    rid = raw.get("id")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else rtype


# The element that names a resource's patient, by model; Patient and Medication have none (a
# Medication is reached only through a medicationReference).
_SUBJECT: dict[type[Resource], str] = {
    m: "patient" if m is BodyStructure else "subject"
    for m in MODELS.values()
    if m not in (Patient, Medication)
}


@dataclass
class _Collector:
    """Reads the prefetch in one pass (issue 18: it was read once per purpose): each value's
    resources are projected as they are met, and what the value says about itself (its
    resource types, an error in its place or in its search, more pages) is noted on the way."""

    rec: PatientRecord
    unread: dict[str, str]  # key -> why it does not hold all its query asked for
    types: set[str] = field(default_factory=set)  # resourceTypes met, for `supplied_keys`
    broken: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # id -> first
    conflicting: list[str] = field(default_factory=list)  # ids sent twice, differently
    patients: list[tuple[Patient, str | None]] = field(default_factory=list)  # with fullUrl
    routed: list[tuple[Resource, str | None]] = field(default_factory=list)  # with subject

    def read(self, key: str, value: Any) -> None:
        """One prefetch value: a resource, a searchset Bundle, a list of resources or null."""
        if value is None:
            return
        if isinstance(value, list):
            self.types |= resource_types_in({key: value})
            for raw in _resources_only(key, value, self.rec.gaps):
                self.add(key, None, raw, raw.get("resourceType"))
            return
        if not isinstance(value, dict):
            self.rec.gaps.append(
                f"prefetch '{key}' is not a FHIR resource or Bundle; it was ignored"
            )
            return
        rtype = value.get("resourceType")
        if rtype == "Bundle":
            self._bundle(key, value)
            return
        if isinstance(rtype, str):
            self.types.add(rtype)
        if rtype == "OperationOutcome":
            self._unread(key, unreadable_reason(value))
        else:
            self.add(key, None, value, rtype)

    def _unread(self, key: str, reason: str | None) -> None:
        if reason is not None:
            self.unread.setdefault(key, reason)

    def _bundle(self, key: str, bundle: dict[str, Any]) -> None:
        """A Bundle's resources with their fullUrl; search outcomes skipped (a failed one makes
        the value unreadable), non-resources counted."""
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            self.types.add("Bundle")
            self._unread(key, searchset_reason(bundle, None))
            if entries is not None:
                self.rec.gaps.append(
                    f"prefetch '{key}': Bundle.entry is not a list; it was ignored"
                )
            return  # None: an empty searchset
        failed: dict[str, Any] | None = None
        not_resources = 0
        found: list[tuple[str | None, dict[str, Any], Any]] = []  # (fullUrl, resource, its type)
        for e in entries:
            if not isinstance(e, dict):
                not_resources += 1
                continue
            resource = e.get("resource")
            search = e.get("search")
            # search warnings (and a failed search's error), not patient data
            outcome = isinstance(search, dict) and search.get("mode") == "outcome"
            if not isinstance(resource, dict):
                not_resources += 0 if outcome else 1
                continue
            rtype = resource.get("resourceType")
            if isinstance(rtype, str):
                self.types.add(rtype)
                if rtype == "OperationOutcome" and failed is None and has_failed_issue(resource):
                    failed = resource
            if not outcome:
                full_url = e.get("fullUrl")
                found.append((full_url if isinstance(full_url, str) else None, resource, rtype))
        if not_resources:
            self.rec.gaps.append(
                f"prefetch '{key}': {not_resources} entries are not FHIR resources"
            )
        self._unread(key, searchset_reason(bundle, failed))
        self._add_all(key, found)

    def _add_all(self, key: str, found: list[tuple[str | None, dict[str, Any], Any]]) -> None:
        """A searchset holds one resource type as a rule: projected in one call then."""
        rtype = found[0][2] if found else None
        model = MODELS.get(rtype) if isinstance(rtype, str) else None
        if not isinstance(rtype, str) or model is None or any(t != rtype for _, _, t in found):
            for full_url, raw, t in found:
                self.add(key, full_url, raw, t)
            return
        self._file(rtype, model, found, project_many([raw for _, raw, _ in found], model))

    def add(self, key: str, full_url: str | None, raw: dict[str, Any], rtype: Any) -> None:
        """`rtype`: raw["resourceType"], which the caller has read already."""
        if not isinstance(rtype, str):
            self.broken.append(f"'{key}' entry without a resourceType")
            return
        model = MODELS.get(rtype)
        if model is None:
            return  # a resource type the facts do not use
        try:
            res: Resource | None = project_as(raw, model)
        except UnreadableResource:
            res = None
        self._file(rtype, model, [(full_url, raw, rtype)], [res])

    def _file(
        self,
        rtype: str,
        model: type[Resource],
        found: list[tuple[str | None, dict[str, Any], Any]],
        projected: list[Resource | None],
    ) -> None:
        """Files resources of one type, each with its projection (None: unreadable), once
        each, with what they lack named. One loop for a whole searchset (issue 18)."""
        seen, refs, subject = self.seen, self.rec.refs, _SUBJECT.get(model)
        for (full_url, raw, _), res in zip(found, projected, strict=True):
            if res is None:
                self.broken.append(_name(rtype, raw))
                continue
            if res.id:
                at = (rtype, res.id)
                first = seen.get(at)
                if first is not None:
                    self._repeated(rtype, raw, first)
                    continue
                seen[at] = raw
            # The name is built only when a text needs it (issue 18: it was built for each).
            if res.unreadable:
                name = _name(rtype, raw)
                self.rec.unreadable += [f"{u} ({name})" for u in res.unreadable]
            refs.add(res, full_url)
            contained = raw.get("contained")
            if isinstance(contained, list):
                self._contained(res, _name(rtype, raw), contained)
            if subject is not None:
                ref = getattr(res, subject)
                self.routed.append((res, ref.reference if ref is not None else None))
            elif isinstance(res, Patient):
                self.patients.append((res, full_url))

    def _repeated(self, rtype: str, raw: dict[str, Any], first: dict[str, Any]) -> None:
        """An id read before: the same resource under two keys is read once; two different
        versions of one id are a data gap (issue 17, F13): which one the EHR means is not ours
        to guess. Digests only for ids seen twice: hashing every resource was 7 % of a call
        (issue 18)."""
        name = _name(rtype, raw)
        differs = first is not raw and _digest(first) != _digest(raw)
        if differs and name not in self.conflicting:
            self.conflicting.append(name)

    def _contained(self, container: Resource, name: str, contained: list[Any]) -> None:
        """`#id` references resolve to these; contained resources are not patient data of
        their own (they count only through the reference that names them)."""
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


# The template key of each resource type (the last key wins, as it always has).
_KEY_OF_TYPE = {resource_type_of(t): k for k, t in PREFETCH_TEMPLATES.items()}


def supplied_keys(
    prefetch: Mapping[str, Any], types: Iterable[str] | None = None
) -> frozenset[str]:
    """The keys sent, plus the template key of every resource type that arrived under another
    key: an EHR that sends one Bundle with everything has supplied its Conditions. `types`:
    the resource types in `prefetch` (`resource_types_in`), when the caller has them."""
    found = resource_types_in(prefetch) if types is None else types
    return frozenset(prefetch) | {_KEY_OF_TYPE[t] for t in found if t in _KEY_OF_TYPE}


def collect(
    patient_id: str,
    prefetch: Mapping[str, Any],
    unreadable: Mapping[str, str] | None = None,
    fhir_server: str | None = None,
) -> PatientRecord:
    """`unreadable`: key -> why the caller could not obtain (all of) it, e.g. a failed fetch.
    `fhir_server`: the hook's fhirServer; a subject given as an absolute URL on another base
    names another server's patient, whatever its id (issue 17, F13)."""
    rec = PatientRecord(patient_id=patient_id)
    c = _Collector(rec, dict(unreadable or {}))
    for key, value in prefetch.items():
        c.read(key, value)
    unread = c.unread
    rec.supplied_keys = frozenset(k for k in supplied_keys(prefetch, c.types) if k not in unread)
    whose = Whose(rec.patient_id, _patient_aliases(rec, c.patients), base_url(fhir_server))
    _route_all(rec, c.routed, whose)
    _name_gaps(rec, c, whose, unread)
    return rec


def _patient_aliases(rec: PatientRecord, patients: list[tuple[Patient, str | None]]) -> set[str]:
    """The ways resources name the patient; sets `rec.patient`. The patient's fullUrl (urn:uuid
    in raw Synthea and transaction Bundles) is one of them."""
    patient_id = rec.patient_id
    aliases = {f"Patient/{patient_id}", f"urn:uuid:{patient_id}"}
    for res, full_url in patients:
        if res.id in (None, patient_id):
            rec.patient = res
            if full_url:
                aliases.add(full_url)
    return aliases


def _route_all(rec: PatientRecord, routed: list[tuple[Resource, str | None]], whose: Whose) -> None:
    """Files each of the patient's resources in `rec`; `whose` counts those it leaves out."""
    # Dispatch on the exact class (`project` builds no subclasses): one dict lookup, not an
    # isinstance chain per resource (issue 18).
    lists: dict[type, list[Any]] = {
        Condition: rec.conditions,
        Observation: rec.observations,
        Procedure: rec.procedures,
        DiagnosticReport: rec.reports,
        BodyStructure: rec.body_structures,
        MedicationRequest: rec.medications,
        MedicationAdministration: rec.medications,
        MedicationStatement: rec.medications,
    }
    aliases = whose.aliases
    for res, subject in routed:
        # None (the compartment search's own) and the aliases are ours without further ado.
        if subject is None or subject in aliases or whose.is_ours(subject):
            lists[type(res)].append(res)


def _name_gaps(rec: PatientRecord, c: _Collector, whose: Whose, unread: dict[str, str]) -> None:
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
