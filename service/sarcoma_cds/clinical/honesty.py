"""Honest "no" (clinical-logic 1.1): diagnoses the service could not read.

A Condition that no deciding value set recognises, but that is uncoded with a text that reads
like cancer, or coded with a neoplasm code outside every value set, may be exactly the sarcoma
or the liver metastasis the facts are about. It then turns a "no" into `indeterminate`, with the
text quoted. Text never makes a diagnosis: it only stops a "no".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx
from sarcoma_cds.fhir.projection import CodeableConcept


def _words(first: str, alternatives: str) -> re.Pattern[str]:
    """A case-insensitive search for any of `alternatives`, each of which begins with one of the
    letters `first`. The lookahead matches nothing by itself; it lets the engine pass over every
    position no alternative can start at, where it would otherwise try each alternative in turn
    (8 → 4 µs a diagnosis text; issue 18)."""
    return re.compile(rf"(?i)(?=[{first}])(?:{alternatives})")


_CANCER = _words(
    "scmntoglu",
    r"sarcom|cancer|carcinom|malignan|neoplas|tumou?r|metasta|\bmets?\b|oncolog|"
    r"\bGIST\b|\bLMS\b|\bUPS\b|\bMFH\b",
)
_LESION = _words("lmns", r"lesion|\bmass\b|nodule|\bSOL\b")
_METASTATIC = _words("msd", r"metasta|\bmets?\b|secondar|spread|deposit|stage\s*(iv|4)")
_LIVER = _words("lhs", r"liver|hepat|\bsegment\s*[1-8IVX]+\b")
# Value sets that only notice codes; membership in them alone does not make a code "read".
HONESTY_SETS = frozenset({"neoplasm-any", "antineoplastic-any", "secondary-any"})


# Where a reason names what the diagnosis is not read as ("a soft tissue sarcoma").
_WHAT = "{what}"


@dataclass(frozen=True)
class Doubts:
    sts: list[str]  # could be the sarcoma
    metastatic: list[str]  # could be a metastasis
    liver: list[str]  # could be a liver metastasis
    # The diagnoses behind `metastatic` that do not read as liver: a possible further (and
    # possibly earlier) metastasis, for the sites and the timing.
    further: list[Dx] = field(default_factory=list)

    def reason(self, what: str, items: list[str]) -> str:
        shown = "; ".join(items[:3]) + (" …" if len(items) > 3 else "")
        # What to do about it is said once, on the data-quality card, not after every reason.
        return f"{what} cannot be ruled out: {shown.replace(_WHAT, what)}"


def _text(d: Dx) -> str:
    code = d.res.code
    if code is None:
        return ""
    parts = [code.text or ""] + [c.display or "" for c in code.coding]
    return " ".join(p for p in parts if p)


def _reading(text: str) -> tuple[bool, bool, bool]:
    """(reads like cancer, like a liver lesion, like a metastasis)."""
    cancer = bool(_CANCER.search(text))
    in_liver = bool(_LIVER.search(text)) and (cancer or bool(_LESION.search(text)))
    return cancer, in_liver, bool(_METASTATIC.search(text))


def _unread(d: Dx, text: str, reads_like_it: bool) -> str | None:
    """How a diagnosis no deciding value set reads is named in a reason; None when it raises
    no doubt."""
    if not d.coded:
        return f"uncoded diagnosis '{text}' ({d.ref})" if reads_like_it else None
    if "neoplasm-any" in d.members:
        # In clinical words (REVIEW6 m6): what it is coded as, and that the service does not
        # read that code; `reason` names what it is not read as.
        return (
            f"the cancer is coded '{d.label()}' ({d.ref}), a code the service does not read "
            f"as {_WHAT}"
        )
    if reads_like_it:
        codes = ", ".join(c.code or "" for c in d.codes[:2])
        return f"'{text}' coded {codes}, a code outside the value sets ({d.ref})"
    return None


def condition_doubts(rec: Record) -> Doubts:
    sts: list[str] = []
    metastatic: list[str] = []
    liver: list[str] = []
    further: list[Dx] = []
    # A chart repeats the same few diagnoses: read each concept once per call (Structs hash by
    # value; the regexes were 5 % of a call; issue 18). Per call, not per process: the texts are
    # patient data.
    readings: dict[CodeableConcept | None, tuple[str, tuple[bool, bool, bool]]] = {}
    for d in rec.conditions:
        if not d.members <= HONESTY_SETS:
            continue  # read: some value set decides what it is
        code = d.res.code
        if (seen := readings.get(code)) is None:
            text = _text(d)
            seen = readings[code] = (text, _reading(text))
        text, (cancer, in_liver, metastatic_text) = seen
        what = _unread(d, text, cancer or in_liver)
        if what is None:
            continue
        if cancer or "neoplasm-any" in d.members:
            sts.append(what)
        if metastatic_text or in_liver:
            metastatic.append(what)
        if in_liver:
            liver.append(what)
        elif metastatic_text:
            further.append(d)
    return Doubts(sts, metastatic, liver, further)
