"""FHIR dates as intervals of uncertainty, and calendar-month arithmetic (clinical-logic §1.2).

"2023" means some day in [2023-01-01, 2023-12-31]; "2023-05" some day in May 2023. A fact that
compares dates is classified only when every point of the uncertainty gives the same answer.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*)?$")


class InvalidDate(ValueError):
    pass


@dataclass(frozen=True, order=True)
class DateInterval:
    """The closed interval of days a FHIR date/dateTime may denote."""

    earliest: date
    latest: date
    text: str  # as written, for explanations

    @property
    def exact(self) -> bool:
        return self.earliest == self.latest

    @classmethod
    def on(cls, day: date) -> DateInterval:
        return cls(day, day, day.isoformat())

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=8192)  # charts repeat the same dates; DateInterval is immutable
def parse_fhir_date(text: str) -> DateInterval:
    """Parse a FHIR date or dateTime ("2023", "2023-05", "2023-05-04", "2023-05-04T10:00:00Z").

    A dateTime is taken on its written calendar day: EHRs record diagnosis dates as local dates,
    and shifting by the offset would move a diagnosis across midnight.
    """
    match = _DATE.match(text.strip())
    if not match:
        raise InvalidDate(f"not a FHIR date: {text!r}")
    year = int(match[1])
    try:
        if match[3]:
            day = date(year, int(match[2]), int(match[3]))
            return DateInterval(day, day, day.isoformat())
        if match[2]:
            month = int(match[2])
            last = calendar.monthrange(year, month)[1]
            return DateInterval(
                date(year, month, 1), date(year, month, last), f"{year}-{month:02d}"
            )
        return DateInterval(date(year, 1, 1), date(year, 12, 31), str(year))
    except ValueError as exc:  # month 13, 30 February ...
        raise InvalidDate(f"not a valid calendar date: {text!r}") from exc


# Past this many whole months an interval is said in whole months (months_days_text).
LONG_INTERVAL_MONTHS = 13


def months_text(n: int) -> str:
    """ "1 month", "14 months"."""
    return f"{n} month" if n == 1 else f"{n} months"


def months_days_text(start: date, end: date, over: str = "") -> str:
    """The interval as a reader wants it (REVIEW5 m3): under a month in days ("17 days"); up to
    13 months in months and days ("2 months and 30 days", "6 months"), exact where the 6- and
    12-month thresholds lie; beyond 13 months in whole months, floored ("41 months") — the days
    there are false precision. `over` prefixes a floored count ("over 13 months" for an age)."""
    months = max(whole_months_between(start, end), 0)
    days = (end - add_months(start, months)).days if end >= start else 0
    if months == 0:
        return f"{days} day{'s' if days != 1 else ''}"
    if days == 0:
        return months_text(months)
    if months >= LONG_INTERVAL_MONTHS:
        return f"{over}{months_text(months)}"
    return f"{months_text(months)} and {days} day{'s' if days != 1 else ''}"


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 2024-01-31 + 6 months = 2024-07-31,
    2023-08-31 + 6 months = 2024-02-29."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    # Saturate at the calendar's ends: a year-9999 date from an EHR must not crash a request.
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    if day.day <= 28:  # every month has the day: no month length to look up (issue 18)
        return date(year, month, day.day)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Completed calendar months from start to end (negative when end is before start)."""
    if end < start:
        return -whole_months_between(end, start)
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def months_range(start: DateInterval, end: DateInterval) -> tuple[int, int]:
    """The least and greatest whole-month difference over both uncertainties."""
    return (
        whole_months_between(start.latest, end.earliest),
        whole_months_between(start.earliest, end.latest),
    )


def within_months(start: DateInterval, end: DateInterval, months: int) -> bool | None:
    """Is `end` at most `months` calendar months after `start`? None when the uncertainty of the
    dates straddles the threshold."""
    # Worst cases: the latest end against the earliest start, and the other way round.
    always = end.latest <= add_months(start.earliest, months)
    never = end.earliest > add_months(start.latest, months)
    if always:
        return True
    if never:
        return False
    return None


def age_to_interval(birth: DateInterval, years: int) -> DateInterval:
    """The days on which someone born in `birth` is `years` old."""
    earliest = add_months(birth.earliest, 12 * years)
    latest = add_months(birth.latest, 12 * (years + 1)) - timedelta(days=1)
    return DateInterval(earliest, latest, f"age {years}")


_MONTHS = {
    m.lower(): i
    for i in range(1, 13)
    for m in (calendar.month_name[i], calendar.month_abbr[i], calendar.month_abbr[i] + ".")
}
_MON_YEAR = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]+\.?)\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_NUM_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.](\d{4})$|^(\d{4})[/.](\d{1,2})$")


def parse_text_date(text: str) -> DateInterval | None:
    """A date written in a free-text element (`onsetString`, `abatementString`) when it is
    recognisably one: FHIR forms, "Feb 2023", "14 February 2023", "Feb 14, 2023", "02/2023".
    None for anything else ("childhood", "3 years ago", "03/04/2023" day-month ambiguity):
    text is never guessed into a date."""
    t = " ".join(text.strip().split())
    try:
        return parse_fhir_date(t)
    except InvalidDate:
        pass
    try:
        if m := _MON_YEAR.match(t):
            month = _MONTHS.get(m[2].lower())
            if month is None or (m[1] and m[3]):
                return None
            year, day = int(m[4]), m[1] or m[3]
            iso = f"{year:04d}-{month:02d}" + (f"-{int(day):02d}" if day else "")
        elif m := _NUM_MONTH_YEAR.match(t):
            month, year = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
            iso = f"{year:04d}-{month:02d}"
        else:
            return None
        parsed = parse_fhir_date(iso)
    except InvalidDate:
        return None
    return DateInterval(parsed.earliest, parsed.latest, t)


def span(start: DateInterval, end: DateInterval) -> DateInterval:
    """The interval from `start` to `end` (an onsetPeriod): the onset lies somewhere in it."""
    if end.latest < start.earliest:
        return start
    return DateInterval(start.earliest, end.latest, f"{start.text} to {end.text}")
