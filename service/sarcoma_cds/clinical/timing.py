"""Timing of metastatic disease: synchronous or metachronous, and the DFI.

clinical-logic §1.3; recommendations 2.1, 2.2.
"""

from __future__ import annotations

from collections.abc import Sequence

from sarcoma_cds.clinical.dating import earliest_of
from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.resources import Dx, Obs
from sarcoma_cds.clinical.staging import StagedMetastasis
from sarcoma_cds.values.dates import (
    DateInterval,
    add_months,
    months_days_text,
    months_range,
    months_text,
    within_months,
)


def _dated(dxs: list[Dx]) -> list[Dx]:
    return [d for d in dxs if d.date is not None]


def _earliest(dxs: list[Dx]) -> tuple[DateInterval | None, list[Evidence]]:
    dated = _dated(dxs)
    first = earliest_of(d.date for d in dated if d.date)
    if first is None:
        return None, []
    # Evidence: the condition(s) that can be the earliest.
    ev = [d.evidence(d.label()) for d in dated if d.date and d.date.earliest <= first.latest]
    return first, ev


def _undated(what: str, dxs: list[Dx]) -> str:
    """ "no date on X", naming the unreadable or non-date element when there was one."""
    problems = [f"{d.ref} {d.date_problem}" for d in dxs if d.date_problem]
    return f"{what} ({'; '.join(problems[:3])})" if problems else what


def _date_fact(when: DateInterval | None, ev: list[Evidence], missing: str) -> Fact:
    if when is None:
        return Fact.unknown(missing, ev)
    if when.exact:
        return Fact.of(when.earliest.isoformat(), ev)
    return Fact.indeterminate(f"dated only '{when.text}'", ev)


def _no_metastasis(
    metastases: list[Dx], staged: Sequence[tuple[Obs, str]], liver: bool = False
) -> str:
    """Why there is no first-metastasis date. Metastatic disease known only from staging or
    history (TNM M1, stage IV, HistoryOfMetastaticCancer) is named: it says the disease was
    present by then, not when the first metastasis appeared."""
    what = "liver metastasis" if liver else "metastasis"
    if metastases:
        return _undated(f"no date on any {what}", metastases)
    if not staged:
        return "no liver metastasis" if liver else "no metastasis recorded"
    shown = "; ".join(
        f"{what} on {o.date.text}" if o.date else what for o, what in list(staged)[:2]
    )
    disease = "liver metastatic disease" if liver else "metastatic disease"
    return f"{disease} is known only from staging or history ({shown}), not when it first appeared"


def derive_timing(
    primaries: list[Dx],
    metastases: list[Dx],
    liver_metastases: list[Dx],
    p: ClinicalParameters,
    staged: StagedMetastasis | None = None,
    unread: list[Dx] | None = None,
) -> dict[str, Fact]:
    """`staged`: metastatic disease recorded by staging or history only (clinical/staging.py).
    `unread`: diagnoses the service cannot read that read like a further metastasis."""
    primary, p_ev = _earliest(primaries)
    first_met, m_ev = _earliest(metastases)
    first_liver, l_ev = _earliest(liver_metastases)
    by_staging = staged.metastatic if staged and not metastases else []
    liver_by_staging = staged.liver if staged and not liver_metastases else []
    staged_ev = [o.evidence(what) for o, what in by_staging]
    liver_staged_ev = [o.evidence(what) for o, what in liver_by_staging]
    f: dict[str, Fact] = {
        "primary_diagnosis_date": _date_fact(
            primary,
            p_ev,
            _undated("no primary STS diagnosis date recorded", primaries)
            if primaries
            else "no primary STS diagnosis recorded",
        ),
        "first_metastasis_date": _date_fact(
            first_met, m_ev or staged_ev, _no_metastasis(metastases, by_staging)
        ),
        "first_liver_metastasis_date": _date_fact(
            first_liver,
            l_ev or liver_staged_ev,
            _no_metastasis(liver_metastases, liver_by_staging, liver=True),
        ),
    }
    if primary is None or first_met is None:
        missing = f["primary_diagnosis_date" if primary is None else "first_metastasis_date"]
        reason = missing.reason or "a date is missing"
        for name in ("dfi_months", "timing", "long_dfi", "dfi_at_synchronous_limit"):
            f[name] = Fact.unknown(reason, p_ev + (m_ev or staged_ev))
        return f

    # A possible metastasis the service cannot read, undated or dated before the first coded
    # one, may be the first metastasis: synchronous or metachronous, and the DFI, stay open
    # (clinical-logic 1.1: never a silent answer on what could not be read).
    earlier = [d for d in unread or [] if d.date is None or d.date.earliest < first_met.latest]
    if earlier:
        shown = "; ".join(
            f"'{d.label()}'" + (f" ({d.date.text})" if d.date else " (undated)")
            for d in earlier[:2]
        )
        reason = (
            f"a diagnosis the service cannot read may be an earlier metastasis ({shown}); "
            "code it with its site, or record it as refuted if it is not a metastasis"
        )
        ev_all = p_ev + m_ev + [d.evidence(d.label()) for d in earlier]
        for name in ("dfi_months", "timing", "long_dfi", "dfi_at_synchronous_limit"):
            f[name] = Fact.indeterminate(reason, ev_all)
        return f

    ev = p_ev + m_ev
    lo, hi = months_range(primary, first_met)
    lo, hi = max(lo, 0), max(hi, 0)  # a metastasis found before the primary: DFI 0
    span = f"primary {primary.text}, first metastasis {first_met.text}"
    coarse = _coarse(primary, first_met)
    if lo == hi:
        f["dfi_months"] = Fact.of(lo, ev, note=f"DFI {_dfi_text(primary, first_met, lo)} ({span})")
    else:
        f["dfi_months"] = Fact.indeterminate(f"DFI between {lo} and {hi} months: {coarse}", ev)

    sync = within_months(primary, first_met, p.synchronous_months)
    if sync is None:
        # The coarse date and the other one, once (REVIEW4 m4: the card's sentence already says
        # that timing cannot be set).
        f["timing"] = Fact.indeterminate(coarse, ev)
        f["dfi_at_synchronous_limit"] = Fact.indeterminate(f["timing"].reason or coarse, ev)
    else:
        label = "synchronous" if sync else "metachronous"
        rule = "≤" if sync else ">"
        dfi = f"DFI {_dfi_text(primary, first_met, lo)}" if lo == hi else f"DFI {lo}–{hi} months"
        boundary = ""
        exact = primary.exact and first_met.exact
        on_boundary = first_met.earliest == add_months(primary.earliest, p.synchronous_months)
        f["dfi_at_synchronous_limit"] = Fact.of(
            exact and on_boundary,
            ev,
            note=f"DFI exactly {p.synchronous_months} months" if exact and on_boundary else None,
        )
        if exact and on_boundary:
            boundary = (
                f"; exactly {p.synchronous_months} months is synchronous by 2.1 and §3.8 "
                f"(≤ {p.synchronous_months} months) but metachronous by 8.1 "
                f"(DFI ≥ {p.synchronous_months} months): the MDT decides"
            )
        f["timing"] = Fact.of(
            label, ev, note=f"{dfi} ({span}; {rule} {p.synchronous_months} months){boundary}"
        )

    within_long = within_months(primary, first_met, p.long_dfi_months)
    if within_long is None:
        f["long_dfi"] = Fact.indeterminate(
            f"cannot tell whether DFI > {p.long_dfi_months} months: {coarse}", ev
        )
    else:
        # The interval itself in the note, a range when the dates are coarse (never "indeterminate
        # months" beside a settled "long DFI").
        months = _dfi_text(primary, first_met, lo) if lo == hi else f"{lo}–{hi} months"
        f["long_dfi"] = Fact.of(
            not within_long,
            ev,
            note=f"{months}, {'>' if not within_long else '≤'} {p.long_dfi_months} months",
        )
    return f


def _dfi_text(primary: DateInterval, first_met: DateInterval, months: int) -> str:
    """ "10 months", or to the day when both dates are exact: "6 months and 1 day"."""
    if not (primary.exact and first_met.exact) or first_met.earliest < primary.earliest:
        return months_text(months)
    return months_days_text(primary.earliest, first_met.earliest)


def _coarse(a: DateInterval, b: DateInterval) -> str:
    """ "the primary is dated only '2025' (first metastasis 2026-03-10)"; both coarse: "the
    primary is dated only '2025' and the first metastasis only '2026'"."""
    if not a.exact and not b.exact:
        return f"the primary is dated only '{a.text}' and the first metastasis only '{b.text}'"
    if not a.exact:
        return f"the primary is dated only '{a.text}' (first metastasis {b.text})"
    if not b.exact:
        return f"the first metastasis is dated only '{b.text}' (primary {a.text})"
    return "dates are exact"
