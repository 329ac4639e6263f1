"""The cheap first pass: which patients could get a card at all.

Every card needs `liver_metastasis_ever` (or the GIST / follow-up facts), and those come from a
patient's Conditions, Observations, BodyStructures and Procedures. A patient is a candidate when
one of those resources carries a code that belongs to any of the engine's value sets (the same
`ValueSets` the engine decides with, whatever the code system), or — for a Condition — text that
could be a cancer or a liver lesion (the honesty check turns such text into "indeterminate").
The test is deliberately wider than the rules: a candidate costs one evaluation, a missed
patient is a silent "no".

Pass 1 does not build the resource: every line is decoded by msgspec into a `Head` — the type,
the patient reference, and the raw JSON text of each element that can hold a coding the engine
reads (derived from the projection's own models, so a coding the projection learns to read is
looked at here too). The candidate answer is cached per type and raw text of those elements:
most lines repeat a few shapes (the same laboratory test, the same comorbidity).
"""

from __future__ import annotations

import re
from functools import reduce
from operator import attrgetter, or_
from typing import Any, NamedTuple

import msgspec
import orjson

from sarcoma_cds.clinical.codes import KNOWN_SYSTEMS
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir import projection

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


def _holds_coding(t: msgspec.inspect.Type) -> bool:
    if isinstance(t, msgspec.inspect.StructType):
        return t.cls is projection.Coding or any(_holds_coding(f.type) for f in t.fields)
    if isinstance(t, msgspec.inspect.UnionType):
        return any(_holds_coding(u) for u in t.types)
    if isinstance(t, msgspec.inspect.VarTupleType | msgspec.inspect.ListType):
        return _holds_coding(t.item_type)
    return False


class SlimCoding(msgspec.Struct, frozen=True, gc=False):
    """A Coding as the candidate test reads it (the display for the honesty check's words)."""

    system: str | None = None
    code: str | None = None
    display: str | None = None


_SLIM: dict[type, Any] = {projection.Coding: SlimCoding}


def _slim(t: msgspec.inspect.Type) -> Any:
    """The type that decodes only the codings of a projection type: its elements that hold a
    Coding, down to the Codings; frozen Structs and tuples, so that a value is a cache key."""
    if isinstance(t, msgspec.inspect.StructType):
        if t.cls not in _SLIM:
            fields = [
                (f.encode_name, _slim(f.type) | None, None)
                for f in t.fields
                if _holds_coding(f.type)
            ]
            if t.cls is projection.CodeableConcept:
                fields.append(("text", str | None, None))  # the honesty check's words
            _SLIM[t.cls] = msgspec.defstruct(f"Slim{t.cls.__name__}", fields, frozen=True, gc=False)
        return _SLIM[t.cls]
    if isinstance(t, msgspec.inspect.UnionType):
        return reduce(or_, [_slim(u) for u in t.types if _holds_coding(u)])
    assert isinstance(t, msgspec.inspect.VarTupleType | msgspec.inspect.ListType)
    item = _slim(t.item_type)
    return tuple[item, ...]  # type: ignore[valid-type]  # built at run time


def _coded_elements(resource_type: str) -> dict[str, Any]:
    """The JSON names of the elements of a resource type that can hold a Coding the projection
    reads (fhir/projection.py: `code`, `bodySite`, `component`, `extension`, ...), with the
    slim type that decodes their codings."""
    info = msgspec.inspect.type_info(getattr(projection, resource_type))
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.encode_name: _slim(f.type) for f in info.fields if _holds_coding(f.type)}


_ELEMENTS = {t: _coded_elements(t) for t in sorted(DECIDING_TYPES)}
# Per deciding type, the elements whose codings make a candidate.
CODED: dict[str, tuple[str, ...]] = {t: tuple(e) for t, e in _ELEMENTS.items()}


def _element_type(name: str) -> Any:
    """One element's slim type over every deciding type (`bodySite` is one concept in an
    Observation, a list in a Condition: either is read)."""
    return reduce(or_, {e[name] for e in _ELEMENTS.values() if name in e}) | None


_NO_TEXT = msgspec.Raw()
_COMMON: list[tuple[str, Any, Any]] = [
    ("resourceType", Any, None),
    ("id", Any, None),
    ("subject", Any, None),
    ("patient", Any, None),
    ("contained", msgspec.Raw, _NO_TEXT),
]
_NAMES = sorted({n for names in CODED.values() for n in names})
# What pass 1 reads of a line: the type, the patient reference and the codings of the coded
# elements, nothing else built (msgspec still parses the whole line: a line that is not JSON
# fails here). A line whose coded elements do not have FHIR's shape (a `coding` that is not a
# list) fails the `Head` and is read as a `LooseHead`: raw elements, walked as parsed JSON.
Head = msgspec.defstruct(
    "Head", [*_COMMON, *((n, _element_type(n), None) for n in _NAMES)], gc=False
)
LooseHead = msgspec.defstruct(
    "LooseHead", [*_COMMON, *((n, msgspec.Raw, _NO_TEXT) for n in _NAMES)], gc=False
)
HEAD = msgspec.json.Decoder(Head)
LOOSE_HEAD = msgspec.json.Decoder(LooseHead)


def _slim_codings(value: Any, out: list[tuple[str | None, str]]) -> None:
    """Every (system, code) in a slim value (a SlimCoding, a slim Struct, a tuple, None)."""
    if type(value) is SlimCoding:
        if value.code is not None:
            out.append((value.system, value.code))
    elif type(value) is tuple:
        for item in value:
            _slim_codings(item, out)
    elif isinstance(value, msgspec.Struct):
        for item in msgspec.structs.astuple(value):
            _slim_codings(item, out)


class _Coding(NamedTuple):
    system: str | None
    code: str | None


class CodeFilter:
    """Does a line name a code of any value set? Each coding of the coded elements is tested in
    its own system (in every known system when it names none). A resource with contained
    resources is tested on every `"code"` of its line in every code system the line names (and
    `"valueCode"`s in every known system): wider, and rare. Cached per (system, code), and per
    type and raw text of the coded elements."""

    def __init__(self, valuesets: ValueSets) -> None:
        self._vs = valuesets
        self._hits: dict[tuple[str | None, str], bool] = {}
        self._shapes: dict[Any, bool] = {}
        self._words: dict[tuple[bytes, ...], bool] = {}
        self._code_words: dict[Any, bool] = {}
        self._elements = {t: attrgetter(*names) for t, names in CODED.items()}

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

    def is_candidate(self, resource_type: str, head: Any, line: bytes) -> bool:
        """`head`: the line's `Head` or `LooseHead` (of a type in DECIDING_TYPES)."""
        loose = type(head) is not Head
        if head.contained:
            hit = any(self.code_hit(s, c) for s, c in _pairs(codings(line)))
        elif not loose:
            # The answer depends only on the codings: the slim elements are the key.
            key = self._elements[resource_type](head)
            shape = self._shapes.get(key)
            if shape is None:
                found: list[tuple[str | None, str]] = []
                _slim_codings(key, found)
                shape = any(self.code_hit(s, c) for s, c in found)
                if len(self._shapes) > 100_000:
                    self._shapes.clear()
                self._shapes[key] = shape
            hit = shape
        else:
            hit = self._loose_hit(resource_type, head)
        if hit or resource_type != "Condition":
            return hit
        if not loose and not head.contained:
            return self._words_in(head.code)
        # Every text and display of the line (wider), lower-cased once, the answer kept per
        # set of texts.
        texts = tuple(_TEXT.findall(line))
        words = self._words.get(texts)
        if words is None:
            joined = b" ".join(texts).lower()
            words = bool(joined) and _CANCER_TEXT.search(joined) is not None
            if len(self._words) > 100_000:
                self._words.clear()
            self._words[texts] = words
        return words

    def _words_in(self, code: Any) -> bool:
        """Words of cancer or the liver in a Condition's code: its text and its displays, what
        the honesty check reads (clinical/honesty.py); kept per code."""
        words = self._code_words.get(code)
        if words is None:
            parts = [code.text, *(c.display for c in code.coding or ())] if code else []
            text = " ".join(p for p in parts if p).lower().encode()
            words = _CANCER_TEXT.search(text) is not None
            if len(self._code_words) > 100_000:
                self._code_words.clear()
            self._code_words[code] = words
        return words

    def _loose_hit(self, resource_type: str, head: Any) -> bool:
        """A `LooseHead`'s coded elements, parsed and walked as JSON (rare: not cached)."""
        try:
            found = resource_codings(
                {n: orjson.loads(bytes(getattr(head, n))) for n in CODED[resource_type]}
            )
        except orjson.JSONDecodeError:
            # Valid JSON that orjson refuses (a number beyond a double): a candidate, so that
            # pass 2, which parses the line whole, names it unreadable.
            return True
        return any(self.code_hit(s, c) for s, c in found or ())


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
    return owner(
        resource.get("resourceType"),
        resource.get("id"),
        resource.get("subject") or resource.get("patient"),
    )


def owner(resource_type: Any, rid: Any, ref: Any) -> str | None:
    """`patient_of` from the parts a `Head` holds: type, id, and `subject or patient`."""
    if resource_type == "Patient":
        return rid if isinstance(rid, str) and rid else None
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
