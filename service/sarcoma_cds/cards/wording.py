"""Card wording: compact citations, plurals and no internal resource ids in clinical text.

A citation is the recommendation number with its evidence level, strength and consensus in one
glance — "5.3 · V-B · 100%" — and the three items that did not reach consensus say so. The full
text of each recommendation lives in the tumour-board view, not on the card.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sarcoma_cds.rules.schema import Recommendation

# "(5.3)", "(5.1, 5.2)", "(1.2; 2.1)": an inline citation a rule text wrote by hand.
_INLINE = re.compile(r"\s*\((\d{1,2}\.\d(?:\s*[,;]\s*\d{1,2}\.\d)*)\)")
# "1 lesion(s)" → "1 lesion"; "3 site(s)" → "3 sites"; "1 malformed resource(s)" → "1 malformed
# resource"; "lesion(s)" without a number → "lesions".
_PLURAL = re.compile(r"(?:\b(\d+)((?:\s+[A-Za-z-]+){0,2}?)\s+)?\b([A-Za-z-]+)\(s\)")
# A FHIR reference such as "Condition/liver-met" (with an optional surrounding bracket).
_REF = re.compile(
    r"\s*[\[(]?\b(?:Condition|Observation|Procedure|Patient|MedicationRequest|"
    r"MedicationAdministration|MedicationStatement|DiagnosticReport|BodyStructure|Encounter)"
    r"/[A-Za-z0-9\-.]{1,64}\b[\])]?"
)


def compact_citation(r: Recommendation) -> str:
    """`5.3 · V-B · 100%`; a recommendation without consensus: `10.2 · V-C · 77% · no consensus`."""
    text = f"{r.id} · {r.level}-{r.strength} · {r.consensus_percent}%"
    return text if r.consensus_reached else f"{text} · no consensus"


def cite(ids: Iterable[str], recs: Mapping[str, Recommendation]) -> str:
    """` (5.3 · V-B · 100%; 8.1 · V-B · 97%)`, or nothing when no recommendation is cited."""
    parts = [compact_citation(recs[i]) for i in ids]
    return f" ({'; '.join(parts)})" if parts else ""


def with_citation(text: str, ids: tuple[str, ...], recs: Mapping[str, Recommendation]) -> str:
    """The sentence with its recommendations cited once, compactly, at its end. Inline citations
    the rule text wrote by hand for these same recommendations ("… (1.2);") are folded into it;
    any other parenthesis (a paper section, a range such as 6.1–6.5) stays where it is."""
    cited = set(ids)

    def fold(m: re.Match[str]) -> str:
        inline = re.split(r"\s*[,;]\s*", m[1])
        return "" if set(inline) <= cited else m[0]

    body = (_INLINE.sub(fold, text) if "(" in text else text).rstrip()
    citation = cite(ids, recs)
    if body.endswith("."):
        return f"{body[:-1]}{citation}."
    return f"{body}{citation}"


def plurals(text: str) -> str:
    """Resolve the "(s)" of a template by the number before it: clinicians read words, not
    template syntax."""

    def one(m: re.Match[str]) -> str:
        number, between, word = m[1], m[2] or "", m[3]
        if number is None:
            return f"{word}s"
        return f"{number}{between} {word}{'' if number == '1' else 's'}"

    # Most texts have no "(s)": the check is far cheaper than the search (issue 18).
    return _PLURAL.sub(one, text) if "(s)" in text else text


def without_refs(text: str) -> str:
    """Clinical text without internal resource ids (they belong to the evidence, which the
    tumour-board view and the `facts` command show)."""
    return _REF.sub("", text) if "/" in text else text  # every reference has a "/"


# A title's closing citation: "(8.3)", "(5.3, 8.1)", "(1.1, 4.1–4.3)", "(§3.6)".
_CLOSING_CITATION = re.compile(r"\s\((?:§?\d{1,2}\.\d)[^()]*\)$")


def clip(text: str, limit: int = 139) -> str:
    """A title within `limit` characters (CDS Hooks: summary under 140). A longer one is cut at
    a word boundary, never inside a parenthesis, and keeps its closing citation whole: "… may
    be… (8.3)", never "… (8…"."""
    if len(text) <= limit:
        return text
    closing = _CLOSING_CITATION.search(text)
    tail = closing[0] if closing and len(closing[0]) <= limit // 3 else ""
    body = text[: len(text) - len(tail)]
    head = body[: limit - len(tail)]  # one character is left for the ellipsis below
    if len(head) == len(body):  # only the ellipsis was too much: drop the last word
        head = head[:-1]
    head = head[: head.rfind(" ")] if " " in head else head[:-1]
    while head.count("(") > head.count(")"):  # never inside an open parenthesis
        head = head[: head.rfind("(")]
    return f"{head.rstrip(' ,;:–-')}…{tail}"
