"""How many metastatic lesions, and when they were counted (clinical-logic §1.4; 1.1).

Three sources, each read on its own: explicit lesion-count Observations (latest per organ, summed),
distinct measured lesions on the latest imaging date, and one lesion per current metastasis
Condition (a lower bound only: one Condition "liver metastases" may stand for several lesions).
The count is the largest; its date is the date of the source that gave it, so that a count from
an old scan is never passed off as current staging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Obs
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import (
    DateInterval,
    months_days_text,
    months_text,
    whole_months_between,
)


@dataclass(frozen=True)
class Count:
    """One source's count: `n` lesions, exact unless some current site went uncounted."""

    n: int
    source: str  # "lesion-count observations", "measured lesions", "metastasis diagnoses"
    when: DateInterval | None
    evidence: list[Evidence]
    uncounted: list[str] = field(default_factory=list)  # current sites this source misses
    counted: list[str] = field(default_factory=list)  # the sites it counted, where known

    @property
    def exact(self) -> bool:
        return not self.uncounted

    @property
    def lower_bound(self) -> int:
        return self.n + len(self.uncounted)


def explicit_counts(
    rec: Record, vs: ValueSets, sites: set[str], organ: Callable[[Obs], str | None]
) -> Count | None:
    """Lesion-count Observations: the latest per organ, summed over organs."""
    latest: dict[str, Obs] = {}
    for o in rec.obs_in(vs["lesion-count"]):
        if o.res.valueInteger is None and not (o.res.valueQuantity and o.res.valueQuantity.value):
            continue
        key = organ(o) or "unspecified"
        prev = latest.get(key)
        if prev is None or (o.date and (prev.date is None or o.date.latest > prev.date.latest)):
            latest[key] = o
    if not latest:
        return None
    ev = [o.evidence(f"{k.replace('_', ' ')}: {int_value(o)} lesion(s)") for k, o in latest.items()]
    uncounted = [] if "unspecified" in latest else sorted(s for s in sites if s not in latest)
    return Count(
        sum(int_value(o) for o in latest.values()),
        "lesion-count observations",
        _oldest(o.date for o in latest.values()),
        ev,
        uncounted,
        sorted(k for k in latest if k != "unspecified"),
    )


def measured_lesions(
    rec: Record, vs: ValueSets, sites: set[str], organ: Callable[[Obs], str | None]
) -> Count | None:
    """Distinct lesions measured on the latest imaging date. A lesion is a distinct BodyStructure
    focus (an mCODE Tumor, by identifier when contained) or else the measurement itself: seven
    TumorSize Observations that all point at one metastasis Condition are seven lesions."""
    sizes = [o for o in rec.obs_in(vs["tumor-size"]) if o.date]
    if not sizes:
        return None
    last_day = max(o.date.latest for o in sizes if o.date)
    on_day = [o for o in sizes if o.date and o.date.latest == last_day]
    lesions = {lesion_key(o) for o in on_day}
    measured_sites = {organ(o) for o in on_day}
    uncounted = sorted(s for s in sites if s not in measured_sites)
    return Count(
        len(lesions),
        f"lesions measured on {last_day.isoformat()}",
        DateInterval.on(last_day),
        [o.evidence("measured lesion") for o in on_day],
        uncounted,
        sorted(s for s in measured_sites if s),
    )


def lesion_key(o: Obs) -> str:
    """The lesion a measurement belongs to: its BodyStructure focus, else itself."""
    for ref in (f.reference for f in o.res.focus if f.reference):
        if ref.startswith("#"):
            body = next((c for c in o.res.contained if c.id == ref[1:]), None)
            ident = next((i for i in body.identifier if i.value), None) if body else None
            if ident is not None:
                return f"BodyStructure|{ident.system or ''}|{ident.value}"
            return f"{o.ref}{ref}"  # a contained id is local to its resource
        if "BodyStructure/" in ref:
            return ref
    return o.ref


def diagnosed_lesions(current: list[tuple[Dx, str | None]]) -> Count | None:
    """One lesion per current metastasis Condition (repeats of one encounter diagnosis once)."""
    first = [(d, site) for d, site in current if not d.repeat]
    if not first:
        return None
    return Count(
        len(first),
        "metastasis diagnoses",
        _latest(d.date for d, _ in first),
        [d.evidence(d.label()) for d, _ in first],
    )


def int_value(o: Obs) -> int:
    if o.res.valueInteger is not None:
        return o.res.valueInteger
    q = o.res.valueQuantity
    return int(q.value) if q and q.value is not None else 0


def _oldest(dates: Iterable[DateInterval | None]) -> DateInterval | None:
    """A sum over organs is only as current as its oldest part."""
    items = [d for d in dates if d is not None]
    return min(items, key=lambda i: i.latest) if items else None


def _latest(dates: Iterable[DateInterval | None]) -> DateInterval | None:
    items = [d for d in dates if d is not None]
    return max(items, key=lambda i: i.latest) if items else None


@dataclass(frozen=True)
class LesionFacts:
    count: Fact
    assessed: Fact  # burden_assessed_date
    stale: Fact  # burden_stale


def _count_without_disease(
    rec: Record, vs: ValueSets, treated: tuple[str, DateInterval] | None
) -> Fact:
    """The lesion count when no metastasis is current: what the latest lesion-count reading
    since the last liver treatment says (0 included), else not applicable with what is (not)
    recorded — never a "0" nobody counted (REVIEW4 m1)."""
    after = treated[1].latest if treated else date.min
    readings = [
        o
        for o in rec.obs_in(vs["lesion-count"])
        if o.date is not None
        and o.date.earliest > after
        and (
            o.res.valueInteger is not None
            or (o.res.valueQuantity and o.res.valueQuantity.value is not None)
        )
    ]
    if readings:
        o = max(readings, key=lambda x: x.date.latest if x.date else date.min)
        n = int_value(o)
        return Fact.of(n, [o.evidence(f"{n} lesion(s)")], note="lesion-count observation")
    if treated is None:
        return Fact.not_applicable("not recorded (no current metastasis recorded)")
    what, when = treated
    return Fact.not_applicable(f"not recorded since the {what} ({when.text})")


def lesion_facts(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    current: list[tuple[Dx, str | None]],
    organ: Callable[[Obs], str | None],
    treated: tuple[str, DateInterval] | None = None,
) -> LesionFacts:
    """`treated`: the last liver-directed treatment in words and its date, if any (what a
    count of no current disease is dated from)."""
    sites = {s for _, s in current if s}
    counted = [
        c
        for c in (explicit_counts(rec, vs, sites, organ), measured_lesions(rec, vs, sites, organ))
        if c is not None
    ]
    diagnosed = diagnosed_lesions(current)
    if not current:
        if rec.has("conditions"):
            none = Fact.not_applicable("no current metastasis")
            return LesionFacts(_count_without_disease(rec, vs, treated), none, none)
        missing = Fact.unknown("no conditions were supplied")
        return LesionFacts(missing, missing, missing)
    if not counted:
        floor = max(len(sites), diagnosed.n if diagnosed else 1, 1)
        reason = (  # REVIEW5 m13: one colon, no system language
            f"the number of lesions is not recorded (the diagnoses show at least {floor}); "
            "record it from the staging CT"
        )
        ev = diagnosed.evidence if diagnosed else []
        undated = Fact.unknown("no lesion count or measured lesions recorded")
        return LesionFacts(Fact.unknown(reason, ev), undated, undated)
    best = max(counted, key=lambda c: (c.lower_bound, c.when.latest if c.when else date.min))
    floor = max(best.lower_bound, diagnosed.n if diagnosed else 0)
    notes = [f"{c.n} from {c.source}" for c in counted]
    if diagnosed:
        notes.append(f"{diagnosed.n} metastasis diagnosis(es)")
    disagree = len({c.n for c in counted} | ({diagnosed.n} if diagnosed else set())) > 1
    note = "; ".join(notes) + (" — the sources disagree; the largest is taken" if disagree else "")
    if not best.exact:
        count = Fact.unknown(_partial_count(floor, best), best.evidence)
    else:
        raised = diagnosed is not None and diagnosed.n > best.n
        count = Fact.of(
            floor, best.evidence + (diagnosed.evidence if diagnosed and raised else []), note=note
        )
    return LesionFacts(count, *_assessed(best, rec.today, p))


def _site_words(sites: list[str]) -> str:
    names = [s.replace("_", " ") for s in sites]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _partial_count(floor: int, best: Count) -> str:
    """ "at least 3 lesions, 2 counted in the liver and at least 1 in the retroperitoneum or
    peritoneum not yet counted" — a sentence a board reads, not a field list (REVIEW2 #5)."""
    where = f" in the {_site_words(best.counted)}" if best.counted else ""
    missing = best.uncounted
    each = " each" if len(missing) > 1 else ""
    return (
        f"at least {floor} lesions, {best.n} counted{where} and at least 1{each} in the "
        f"{_site_words(missing)} not yet counted"
    )


def _assessed(best: Count, today: date, p: ClinicalParameters) -> tuple[Fact, Fact]:
    when = best.when
    if when is None:
        reason = f"the lesion count ({best.source}) has no date"
        return Fact.unknown(reason, best.evidence), Fact.unknown(reason, best.evidence)
    ev = best.evidence[:1]
    assessed = (
        Fact.of(when.earliest.isoformat(), ev, note=f"from {best.source}")
        if when.exact
        else Fact.indeterminate(f"lesion count dated only '{when.text}'", ev)
    )
    age_early, age_late = (today - when.latest).days, (today - when.earliest).days
    window = p.staging_window_days
    if age_late <= window:
        stale = Fact.of(False, ev, note=f"lesion count from {when.text}, within {window} days")
    elif age_early > window:
        # Its age in words, as every interval on the cards (REVIEW4 m6, REVIEW5 m3): "from
        # 2025-04-02, over 13 months old".
        age = (
            months_days_text(when.earliest, today, over="over ")
            if when.exact
            else f"over {months_text(max(whole_months_between(when.latest, today), 0))}"
        )
        stale = Fact.of(True, ev, note=f"from {when.text}, {age} old")
    else:
        stale = Fact.indeterminate(f"lesion count dated only '{when.text}'", ev)
    return assessed, stale


def _size_mm(o: Obs, vs: ValueSets) -> float | None:
    quantities = [
        c.valueQuantity
        for c in o.res.component
        if c.code and vs["tumor-longest-dimension"].matches_any(c.code.coding)
    ]
    if o.res.code and vs["tumor-longest-dimension"].matches_any(o.res.code.coding):
        quantities.append(o.res.valueQuantity)
    for q in quantities:
        if q is None or q.value is None:
            continue
        unit = (q.code or q.unit or "").lower()
        if unit == "mm":
            return q.value
        if unit == "cm":
            return q.value * 10
    return None


def lesion_sizes(
    rec: Record, vs: ValueSets, p: ClinicalParameters, organ: Callable[[Obs], str | None]
) -> dict[str, Fact]:
    """The largest and smallest liver lesion on the latest measurement date (4.2, §3.5)."""
    measured: list[tuple[float, Obs]] = []
    for o in rec.obs_in(vs["tumor-size"]) + rec.obs_in(vs["tumor-longest-dimension"]):
        mm = _size_mm(o, vs)
        if mm is not None and organ(o) == "liver":
            measured.append((mm, o))
    if not measured:
        reason = "size of the liver lesions not recorded"
        return {
            "largest_liver_lesion_mm": Fact.unknown(reason),
            "subcentimetre_lesion": Fact.unknown(reason),
            "large_lesion": Fact.unknown(reason),
        }
    # Sizes from the latest imaging date describe the disease now.
    last = max((o.date.latest for _, o in measured if o.date), default=None)
    now = [(mm, o) for mm, o in measured if o.date is None or o.date.latest == last]
    largest = max(mm for mm, _ in now)
    smallest = min(mm for mm, _ in now)
    ev = [o.evidence(f"liver lesion {mm:g} mm") for mm, o in now]
    return {
        "largest_liver_lesion_mm": Fact.of(largest, ev),
        "subcentimetre_lesion": Fact.of(
            smallest < 10 * p.small_lesion_cm, ev, note=f"smallest liver lesion {smallest:g} mm"
        ),
        "large_lesion": Fact.of(
            largest > 10 * p.large_lesion_cm, ev, note=f"largest liver lesion {largest:g} mm"
        ),
    }
