"""Card text: fact placeholders in templates, fact lines and recommendation lines in markdown.

Plain GitHub-flavoured markdown, no HTML. Every statement a card makes names its facts and its
recommendations (id, level, strength, consensus), and the three recommendations that did not
reach consensus are labelled so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sarcoma_cds.clinical.dictionary import FactDefinition, FactDictionary, default_dictionary
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.rules.schema import PLACEHOLDER, Recommendation


def value_text(fact: Fact, definition: FactDefinition | None = None) -> str:
    """A fact's value in words; a category value as the dictionary words it."""
    if fact.state is not State.KNOWN:
        return fact.state.value
    v = fact.value
    if definition is not None and definition.kind == "category" and isinstance(v, str):
        return definition.words(v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple):
        return ", ".join(x.replace("_", " ") for x in v) or "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).replace("_", " ")


def fill(template: str, facts: Mapping[str, Fact], dictionary: FactDictionary | None = None) -> str:
    words = dictionary or default_dictionary()

    def sub(m: re.Match[str]) -> str:
        name, part = m[1], m[2]
        fact, definition = facts[name], words[name]
        text = value_text(fact, definition)
        if part == "note":
            return fact.note or text
        if part == "reason":
            return fact.reason or text
        if part == "explain":
            return (fact.note or text) if fact.known else (fact.reason or "unknown")
        if not fact.known and definition.kind == "category":
            return f"{name.replace('_', ' ')} {fact.state.value}"  # "timing indeterminate"
        return text

    return PLACEHOLDER.sub(sub, template)


def fact_line(name: str, fact: Fact, dictionary: FactDictionary | None = None) -> str:
    """`- **Timing**: metachronous — DFI 14 months (…) [Condition/a 2023-01-10; …]`"""
    definition = (dictionary or default_dictionary())[name]
    value = value_text(fact, definition)
    text = f"- **{definition.label}**: {value}"
    if fact.known and fact.note and fact.note != value:
        text += f" — {fact.note}"
    if not fact.known and fact.reason:
        text += f" — {fact.reason}"
    if fact.unconfirmed:
        text += " (rests on an unconfirmed diagnosis)"
    if fact.evidence:
        refs = [f"{e.ref}{' ' + e.date if e.date else ''}" for e in fact.evidence[:4]]
        more = f" +{len(fact.evidence) - 4} more" if len(fact.evidence) > 4 else ""
        text += f" [{'; '.join(refs)}{more}]"
    return text


def consensus_text(r: Recommendation) -> str:
    if not r.consensus_reached:
        return f"{r.consensus_percent}% — **no consensus**"
    return f"{r.consensus_percent}% {r.consensus_class} consensus"


def recommendation_line(r: Recommendation) -> str:
    line = (
        f"- **{r.id}** (evidence {r.level}, strength {r.strength}; {consensus_text(r)}): {r.text}"
    )
    return f"{line} _Note: {r.note}_" if r.note else line


def cite(ids: tuple[str, ...], recs: Mapping[str, Recommendation]) -> str:
    """`(5.3, 8.1)`, with non-consensus ids marked: `(5.5, no consensus)`."""
    parts = [f"{i}, no consensus" if not recs[i].consensus_reached else i for i in ids]
    separator = "; " if any("," in p for p in parts) else ", "
    return f" ({separator.join(parts)})" if parts else ""
