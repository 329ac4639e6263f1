"""Code systems and their normalisation: one canonical (system, code) per concept as sent.

EHRs send the same concept in many spellings: ICD-10-CM with or without the dot or by OID,
SNOMED CT ids as floats ("94381002.0"), ICD-O-3 morphology as "8890/3", "88903", "M8890/3" or
"8890/3 3" (with the grade). Matching never looks at `display`.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
AJCC = "http://cancerstaging.org"
# OMOP/Athena concept ids, as the IDEA4RC IG writes them (its alias $athena).
ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
ATC = "http://www.whocc.no/atc"
IDEA4RC_LOCAL = "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc"

# National ICD-10 editions (issue 21). For the chapters this guideline uses (C, D, I, J, K, R,
# Z) they keep the WHO codes to four characters; value sets list the WHO codes that ICD-10-CM
# splits (C78.0, C79.5, ...) under the WHO system. National subdivisions are not read.
# Sources: HL7 Terminology (THO) NamingSystem/CodeSystem icd10 (WHO, OID 2.16.840.1.113883.6.3),
# ICD10dut (ICD-10-NL, http://hl7.org/fhir/sid/icd-10-nl, OID 2.16.840.1.113883.6.3.2),
# icd10-CA (ICD-10-CA, http://hl7.org/fhir/sid/icd-10-ca, OID 2.16.840.1.113883.6.94);
# HL7 Deutschland basisprofil-de-r4 CodeSystem ICD10GM (http://fhir.de/CodeSystem/bfarm/icd-10-gm,
# formerly .../dimdi/icd-10-gm; BfArM gives one OID per annual version, so none is listed).
# CIE-10-ES is the Spanish edition of ICD-10-CM itself (Ministerio de Sanidad, since 2016), so
# it is read as ICD-10-CM; THO registers no URI for it: the one below is this project's choice
# (docs/design.md), a site adds its own in _ALIASES.
ICD10GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
ICD10NL = "http://hl7.org/fhir/sid/icd-10-nl"
ICD10CA = "http://hl7.org/fhir/sid/icd-10-ca"
CIE10ES = "http://hl7.org/fhir/sid/icd-10-es"
ICD10_EDITIONS = {
    ICD10: "WHO ICD-10",
    ICD10GM: "ICD-10-GM",
    ICD10NL: "ICD-10-NL",
    ICD10CA: "ICD-10-CA",
    CIE10ES: "CIE-10-ES",
}

KNOWN_SYSTEMS = frozenset(
    {ICD10CM, SNOMED, LOINC, ICDO3, ICD10PCS, CPT, RADLEX, LOCAL, ATHENA, ATC, IDEA4RC_LOCAL}
    | {RXNORM, AJCC}
    | set(ICD10_EDITIONS)
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
    "http://athena.ohdsi.org": ATHENA,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
    "http://terminology.hl7.org/CodeSystem/icd10": ICD10,
    "http://fhir.de/CodeSystem/dimdi/icd-10-gm": ICD10GM,
    "urn:oid:2.16.840.1.113883.6.3.2": ICD10NL,
    "http://terminology.hl7.org/CodeSystem/ICD10dut": ICD10NL,
    "urn:oid:2.16.840.1.113883.6.94": ICD10CA,
}

# Value sets list ICD-10-CM codes; the same code sent as WHO ICD-10 (or a national edition)
# means the same concept for every code this service uses, so all are matched in one "family".
FAMILY = {edition: ICD10CM for edition in ICD10_EDITIONS}
# National markers after the code: dagger/asterisk (+ * †) and the ICD-10-GM "!" for secondary
# codes. They qualify the code's use, not its meaning.
_ICD_MARKS = "+*†!"

_ICDO3 = re.compile(r"^M?-?(\d{4})\s*/?\s*(\d)?(?:\s*[/ ]?\s*\d)?$")
_SNOMED_FLOAT = re.compile(r"^(\d+)\.0+$")


# Both are pure functions of a few hundred distinct strings per chart, asked ~800 times per call.
@lru_cache(maxsize=4096)
def canonical_system(system: str | None) -> str | None:
    if not system:
        return None
    s = system.strip()
    s = _ALIASES.get(s, s)
    return s.rstrip("/") if s.startswith("http") else s


@lru_cache(maxsize=16384)
def normalise_code(system: str, code: str) -> str:
    """The canonical spelling of `code` in the canonical `system` (see module doc)."""
    c = code.strip()
    if system in ICD10_EDITIONS or system in (ICD10CM, ICD10PCS):
        return c.rstrip(_ICD_MARKS).replace(".", "").replace(" ", "").upper()
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
