"""The cheap first pass: which patients could get a card at all.

Every card needs `liver_metastasis_ever` (or the GIST / follow-up facts), and those come from a
patient's Conditions, Observations, BodyStructures and Procedures. A patient is a candidate when
one of those resources carries a code that belongs to any of the engine's value sets (the same
`ValueSets` the engine decides with, whatever the code system), or — for a Condition — text that
could be a cancer or a liver lesion (the honesty check turns such text into "indeterminate").
The test is deliberately wider than the rules: a candidate costs one evaluation, a missed
patient is a silent "no". Codes are found in the raw line with a regular expression, so the
resource is not walked in Python.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from sarcoma_cds.clinical.codes import KNOWN_SYSTEMS
from sarcoma_cds.clinical.valuesets import ValueSets

# Resource types whose codes can make a patient STS, liver-metastatic, GIST or resected.
DECIDING_TYPES = frozenset({"Condition", "Observation", "BodyStructure", "Procedure"})
# The resource types the engine reads (fhir/projection.py); other lines are counted and dropped.
ENGINE_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "Observation",
        "Procedure",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationStatement",
        "DiagnosticReport",
        "BodyStructure",
        "Medication",
    }
)
_CODE = re.compile(rb'"(?:code|valueCode)"\s*:\s*"([^"\\]{1,64})"')
# A superset of the honesty check's cancer, liver and metastasis words (clinical/honesty.py).
_CANCER_TEXT = re.compile(
    rb"(?i)sarcom|cancer|carcinom|malignan|neoplas|tumou?r|metasta|\bmets?\b|oncolog|gist|"
    rb"\blms\b|\bups\b|\bmfh\b|liver|hepat|lesion|\bmass\b|nodule|\bsol\b|secondar|spread|"
    rb"deposit|stage"
)
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/[^/]+)?$")


class _Coding(NamedTuple):
    system: str | None
    code: str | None


class CodeFilter:
    """Does a raw NDJSON line name a code of any value set? Cached per code."""

    def __init__(self, valuesets: ValueSets) -> None:
        self._vs = valuesets
        self._hits: dict[bytes, bool] = {}

    def code_hit(self, code: bytes) -> bool:
        hit = self._hits.get(code)
        if hit is None:
            text = code.decode("utf-8", "replace")
            hit = bool(self._vs.memberships(_Coding(system, text) for system in KNOWN_SYSTEMS))
            if len(self._hits) > 200_000:
                self._hits.clear()
            self._hits[code] = hit
        return hit

    def is_candidate_line(self, resource_type: str, line: bytes) -> bool:
        if resource_type not in DECIDING_TYPES:
            return False
        if any(self.code_hit(c) for c in _CODE.findall(line)):
            return True
        return resource_type == "Condition" and _CANCER_TEXT.search(line) is not None


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient a resource belongs to: its own id for a Patient, else the id in
    `subject` / `patient` (`Patient/x`, an absolute URL, a versioned reference, `urn:uuid:x`)."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    ref = resource.get("subject") or resource.get("patient")
    if not isinstance(ref, dict):
        return None
    text = ref.get("reference")
    if not isinstance(text, str):
        return None
    if text.startswith("urn:uuid:"):
        return text[len("urn:uuid:") :] or None
    match = _PATIENT_REF.search(text)
    return match.group(1) if match else None


_RTYPE_GUESS = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]{1,64})"')
_PATIENT_GUESS = re.compile(
    rb'"reference"\s*:\s*"(?:[^"]*?Patient/|urn:uuid:)([A-Za-z0-9.\-]{1,64})"'
)


def guess_owner(line: bytes) -> tuple[str | None, str | None]:
    """(resourceType, patient id) read from a line that is not valid JSON, when they show."""
    rtype = _RTYPE_GUESS.search(line)
    patient = _PATIENT_GUESS.search(line)
    return (
        rtype.group(1).decode() if rtype else None,
        patient.group(1).decode() if patient else None,
    )


def mentions(line: bytes) -> list[str]:
    """Every patient id a raw line references (the second pass's cheap test before parsing)."""
    return [m.decode() for m in _PATIENT_GUESS.findall(line)]
