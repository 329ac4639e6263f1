"""Liver recurrence after liver-directed treatment and the treatment-free interval (9.1):
whether a current liver metastasis is dated after the last local treatment, and the time from
the end of the last cancer-directed treatment before that recurrence to the recurrence, against
the favourable threshold (`tfi_favourable_months`).
"""

from __future__ import annotations

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.liver_directed import liver_directed_kinds
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Proc
from sarcoma_cds.clinical.systemic_therapy import systemic_events
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import (
    DateInterval,
    months_days_text,
    months_range,
    months_text,
    within_months,
)


def recurrence_facts(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    local: list[Proc],
    current_liver: list[Dx],
) -> dict[str, Fact]:
    f: dict[str, Fact] = {}
    dated_local = [x for x in local if x.start]
    if not local:
        f["liver_recurrence"] = rec.none_recorded(
            "procedures", "no liver-directed local treatment recorded"
        )
        f["tfi_months"] = f["tfi_favourable"] = _without_recurrence(f["liver_recurrence"])
        return f
    if not dated_local:
        reason = "the liver-directed treatment has no date"
        for name in ("liver_recurrence", "tfi_months", "tfi_favourable"):
            f[name] = Fact.unknown(reason, [x.evidence(x.label()) for x in local])
        return f
    last_local = max(dated_local, key=lambda x: (x.end or x.start).latest)  # type: ignore[union-attr]
    t = last_local.end or last_local.start
    assert t is not None
    after = [d for d in current_liver if not d.repeat and d.date and d.date.earliest > t.latest]
    unclear = [
        d
        for d in current_liver
        if d not in after and (d.repeat or d.date is None or d.date.latest > t.earliest)
    ]
    ev_local = [last_local.evidence(last_local.label())]
    if after:
        recurrence = min((d.date for d in after if d.date), key=lambda i: i.earliest)
        f["liver_recurrence"] = Fact.of(
            True,
            ev_local + [d.evidence(d.label()) for d in after],
            note=f"liver metastasis {recurrence.text} after {last_local.label()} {t.text}",
        )
        f.update(_tfi(rec, vs, p, recurrence, [d.evidence(d.label()) for d in after]))
        return f
    if unclear:
        reason = (
            f"a liver metastasis diagnosis was recorded again after the {last_local.label()} "
            f"({t.text}) while the earlier one is still active: repeated coding or a "
            "recurrence? Record a recurrence as a new diagnosis with its onset date"
            if any(d.repeat for d in unclear)
            else "a current liver metastasis may be dated before or after the last "
            f"liver-directed treatment ({t.text})"
        )
        f["liver_recurrence"] = Fact.indeterminate(reason, ev_local)
    else:
        f["liver_recurrence"] = Fact.of(
            False, ev_local, note=f"no liver metastasis recorded after {t.text}"
        )
    f["tfi_months"] = f["tfi_favourable"] = _without_recurrence(f["liver_recurrence"])
    return f


def _without_recurrence(recurrence: Fact) -> Fact:
    """The TFI when no recurrence is established: not applicable when "no recurrence" is known,
    otherwise open for the same reason as the recurrence itself."""
    if recurrence.is_no:
        return Fact.not_applicable("no liver recurrence after local treatment")
    return Fact.unknown(recurrence.reason or "whether the liver disease recurred is not known")


def _cancer_treatments(rec: Record, vs: ValueSets) -> list[tuple[str, Proc]]:
    """Each cancer-directed treatment with the word the TFI's line names it by ("ablation
    2024-01-15 → recurrence 2026-04-15"); a procedure in two value sets counts once."""
    out = [(_TFI_WORDS.get(k, k), p) for k, p in liver_directed_kinds(rec, vs)]
    out += [("systemic therapy", p) for p in systemic_events(rec, vs, ("done", "ongoing"))]
    out += [("resection of the primary", p) for p in rec.procs_in(vs["primary-resection"])]
    out += [("radiotherapy", p) for p in rec.procs_in(vs["radiotherapy-course"])]
    first: dict[int, tuple[str, Proc]] = {}
    for word, proc in out:
        first.setdefault(id(proc), (word, proc))
    return list(first.values())


_TFI_WORDS = {"resection": "liver resection", "sbrt": "liver SBRT"}


def _tfi(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    recurrence: DateInterval,
    rec_ev: list[Evidence],
) -> dict[str, Fact]:
    before = [
        (word, x)
        for word, x in _cancer_treatments(rec, vs)
        if (x.end or x.start) is not None and (x.start or x.end).earliest <= recurrence.latest  # type: ignore[union-attr]
    ]
    if not before:
        reason = "no dated cancer-directed treatment before the recurrence"
        return {"tfi_months": Fact.unknown(reason), "tfi_favourable": Fact.unknown(reason)}
    word, last = max(before, key=lambda wx: (wx[1].end or wx[1].start).latest)  # type: ignore[union-attr]
    end = last.end or last.start
    assert end is not None
    # Dated at its end: the summary shows "end → recurrence", the interval the TFI measures.
    ended = Evidence(ref=last.ref, date=end.text, what=f"last treatment: {last.label()}")
    ev = [ended, *rec_ev]
    if last.status == "ongoing" or last.open_ended:
        note = f"treatment ongoing at recurrence ({last.label()})"
        return {
            "tfi_months": Fact.of(0, ev, note=note),
            "tfi_favourable": Fact.of(False, ev, note=note),
        }
    lo, hi = months_range(end, recurrence)
    lo, hi = max(lo, 0), max(hi, 0)
    span = f"treatment ended {end.text}, recurrence {recurrence.text}"
    # To the day where both dates are (REVIEW6 m3: "6 months and 10 days"); a treatment given
    # over a period is dated by its end, and says so ("systemic therapy ended 2025-08-20").
    length = (
        months_days_text(end.earliest, recurrence.earliest)
        if end.exact and recurrence.exact
        else months_text(lo)
    )
    done = (
        " ended" if last.period and last.start is not None and last.start.text != end.text else ""
    )
    # The summary says "TFI 27 months (ablation 2024-01-15 → recurrence 2026-04-15)" (REVIEW5
    # m4), "TFI 6 months and 10 days since systemic therapy ended (2025-08-20)" (REVIEW6 m3; the
    # recurrence is on the Facts line already, and the card has 800 characters).
    tfi = (
        Fact.of(
            lo,
            ev,
            note=f"{length} since {word} ended ({end.text})"
            if done
            else f"{length} ({word} {end.text} → recurrence {recurrence.text})",
        )
        if lo == hi
        else Fact.indeterminate(f"TFI between {lo} and {hi} months ({span})", ev)
    )
    within = within_months(end, recurrence, p.tfi_favourable_months)
    fav = (
        Fact.indeterminate(
            f"cannot tell whether TFI > {p.tfi_favourable_months} months ({span})", ev
        )
        if within is None
        else Fact.of(
            not within,
            ev,
            # The 9.1 bullet's words (REVIEW6 m3): "TFI 6 months and 10 days since systemic
            # therapy ended (2025-08-20), below 12" — the threshold in force, by name.
            note=f"TFI {length} since {word}{done} ({end.text}), "
            + _against(within, lo, p.tfi_favourable_months),
        )
    )
    return {"tfi_months": tfi, "tfi_favourable": fav}


def _against(within: bool, months: int, threshold: int) -> str:
    """ "over 12 months", "below 12 months"; "not over 12 months" at exactly 12 (the TFI must
    exceed it)."""
    if not within:
        return f"over {threshold} months"
    return f"below {threshold} months" if months < threshold else f"not over {threshold} months"
