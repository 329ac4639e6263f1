"""Code systems and their normalisation: one canonical (system, code) per concept as sent.

EHRs send the same concept in many spellings: ICD-10-CM with or without the dot or by OID,
SNOMED CT ids as floats ("94381002.0"), ICD-O-3 morphology as "8890/3", "88903", "M8890/3" or
"8890/3 3" (with the grade). Matching never looks at `display`.
"""

from __future__ import annotations

import re

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
CPT = "http://www.ama-assn.org/go/cpt"
RADLEX = "http://www.radlex.org"
LOCAL = "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
AJCC = "http://cancerstaging.org"

KNOWN_SYSTEMS = frozenset(
    {ICD10CM, ICD10, SNOMED, LOINC, ICDO3, ICD10PCS, CPT, RADLEX, LOCAL, RXNORM, ATC, AJCC}
)

_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.3": ICD10,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "http://snomed.info/id": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.43.1": ICDO3,
    "http://hl7.org/fhir/sid/icd-o-3": ICDO3,
    "urn:oid:2.16.840.1.113883.6.4": ICD10PCS,
    "http://www.icd10data.com/icd10pcs": ICD10PCS,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "http://radlex.org": RADLEX,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
}

# Value sets list ICD-10-CM codes; the same code sent as WHO ICD-10 means the same concept for
# every code this service uses, so both are matched in one "family".
FAMILY = {ICD10: ICD10CM}

_ICDO3 = re.compile(r"^M?-?(\d{4})\s*/?\s*(\d)?(?:\s*[/ ]?\s*\d)?$")
_SNOMED_FLOAT = re.compile(r"^(\d+)\.0+$")


def canonical_system(system: str | None) -> str | None:
    if not system:
        return None
    s = system.strip()
    s = _ALIASES.get(s, s)
    return s.rstrip("/") if s.startswith("http") else s


def normalise_code(system: str, code: str) -> str:
    """The canonical spelling of `code` in the canonical `system` (see module doc)."""
    c = code.strip()
    if system in (ICD10CM, ICD10, ICD10PCS):
        return c.replace(".", "").replace(" ", "").upper()
    if system == SNOMED:
        m = _SNOMED_FLOAT.match(c)
        return m[1] if m else c
    if system == ICDO3:
        m = _ICDO3.match(c.upper())
        if not m:
            return c.upper()
        return f"{m[1]}/{m[2]}" if m[2] else m[1]
    if system in (LOINC, CPT, ATC):
        return c.upper()
    return c


def icdo3_parts(normalised: str) -> tuple[str, str | None]:
    """("8890", "3") from "8890/3"; ("8936", None) from "8936"."""
    morph, _, behaviour = normalised.partition("/")
    return morph, behaviour or None


def display_icd10(code: str) -> str:
    """C787 → C78.7, for explanations."""
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"
