"""Treatment history: surgery, liver-directed therapy, systemic therapy and response (§1.3, §1.5;
9.1, 9.2, 8.3).
"""

from __future__ import annotations

from sarcoma_cds.clinical.dating import latest_of
from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.lines import (
    Line,
    group_lines,
    line_facts,
    perioperative_fact,
    split_at_metastasis,
    therapy_label,
)
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Proc
from sarcoma_cds.clinical.response import (
    progression_stale,
    progression_without_metastatic_therapy,
    response_facts,
)
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import (
    DateInterval,
    months_days_text,
    months_range,
    months_text,
    parse_fhir_date,
    within_months,
)

LIVER_DIRECTED = ("liver-resection", "liver-ablation", "liver-embolisation", "liver-sbrt")
# The kind of each liver-directed treatment, as the cards name it.
LOCAL_KIND = {
    "liver-resection": "resection",
    "liver-ablation": "ablation",
    "liver-embolisation": "embolisation",
    "liver-sbrt": "sbrt",
    "radiotherapy-course": "sbrt",
}


def _when(x: Proc, word: str, label: str | None = None) -> str:
    """ "Excision of neoplasm on 2025-11-28"; the label alone when undated."""
    day = x.start or x.end
    label = label or x.label()
    return f"{label} {word} {day.text}" if day else label


def _none(rec: Record, key: str, note: str) -> Fact:
    return Fact.of(False, note=note) if rec.has(key) else Fact.unknown(f"no {key} were supplied")


def liver_directed(rec: Record, vs: ValueSets) -> list[Proc]:
    return [p for _, p in liver_directed_kinds(rec, vs)]


def liver_directed_kinds(rec: Record, vs: ValueSets) -> list[tuple[str, Proc]]:
    """Each liver-directed local treatment with its kind (resection, ablation, embolisation,
    sbrt); a procedure in two value sets counts once, by the first."""
    out: list[tuple[str, Proc]] = []
    seen: set[int] = set()
    for vs_id in (*LIVER_DIRECTED, "radiotherapy-course"):
        procs = rec.procs_in(vs[vs_id])
        if vs_id in ("liver-sbrt", "radiotherapy-course"):
            # mCODE RadiotherapyCourseSummary with bodySite liver is liver SBRT too.
            procs = [p for p in procs if vs["bodysite-liver"].matches_any(p.body_sites())]
        for p in procs:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((LOCAL_KIND[vs_id], p))
    return out


def last_local_kind(rec: Record, vs: ValueSets, last: Proc | None) -> Fact:
    if last is None:
        return (
            Fact.not_applicable("no dated liver-directed treatment recorded")
            if rec.has("procedures")
            else Fact.unknown("no procedures were supplied")
        )
    kind = next(k for k, p in liver_directed_kinds(rec, vs) if p is last)
    done = last.end or last.start
    return Fact.of(
        kind,
        [last.evidence(last.label())],
        # The date only: the kind is the value, and a procedure code's display ("Ablation, 1 or
        # more liver tumors, percutaneous, radiofrequency") is not card wording.
        note=done.text if done else "undated",
    )


def primary_in_place(timing: Fact, primary_resected: Fact) -> Fact:
    """Synchronous disease with the primary not resected (§3.1: treat it before or at the same
    time as the metastasectomy)."""
    ev = list(timing.evidence) + list(primary_resected.evidence)
    if timing.known and timing.value != "synchronous":
        return Fact.of(False, ev, note="metachronous: the primary was treated before")
    if primary_resected.is_yes:
        return Fact.of(False, ev, note="primary resected")
    if timing.known and primary_resected.is_no:
        return Fact.of(True, ev, note="synchronous, no resection of the primary recorded")
    missing = timing if not timing.known else primary_resected
    return Fact.unknown(missing.reason or "timing or primary resection unknown", ev)


def _systemic(rec: Record, vs: ValueSets, statuses: tuple[str, ...]) -> list[Proc]:
    """Chemotherapy Procedures and medication resources of a sarcoma systemic agent."""
    meds = [m for m in rec.medication_events if m.status in statuses]
    return rec.procs_in(vs["systemic-therapy"], statuses) + meds


def _no_systemic(rec: Record, note: str, ev: list[Evidence] | None = None) -> Fact:
    """Known "no" only when procedures and medications were supplied and every medication
    that might be systemic therapy could be read (clinical-logic 1.1, honest "no")."""
    if not rec.has("procedures"):
        return Fact.unknown("no procedures were supplied")
    if not rec.medications_supplied:
        return Fact.unknown(
            "no medication resources were supplied (MedicationRequest, MedicationAdministration "
            "or MedicationStatement): chemotherapy is often recorded only there"
        )
    if rec.medication_doubts:
        shown = "; ".join(rec.medication_doubts[:3])
        return Fact.indeterminate(
            f"medication(s) that may be systemic therapy could not be recognised ({shown}): "
            "code them with RxNorm or ATC"
        )
    return Fact.of(False, ev or [], note=note)


def derive_treatment(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    current_liver_mets: list[Dx],
    primary_intra_abdominal: Fact,
    first_metastasis: Fact | None = None,
) -> dict[str, Fact]:
    """`first_metastasis`: the first_metastasis_date fact (a line that ended before it treated
    the primary: REVIEW5 M1)."""
    f: dict[str, Fact] = {}
    first = (
        parse_fhir_date(first_metastasis.value)
        if first_metastasis is not None and isinstance(first_metastasis.value, str)
        else None
    )
    events = _systemic(rec, vs, ("done", "ongoing"))
    grouped = group_lines(events, p, rec.today)
    primary_lines, lines = split_at_metastasis(grouped, first)
    for_primary = {id(e) for ln in primary_lines for e in ln.events}
    metastatic = [e for e in events if id(e) not in for_primary]
    resections = sorted(
        (x for x in rec.procs_in(vs["liver-resection"]) if x.start),
        key=lambda x: x.start.earliest if x.start else rec.today,
    )
    undated_resections = [x for x in rec.procs_in(vs["liver-resection"]) if not x.start]
    all_resections = resections + undated_resections
    f["prior_liver_resections"] = (
        Fact.of(len(all_resections), [x.evidence(x.label()) for x in all_resections])
        if all_resections or rec.has("procedures")
        else Fact.unknown("no procedures were supplied")
    )
    last = latest_of(d for x in resections if (d := x.end or x.start) is not None)
    if last:
        ev = [x.evidence(x.label()) for x in resections if (x.end or x.start) == last] or [
            resections[-1].evidence(resections[-1].label())
        ]
        f["last_liver_metastasectomy_date"] = (
            Fact.of(last.latest.isoformat(), ev)
            if last.exact
            else Fact.indeterminate(f"liver resection dated only '{last.text}'", ev)
        )
    elif undated_resections:
        f["last_liver_metastasectomy_date"] = Fact.unknown(
            "a liver resection is recorded without a date",
            [x.evidence(x.label()) for x in undated_resections],
        )
    else:
        f["last_liver_metastasectomy_date"] = _no_resection(f["prior_liver_resections"])

    primary_resections = rec.procs_in(vs["primary-resection"])
    f["primary_resected"] = (
        Fact.of(
            True,
            [x.evidence(x.label()) for x in primary_resections],
            note="; ".join(_when(x, "on") for x in primary_resections),
        )
        if primary_resections
        else _none(rec, "procedures", "no resection of the primary recorded")
    )
    abdominal = list(all_resections)
    if primary_intra_abdominal.is_yes:
        abdominal += primary_resections
    f["prior_abdominal_surgeries"] = (
        Fact.of(
            len(abdominal),
            [x.evidence(x.label()) for x in abdominal],
            note="liver resections and resections of an intra-abdominal primary",
        )
        if abdominal or rec.has("procedures")
        else Fact.unknown("no procedures were supplied")
    )

    # The metastatic events grouped on their own, as `on_systemic_therapy` dates them. Grouping
    # is sequential, so when the primary's lines come first (the usual case) each metastatic
    # event meets the same lines before it either way: the metastatic lines as they stand, not a
    # second grouping (issue 18).
    if all(a is b for a, b in zip(grouped[: len(primary_lines)], primary_lines, strict=True)):
        alone = lines
    else:
        for_primary = {id(e) for ln in primary_lines for e in ln.events}
        alone = group_lines([x for x in events if id(x) not in for_primary], p, rec.today)
    f.update(
        _systemic_facts(rec, vs, resections, f["prior_liver_resections"], primary_lines, alone)
    )
    f["perioperative_systemic_therapy"] = perioperative_fact(primary_lines, first, rec.today)
    local = liver_directed(rec, vs)
    f.update(_recurrence(rec, vs, p, local, current_liver_mets))
    f["response_to_systemic_therapy"], f["response_at_least_stable"] = response_facts(
        rec, vs, metastatic, bool(primary_lines)
    )
    f.update(_lines(rec, f, lines))
    received = f["systemic_therapy_received"]
    f.update(progression_without_metastatic_therapy(rec, vs, first, metastatic, received))
    f["progression_stale"] = progression_stale(
        f["systemic_progression"], f["response_to_systemic_therapy"], events + local, p, rec.today
    )
    return f


def _lines(rec: Record, f: dict[str, Fact], lines: list[Line]) -> dict[str, Fact]:
    """Lines of systemic therapy for the metastatic disease, from Procedures and medication
    resources alike."""
    received = f["systemic_therapy_received"]
    if received.is_no:
        # "none for the metastatic disease (only therapy for the primary)" when that is so.
        primary_only = f["perioperative_systemic_therapy"].known
        none = Fact.of(
            0, received.evidence, note=received.note if primary_only else "none recorded"
        )
    elif received.is_yes:
        none = Fact.unknown("systemic therapy is recorded without dates", received.evidence)
    else:
        none = Fact(state=received.state, reason=received.reason, evidence=received.evidence)
    degree = f["response_at_least_stable"].note
    return line_facts(lines, f["response_to_systemic_therapy"], rec.today, none, degree)


def _no_resection(prior_resections: Fact) -> Fact:
    """A fact about the (first or last) liver resection when none is dated: not applicable when
    none is recorded, unknown when the procedures were not supplied or the resection is undated."""
    if not prior_resections.known:
        return Fact.unknown(prior_resections.reason or "no procedures were supplied")
    if prior_resections.value == 0:
        return Fact.not_applicable("no liver resection recorded", prior_resections.evidence)
    return Fact.unknown("a liver resection is recorded without a date", prior_resections.evidence)


def _systemic_facts(
    rec: Record,
    vs: ValueSets,
    resections: list[Proc],
    prior_resections: Fact,
    primary_lines: list[Line],
    metastatic_lines: list[Line],
) -> dict[str, Fact]:
    """`primary_lines`: lines that ended before the first metastasis. They are not systemic
    therapy received for the metastatic disease (REVIEW5 M1), but they are adjuvant therapy
    after a first liver resection if they followed one (9.2). `metastatic_lines`: the other
    events grouped into lines on their own."""
    f: dict[str, Fact] = {}
    received = _systemic(rec, vs, ("done", "ongoing"))
    for_primary = {id(e) for ln in primary_lines for e in ln.events}
    dx_received = rec.dx_in(vs["systemic-therapy-condition"])
    ev = [x.evidence(x.label()) for x in received if id(x) not in for_primary]
    ev += [d.evidence(d.label()) for d in dx_received]
    primary_ev = [x for ln in primary_lines for x in ln.evidence()]
    f["systemic_therapy_received"] = (
        Fact.of(True, ev)
        if ev
        else _no_systemic(
            rec,
            "none for the metastatic disease (only therapy for the primary)"
            if primary_lines
            else "no systemic therapy recorded",
            primary_ev,
        )
    )
    ongoing = [
        x
        for x in received
        if x.status == "ongoing"
        or x.open_ended
        or (x.end is not None and x.end.latest >= rec.today and x.period)
    ]
    # The note is how the summary says a "no" (facts.yaml `said`): "Systemic therapy: none
    # recorded" when the record holds none at all, never "On systemic therapy: no".
    # A "yes" is said with its start (REVIEW6 m4): "On systemic therapy since 2025-12-01".
    # Since the start of the regimen it belongs to (REVIEW7 n1: docetaxel from day 8 of
    # gemcitabine + docetaxel is "since 2026-01-12", the date the treatment card shows).
    line_start = {id(e): ln.start for ln in metastatic_lines for e in ln.events}
    starts = sorted(
        (line_start.get(id(x), x.start) for x in ongoing if x.start),
        key=lambda d: d.earliest,
    )
    f["on_systemic_therapy"] = (
        Fact.of(
            True,
            [x.evidence(x.label()) for x in ongoing],
            note=f"since {starts[0].text}" if starts else None,
        )
        if ongoing
        else _no_systemic(
            rec, "none recorded as ongoing" if received or dx_received else "none recorded"
        )
    )
    planned = _systemic(rec, vs, ("planned",))
    f["systemic_therapy_planned"] = (
        Fact.of(
            True,
            [x.evidence(f"planned: {x.label()}") for x in planned],
            note="; ".join(_when(x, "from", therapy_label(x)) for x in planned),
        )
        if planned
        else _no_systemic(rec, "no planned systemic therapy recorded")
    )
    if not resections:
        f["adjuvant_after_first_liver_resection"] = _no_resection(prior_resections)
    else:
        first = resections[0].start
        assert first is not None
        after = [x for x in received if x.start and x.start.earliest > first.latest]
        straddle = [
            x for x in received if x.start and x not in after and x.start.latest > first.earliest
        ]
        if after:
            f["adjuvant_after_first_liver_resection"] = Fact.of(
                True, [x.evidence(x.label()) for x in after], note=f"after {first.text}"
            )
        elif straddle:
            f["adjuvant_after_first_liver_resection"] = Fact.indeterminate(
                "systemic therapy dates overlap the first liver resection date",
                [x.evidence(x.label()) for x in straddle],
            )
        else:
            f["adjuvant_after_first_liver_resection"] = Fact.of(
                False,
                [resections[0].evidence(resections[0].label())],
                note=f"no systemic therapy recorded after the first liver resection ({first.text})",
            )
    return f


def _recurrence(
    rec: Record,
    vs: ValueSets,
    p: ClinicalParameters,
    local: list[Proc],
    current_liver: list[Dx],
) -> dict[str, Fact]:
    f: dict[str, Fact] = {}
    dated_local = [x for x in local if x.start]
    if not local:
        f["liver_recurrence"] = _none(
            rec, "procedures", "no liver-directed local treatment recorded"
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
    out += [("systemic therapy", p) for p in _systemic(rec, vs, ("done", "ongoing"))]
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
