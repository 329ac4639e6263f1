"""Surveillance after liver metastasectomy (13.1): every 3–4 months for the first 2 postoperative
years, every 6 months to the end of year 5, then yearly — the numbers are parameters
(`followup_*` in parameters.yaml)."""

from __future__ import annotations

from datetime import date

from sarcoma_cds.clinical.facts import Evidence, Fact, State
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.values.dates import (
    DateInterval,
    add_months,
    months_days_text,
    parse_fhir_date,
    whole_months_between,
)
from sarcoma_cds.values.numerals import every_months

_FOLLOWUP_FACTS = (
    "followup_interval",
    "followup_next_due",
    "followup_overdue",
    "last_surveillance_ct_date",
    "months_since_liver_metastasectomy",
)


def interval_due(surgery: date, today: date, p: ClinicalParameters) -> tuple[int, str]:
    """(the longest interval allowed now, in months; its wording)."""
    early, middle = p.followup_early_years, p.followup_middle_years
    if today < add_months(surgery, 12 * early):
        lo, hi = p.followup_early_interval_min_months, p.followup_early_interval_months
        every = f"{lo}–{hi}" if lo != hi else f"{hi}"
        return hi, f"every {every} months (first {early} postoperative years)"
    if today < add_months(surgery, 12 * middle):
        months = p.followup_middle_interval_months
        return months, f"every {months} months (to the end of year {middle})"
    late = p.followup_late_interval_months
    return late, f"{every_months(late)} (after year {middle})"


def schedule_text(p: ClinicalParameters) -> str:
    """The whole schedule in words (13.1), from the parameters."""
    lo, hi = p.followup_early_interval_min_months, p.followup_early_interval_months
    late = p.followup_late_interval_months
    return (
        f"every {lo}–{hi} months for {p.followup_early_years} years, every "
        f"{p.followup_middle_interval_months} months to year {p.followup_middle_years}, then "
        + every_months(late)
    )


def derive_followup(
    last_resection: Fact,
    last_ct: Proc | None,
    today: date,
    p: ClinicalParameters,
    newest: Proc | None = None,
    any_imaging: Proc | None = None,
) -> dict[str, Fact]:
    """`last_ct` completed the latest chest-and-abdomen round; `newest` is the newest CT of
    either region (named when the round since the operation is incomplete); `any_imaging` the
    newest CT, MRI or PET/CT of any region (none since the operation is said: REVIEW3 45)."""
    if not last_resection.known or not isinstance(last_resection.value, str):
        # No metastasectomy: no schedule (not applicable); an undated one: the schedule is open.
        if last_resection.state is State.NOT_APPLICABLE:
            na = Fact.not_applicable("no liver metastasectomy recorded", last_resection.evidence)
            return dict.fromkeys(_FOLLOWUP_FACTS, na)
        reason = last_resection.reason or "the liver metastasectomy date is unknown"
        return {
            "followup_interval": Fact.unknown(reason, last_resection.evidence),
            "followup_next_due": Fact.unknown(reason, last_resection.evidence),
            "followup_overdue": Fact.unknown(reason, last_resection.evidence),
            "last_surveillance_ct_date": Fact.unknown(reason),
            "months_since_liver_metastasectomy": Fact.unknown(reason, last_resection.evidence),
        }
    surgery = parse_fhir_date(last_resection.value).earliest
    months, wording = interval_due(surgery, today, p)
    ev: list[Evidence] = list(last_resection.evidence)
    # Only a CT after the operation is surveillance; otherwise the clock starts at surgery.
    ct: DateInterval | None = None
    partial = ""
    if last_ct and last_ct.start and last_ct.start.latest > surgery:
        ct = last_ct.start
        ev.append(last_ct.evidence(f"last surveillance CT: {last_ct.label()}"))
        ct_fact = (
            Fact.of(ct.earliest.isoformat(), [ev[-1]])
            if ct.exact
            else Fact.indeterminate(f"last CT dated only '{ct.text}'", [ev[-1]])
        )
    elif newest and newest.start and newest.start.latest > surgery:
        only = f"only {newest.label()} on {newest.start.text} since the operation"
        partial = f" (chest and abdomen; {only})"
        ct_fact = Fact.unknown(
            f"no complete chest and abdomen CT since the metastasectomy ({surgery}): only "
            f"{newest.label()} ({newest.start.text}), so the schedule counts from the operation",
            [newest.evidence(f"incomplete surveillance round: {newest.label()}")],
        )
    else:
        ct_fact = Fact.unknown(f"no contrast CT recorded since the metastasectomy ({surgery})")
    base = ct or DateInterval.on(surgery)
    due_early, due_late = add_months(base.earliest, months), add_months(base.latest, months)
    since = f"since the last CT ({base.text})" if ct else f"since the metastasectomy ({surgery})"
    since_surgery = whole_months_between(surgery, today)
    out = {
        "months_since_liver_metastasectomy": Fact.of(
            since_surgery,
            list(last_resection.evidence),
            note=f"{months_days_text(surgery, today)} ago ({surgery})",
        ),
        "followup_interval": Fact.of(wording, ev),
        "last_surveillance_ct_date": ct_fact,
    }
    if due_early == due_late:
        out["followup_next_due"] = Fact.of(
            due_early.isoformat(), ev, note=f"{months} months {since}"
        )
    else:
        out["followup_next_due"] = Fact.indeterminate(
            f"due between {due_early} and {due_late} ({months} months {since})", ev
        )
    imaged = any_imaging and any_imaging.start and any_imaging.start.latest > surgery
    if today > due_late and not ct and not partial and not imaged:
        # Nothing at all since the operation: the gap is the finding, the due date its measure.
        out["followup_overdue"] = Fact.of(
            True,
            ev,
            note=(
                f"no CT, MRI or PET/CT recorded in the {months_days_text(surgery, today)} since "
                f"the metastasectomy ({surgery}); contrast CT was due by {due_late.isoformat()} "
                f"({months} months after it)"
            ),
        )
    elif today > due_late:
        out["followup_overdue"] = Fact.of(
            True,
            ev,
            note=(
                # Commas, not parentheses within parentheses (REVIEW5 m14).
                f"contrast CT was due by {due_late.isoformat()}, {months} months "
                f"{since.replace('since', 'after', 1)}" + partial
            ),
        )
    elif today <= due_early:
        out["followup_overdue"] = Fact.of(
            False, ev, note=f"next contrast CT due by {due_early.isoformat()}{partial}"
        )
    else:
        out["followup_overdue"] = Fact.indeterminate(f"the last CT is dated only '{base.text}'", ev)
    return out


def suspend_when_active(next_due: Fact, liver_current: Fact, new_extrahepatic: Fact) -> Fact:
    """13.1's schedule is disease-free follow-up: with current liver disease or a new
    extrahepatic metastasis there is no "next surveillance CT", but restaging and treatment."""
    active = [
        what
        for fact, what in (
            (liver_current, "current liver metastasis"),
            (new_extrahepatic, "new extrahepatic metastasis"),
        )
        if fact.is_yes
    ]
    if not active or not next_due.known:
        return next_due
    return Fact.not_applicable(
        f"surveillance suspended: {' and '.join(active)}", list(next_due.evidence)
    )
