"""Card text: fact placeholders in rule templates, filled with the facts in words.

Plain GitHub-flavoured markdown, no HTML. Citations are in `cards.wording`; the facts' own lines
(once per patient) in `cards.summary_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from sarcoma_cds.clinical.dictionary import FactDefinition, FactDictionary, default_dictionary
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.rules.schema import PLACEHOLDER
from sarcoma_cds.values.numerals import roman_numeral


def value_text(fact: Fact, definition: FactDefinition | None = None) -> str:
    """A fact's value in words; a category value as the dictionary words it."""
    if fact.state is not State.KNOWN:
        return fact.state.value.replace("_", " ")  # "not applicable"
    v = fact.value
    if definition is not None and definition.kind == "category" and isinstance(v, str):
        return definition.words(v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if definition is not None and definition.roman and isinstance(v, int):
        return roman_numeral(v)
    if isinstance(v, tuple):
        # An empty list is what the record shows, not what the patient has (three-valued facts).
        return ", ".join(x.replace("_", " ") for x in v) or "none recorded"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).replace("_", " ")


_SAID = re.compile(r"\{(note|what|when)\}")


def _said_key(fact: Fact) -> Literal["yes", "no", "value"]:
    if isinstance(fact.value, bool):
        return "yes" if fact.value else "no"
    return "value"


def said_text(fact: Fact, definition: FactDefinition) -> str | None:
    """The sentence a known fact is said as, where the dictionary gives one ("No contraindication
    to surgery recorded" for "Not a surgical candidate: no"; "ECOG 0 (2026-04-20)" for "Good
    performance status: yes"), else None. `{what}`: what the evidence shows; `{when}`: its
    dates ("2024-01-15 → 2026-04-15" for two)."""
    if not (definition.said and fact.known):
        return None
    template = definition.said.get(_said_key(fact))
    if template is None:
        return None
    dates = sorted({e.date for e in fact.evidence if e.date})
    parts = {
        "note": fact.note or "",
        "what": "; ".join(dict.fromkeys(e.what for e in fact.evidence if e.what)),
        "when": dates[0] if len(dates) == 1 else " → ".join(dates[:1] + dates[-1:]),
    }
    if any(not parts[m[1]] for m in _SAID.finditer(template)):
        return None  # the sentence needs what the fact does not have: "label: value" instead
    return _SAID.sub(lambda m: parts[m[1]], template)


def said_in_full(definition: FactDefinition, fact: Fact) -> bool:
    """Whether the sentence names its own basis (evidence, dates or note)."""
    return bool(_SAID.search((definition.said or {}).get(_said_key(fact), "")))


def fill(template: str, facts: Mapping[str, Fact], dictionary: FactDictionary | None = None) -> str:
    words = dictionary or default_dictionary()

    def sub(m: re.Match[str]) -> str:
        name, part = m[1], m[2]
        fact, definition = facts[name], words[name]
        text = value_text(fact, definition)
        if part == "note":
            return fact.note or text
        if part in ("reason", "explain") and fact.state is State.NOT_APPLICABLE:
            return f"{text}: {fact.reason}"  # "not applicable: no liver resection recorded"
        if part == "reason":
            return fact.reason or text
        if part == "said":
            return said_text(fact, definition) or text
        if part == "explain":
            return (fact.note or text) if fact.known else (fact.reason or "unknown")
        if not fact.known and definition.kind == "category":
            return f"{name.replace('_', ' ')} {text}"  # "timing indeterminate"
        return text

    return PLACEHOLDER.sub(sub, template)


def sentence(
    template: str, facts: Mapping[str, Fact], dictionary: FactDictionary | None = None
) -> str:
    """A statement's bullet: a placeholder that opens it opens the sentence, with a capital ("A
    soft tissue sarcoma cannot be ruled out: …" from a reason worded to sit mid-sentence)."""
    text = fill(template, facts, dictionary)
    return text[:1].upper() + text[1:]
