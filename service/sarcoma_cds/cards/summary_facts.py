"""The derived facts, once per patient, on the summary card: clinical words and dates.

Each fact the cards rest on reads "label: value (date)" — the date of the data it comes from,
or "first → last" when it rests on two dates (a disease-free interval) — without resource ids.
The evidence itself stays in the tumour-board view and the `facts` command; the machine-readable
values are in the summary card's extension.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sarcoma_cds.cards.render import said_in_full, said_text, value_text
from sarcoma_cds.cards.wording import plurals
from sarcoma_cds.clinical.dictionary import FactDefinition, FactDictionary
from sarcoma_cds.clinical.facts import Fact, State

_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def fact_brief(definition: FactDefinition, fact: Fact) -> str:
    """`Histology: leiomyosarcoma (2019-04-08)`; `Lesion size: unknown`; a yes/no fact the
    dictionary says as a sentence, with what it rests on: `No contraindication to surgery
    recorded (ECOG 0, 2026-05-10)`."""
    if sentence := said_text(fact, definition):
        if said_in_full(definition, fact):
            return sentence
        basis = "; ".join(
            ", ".join(part for part in (e.what, e.date) if part)
            for e in fact.evidence
            if e.what or e.date
        )
        return f"{sentence} ({basis})" if basis else sentence
    value = plurals(value_text(fact, definition))
    text = f"{definition.label}: {value}"
    if fact.unconfirmed:
        text += " (unconfirmed)"
    dates = sorted({e.date for e in fact.evidence if e.date})
    # A date says "as of" for a value or a finding; "no" needs none.
    if not fact.known or not dates or fact.value is False or _DATE.search(value):
        return text
    when = dates[0] if len(dates) == 1 else f"{dates[0]} → {dates[-1]}"
    return f"{text} ({when})"


def facts_paragraph(
    names: Iterable[str],
    facts: Mapping[str, Fact],
    dictionary: FactDictionary,
    pinned: Iterable[str] = (),
) -> str:
    """One line, facts separated by " · ", each fact once in the order given. Unknown facts are
    left out: the card that needs one says so, and the data gaps name what is missing. A pinned
    fact (the summary's own: histology, sites, lesion count) that does not apply says why —
    "Lesion count: not recorded since the metastasectomy (2025-05-20)" — never a bare 0."""
    always = set(pinned)
    shown = [
        n
        for n in dict.fromkeys(names)
        if facts[n].known or (n in always and facts[n].state is State.NOT_APPLICABLE)
    ]
    return " · ".join(
        fact_brief(dictionary[n], facts[n])
        if facts[n].known
        else f"{dictionary[n].label}: {facts[n].reason}"
        for n in shown
    )
