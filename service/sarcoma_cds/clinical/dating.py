"""When a resource happened (clinical-logic §1.2): a FHIR date that may be unreadable, a
Condition's onset from onset[x], the assertedDate extension or recordedDate, its end from
abatement[x], an age read against the birth date, and the earliest or latest of several
uncertain dates.
"""

from __future__ import annotations

from collections.abc import Iterable

from sarcoma_cds.fhir.projection import Condition, Quantity
from sarcoma_cds.values.dates import (
    DateInterval,
    InvalidDate,
    age_to_interval,
    parse_fhir_date,
    parse_text_date,
    span,
)

ASSERTED_DATE = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"
_MAX_AGE = 150


def read_date(text: str | None) -> DateInterval | None:
    if not text:
        return None
    try:
        return parse_fhir_date(text)
    except InvalidDate:
        return None


def earliest_of(intervals: Iterable[DateInterval]) -> DateInterval | None:
    """The interval of the earliest of several uncertain dates."""
    items = list(intervals)
    if not items:
        return None
    first = min(items, key=lambda i: (i.earliest, i.latest))
    latest = min(i.latest for i in items)
    return DateInterval(first.earliest, latest, first.text)


def latest_of(intervals: Iterable[DateInterval]) -> DateInterval | None:
    items = list(intervals)
    if not items:
        return None
    last = max(items, key=lambda i: (i.latest, i.earliest))
    earliest = max(i.earliest for i in items)
    return DateInterval(earliest, last.latest, last.text)


def _age(q: Quantity, birth: DateInterval | None) -> DateInterval | None:
    unit = (q.code or q.unit or "a").lower()
    # An impossible age (negative, > 150) is a data error: no date from it.
    if q.value is None or birth is None or unit not in ("a", "yr", "year", "years"):
        return None
    if not 0 <= q.value <= _MAX_AGE:
        return None
    return age_to_interval(birth, int(q.value))


def condition_date(
    c: Condition, birth: DateInterval | None
) -> tuple[DateInterval | None, str | None]:
    """onset[x] (dateTime; Period as the interval start..end; Age with birthDate; a string
    that holds a date), the assertedDate extension, then recordedDate (clinical-logic §1.2)."""
    if d := read_date(c.onsetDateTime):
        return d, "onset"
    if c.onsetPeriod:
        start, end = read_date(c.onsetPeriod.start), read_date(c.onsetPeriod.end)
        if start and end:
            return span(start, end), "onset period"
        if start:
            return start, "onset period"  # still open: the onset began then
        # Only an end: the onset lies somewhere before it, no date; try the next source.
    if c.onsetAge and (d := _age(c.onsetAge, birth)):
        return d, "onset age"
    if c.onsetString and (d := parse_text_date(c.onsetString)):
        return d, "onset text"
    for ext in c.extension:
        if ext.url == ASSERTED_DATE and (d := read_date(ext.valueDateTime)):
            return d, "asserted"
    if d := read_date(c.recordedDate):
        return d, "recorded"
    return None, None
