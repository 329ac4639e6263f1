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
# Every system, code and valueCode of a line, in order, in one scan.
_CODING = re.compile(rb'"(system|code|valueCode)"\s*:\s*"([^"\\]{1,200})"')
# A superset of the honesty check's cancer, liver and metastasis words (clinical/honesty.py).
_TEXT = re.compile(rb'"(?:text|display)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_CANCER_TEXT = re.compile(
    rb"sarcom|cancer|carcinom|malignan|neoplas|tumou?r|metasta|\bmets?\b|oncolog|gist|"
    rb"\blms\b|\bups\b|\bmfh\b|liver|hepat|lesion|\bmass\b|nodule|\bsol\b|secondar|spread|"
    rb"deposit|stage"
)
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/[^/]+)?$")


_KEYS = ((b"system", b'"system":"'), (b"code", b'"code":"'), (b"valueCode", b'"valueCode":"'))


def codings(line: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """(key, value) of every system, code and valueCode in a line. Compact JSON (what Bulk Data
    servers write) is cut with `bytes.find`, several times faster than a regular expression;
    a line with spaces around its colons takes the regular expression."""
    if b'": ' in line or b'" :' in line:
        return tuple(_CODING.findall(line))
    out: list[tuple[bytes, bytes]] = []
    for key, marker in _KEYS:
        start = line.find(marker)
        while start >= 0:
            start += len(marker)
            end = line.find(b'"', start)
            if end < 0:
                break
            out.append((key, line[start:end]))
            start = line.find(marker, end)
    return tuple(out)


class _Coding(NamedTuple):
    system: str | None
    code: str | None


class CodeFilter:
    """Does a raw NDJSON line name a code of any value set? Each `"code"` is tested in every
    code system the line names (its own system is one of them; a code system-less line is
    tested in every known system); a `"valueCode"` (an extension's code, its system implied)
    in every known system. Cached per (system, code)."""

    def __init__(self, valuesets: ValueSets) -> None:
        self._vs = valuesets
        self._hits: dict[tuple[str | None, str], bool] = {}
        self._shapes: dict[tuple[str, Pairs], bool] = {}

    def code_hit(self, system: str | None, code: str) -> bool:
        """Is the code in a value set, in this system (None: in any known system)?"""
        key = (system, code)
        hit = self._hits.get(key)
        if hit is None:
            systems = [system] if system else list(KNOWN_SYSTEMS)
            hit = bool(self._vs.memberships(_Coding(s, code) for s in systems))
            if len(self._hits) > 200_000:
                self._hits.clear()
            self._hits[key] = hit
        return hit

    def is_candidate(self, resource_type: str, resource: dict[str, Any], line: bytes) -> bool:
        if resource_type not in DECIDING_TYPES:
            return False
        found = resource_codings(resource)
        if found is None:  # contained resources: every coding of the line
            found = _pairs(codings(line))
        # Most lines repeat a few shapes (the same laboratory test, unit and category):
        # the answer is kept per set of codings.
        key = (resource_type, found)
        hit = self._shapes.get(key)
        if hit is None:
            hit = any(self.code_hit(s, c) for s, c in found)
            if len(self._shapes) > 100_000:
                self._shapes.clear()
            self._shapes[key] = hit
        if hit or resource_type != "Condition":
            return hit
        # The words are looked for in the texts and displays only (what the honesty check
        # reads), lower-cased once.
        texts = b" ".join(_TEXT.findall(line)).lower()
        return bool(texts) and _CANCER_TEXT.search(texts) is not None


Pairs = tuple[tuple[str | None, str], ...]


def _concept_codings(value: dict[str, Any], out: list[tuple[str | None, str]]) -> None:
    """The codings of a CodeableConcept (or of a Coding) into `out`. `type(x) is` rather than
    `isinstance`: parsed JSON holds exact dicts, lists and strs, and this runs for every
    resource of the export that could make a candidate."""
    coding = value.get("coding")
    if type(coding) is list:
        for c in coding:
            if type(c) is dict and type(code := c.get("code")) is str:
                system = c.get("system")
                out.append((system if type(system) is str else None, code))
    elif type(code := value.get("code")) is str:  # a Coding (valueCoding)
        system = value.get("system")
        out.append((system if type(system) is str else None, code))


_NESTED = frozenset(("component", "extension", "modifierExtension"))


def resource_codings(resource: dict[str, Any]) -> Pairs | None:
    """Every coding the engine could read in a resource: its top-level CodeableConcepts (and
    lists of them), and those of its components and extensions (fhir/projection.py reads
    nothing deeper). None for a resource with contained resources (the caller reads the line)."""
    if "contained" in resource:
        return None
    out: list[tuple[str | None, str]] = []
    for key, value in resource.items():
        kind = type(value)
        if kind is dict:
            _concept_codings(value, out)
        elif kind is list:
            nested = key in _NESTED
            for item in value:
                if type(item) is not dict:
                    continue
                _concept_codings(item, out)
                if nested:
                    for inner in item.values():
                        if type(inner) is dict:
                            _concept_codings(inner, out)
    return tuple(out)


def _pairs(found: tuple[tuple[bytes, bytes], ...]) -> Pairs:
    """Raw (key, value) pairs of a line as (system, code): every code in every system the
    line names (or in no particular one), valueCodes in no particular one."""
    systems: list[str | None] = [v.decode() for k, v in found if k == b"system"] or [None]
    out: list[tuple[str | None, str]] = []
    for kind, value in found:
        code = value.decode("utf-8", "replace")
        if kind == b"code":
            out += [(s, code) for s in systems]
        elif kind == b"valueCode":
            out.append((None, code))
    return tuple(out)


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
    if text.startswith("Patient/") and text.count("/") == 1:
        return text[8:] or None  # the usual shape, without a regular expression
    if text.startswith("urn:uuid:"):
        return text[len("urn:uuid:") :] or None
    match = _PATIENT_REF.search(text)
    return match.group(1) if match else None


_ID_GUESS = re.compile(rb'"id"\s*:\s*"([A-Za-z0-9.\-]{1,64})"')
_RTYPE_GUESS = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]{1,64})"')
_PATIENT_GUESS = re.compile(
    rb'"reference"\s*:\s*"(?:[^"]*?Patient/|urn:uuid:)([A-Za-z0-9.\-]{1,64})"'
)


def guess_owner(line: bytes) -> tuple[str | None, str | None]:
    """(resourceType, patient id) read from a line that is not valid JSON, when they show."""
    found = _RTYPE_GUESS.search(line)
    rtype = found.group(1).decode() if found else None
    # A Patient is its own patient: its id; anything else names its patient in a reference.
    patient = (_ID_GUESS if rtype == "Patient" else _PATIENT_GUESS).search(line)
    return rtype, patient.group(1).decode() if patient else None
