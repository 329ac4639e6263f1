"""The patient: performance status, ASA, surgical candidacy, liver reserve, other liver risks
(§1.5; 3.1, 7.1, 7.2, 10.1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Obs
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import whole_months_between
from sarcoma_cds.values.numerals import ROMAN, roman_numeral

_ECOG_TEXT = re.compile(r"(?i)\b(?:ecog|ps|grade)?\s*[:=]?\s*([0-5])\b")
_ASA_TEXT = re.compile(r"(?i)\bASA\s*(?:class\s*)?([IV]{1,3}|[1-6])\b")


def _number(o: Obs) -> float | None:
    if o.res.valueInteger is not None:
        return o.res.valueInteger
    q = o.res.valueQuantity
    return q.value if q else None


def _ecog(o: Obs, vs: ValueSets) -> int | None:
    r = o.res
    if r.valueInteger is not None and 0 <= r.valueInteger <= 5:
        return r.valueInteger
    if r.valueQuantity and r.valueQuantity.value is not None and 0 <= r.valueQuantity.value <= 5:
        return int(r.valueQuantity.value)
    if r.valueCodeableConcept:
        v = vs["ecog-answer"].value_of(r.valueCodeableConcept.coding)
        if v is not None:
            return int(v)
    if r.valueString and (m := _ECOG_TEXT.search(r.valueString)):
        return int(m[1])
    return None


def _asa(o: Obs, vs: ValueSets) -> int | None:
    r = o.res
    if r.valueCodeableConcept:
        v = vs["asa-answer"].value_of(r.valueCodeableConcept.coding)
        if v is not None:
            return int(v)
    text = r.valueString or (r.valueCodeableConcept.text if r.valueCodeableConcept else None)
    if text and (m := _ASA_TEXT.search(text)):
        g = m[1].upper()
        return ROMAN.get(g) or int(g)
    if r.valueInteger is not None and 1 <= r.valueInteger <= 6:
        return r.valueInteger
    return None


Hit = tuple[Obs, float] | None


def derive_patient(
    rec: Record, vs: ValueSets, p: ClinicalParameters, chemo: Fact
) -> dict[str, Fact]:
    ecog = _latest(rec.obs_in(vs["ecog"]), lambda o: _ecog(o, vs))
    kps = _latest(rec.obs_in(vs["karnofsky"]), _number)
    asa = _latest(rec.obs_in(vs["asa"]), lambda o: _asa(o, vs))
    f = _scores(rec, ecog, kps, asa)
    f["good_performance_status"] = _good_performance(ecog, kps, p)
    f["not_surgical_candidate"] = _not_surgical_candidate(rec, vs, ecog, kps, asa, p)
    f["performance_limited"] = _limited(ecog, kps, asa, p)
    f["age_years"] = _age(rec)
    f |= _liver_remnant(rec, vs, p, chemo)
    f |= _liver_history(rec, vs)
    return f


def _scores(rec: Record, ecog: Hit, kps: Hit, asa: Hit) -> dict[str, Fact]:
    f: dict[str, Fact] = {}
    for name, hit, what in (
        ("ecog", ecog, "ECOG"),
        ("karnofsky", kps, "Karnofsky"),
        ("asa_class", asa, "ASA"),
    ):
        if hit:
            o, v = hit
            f[name] = Fact.of(int(v), [o.evidence(f"{what} {v:g}")])
        else:
            f[name] = Fact.unknown(
                f"no {what} recorded"
                if rec.has("observations")
                else "no observations were supplied"
            )
    return f


def _good_performance(ecog: Hit, kps: Hit, p: ClinicalParameters) -> Fact:
    """ECOG first; Karnofsky only when no ECOG is recorded (9.1's "good performance status")."""
    if ecog:
        o, v = ecog
        good = p.good_ps_max_ecog
        return Fact.of(v <= good, [o.evidence(f"ECOG {v:g}")], note=f"ECOG {v:g} (good: 0–{good})")
    if kps:
        o, v = kps
        least = p.good_ps_min_karnofsky
        return Fact.of(
            v >= least, [o.evidence(f"Karnofsky {v:g}")], note=f"Karnofsky {v:g} (good: ≥ {least})"
        )
    return Fact.unknown("no ECOG or Karnofsky performance status recorded")


def _dated(o: Obs) -> str:
    return f" ({o.date.text})" if o.date else ""


def _not_surgical_candidate(
    rec: Record, vs: ValueSets, ecog: Hit, kps: Hit, asa: Hit, p: ClinicalParameters
) -> Fact:
    """An explicit finding, else ECOG or ASA at or above the limits (10.1)."""
    explicit = [d for d in rec.dx_in(vs["not-surgical-candidate"]) if d.current]
    # The note is the local-therapy card's opening, dated (REVIEW5 m6): "Recorded as not a
    # surgical candidate (2026-03-03)", "ECOG 3 (2026-04-02): not a surgical candidate" — the
    # score, not the threshold, beside its date (REVIEW6 m5).
    if explicit:
        dates = sorted({d.date.text for d in explicit if d.date})
        return Fact.of(
            True,
            [d.evidence("not a surgical candidate") for d in explicit],
            note="Recorded as not a surgical candidate" + (f" ({dates[-1]})" if dates else ""),
        )
    if ecog and ecog[1] >= p.ecog_poor_min:
        return Fact.of(
            True,
            [ecog[0].evidence(f"ECOG {ecog[1]:g}")],
            note=f"ECOG {ecog[1]:g}{_dated(ecog[0])}: not a surgical candidate",
        )
    if asa and asa[1] >= p.unfit_min_asa:
        return Fact.of(
            True,
            [asa[0].evidence(f"ASA {roman_numeral(asa[1])}")],
            note=f"ASA {roman_numeral(asa[1])}{_dated(asa[0])}: not a surgical candidate",
        )
    # Each score with its value: the summary says "No contraindication to surgery recorded
    # (ECOG 0, 2026-05-10)" — the absence of a finding, never "a surgical candidate" (6.2).
    recorded = [
        (hit[0], f"{what} {shown}")
        for hit, what, shown in (
            (ecog, "ECOG", f"{ecog[1]:g}" if ecog else ""),
            (asa, "ASA", roman_numeral(int(asa[1])) if asa else ""),
            (kps, "Karnofsky", f"{kps[1]:g}%" if kps else ""),
        )
        if hit
    ]
    if recorded:
        return Fact.of(
            False,
            [o.evidence(label) for o, label in recorded],
            note=f"no finding against surgery; ECOG < {p.ecog_poor_min} and "
            f"ASA < {roman_numeral(p.unfit_min_asa)} where recorded",
        )
    return Fact.unknown("no performance status, ASA class or candidacy finding recorded")


def _liver_remnant(
    rec: Record, vs: ValueSets, p: ClinicalParameters, chemo: Fact
) -> dict[str, Fact]:
    """The FLR estimate against §3.7's thresholds (7.1)."""
    flr = _latest(rec.obs_in(vs["future-liver-remnant"]), _number)
    if not flr:
        reason = "no future liver remnant (FLR) estimate recorded"
        return {
            "future_liver_remnant_percent": Fact.unknown(reason),
            "flr_below_threshold": Fact.unknown(reason),
            "flr_needs_liver_workup": Fact.unknown(reason),
        }
    o, v = flr
    ev = [o.evidence(f"FLR {v:g} %")]
    # Volumetry plans a hepatectomy on the liver as it is now: an old one is named as such
    # (the staging window of the lesion count, clinical-logic §1.4).
    old = o.date is not None and (rec.today - o.date.latest).days > p.staging_window_days
    when = o.date.text if o.date else "undated"
    if chemo.is_yes:
        workup = Fact.of(v < p.flr_workup_percent, ev, note=f"FLR {v:g} % after systemic therapy")
    elif chemo.is_no:
        workup = Fact.of(False, ev, note="no prior systemic therapy recorded")
    else:
        workup = Fact.unknown(chemo.reason or "prior systemic therapy unknown", ev)
    return {
        "future_liver_remnant_percent": Fact.of(
            float(v),
            ev,
            note=f"{when}, > {p.staging_window_days} days old: redo it" if old else when,
        ),
        "flr_below_threshold": Fact.of(
            v < p.flr_min_percent,
            ev,
            note=f"FLR {v:g} % (threshold {p.flr_min_percent:g} % for a normal liver)",
        ),
        "flr_needs_liver_workup": workup,
    }


def _liver_history(rec: Record, vs: ValueSets) -> dict[str, Fact]:
    """Other causes of a liver lesion (3.1): HCC risk factors, colorectal cancer."""
    f: dict[str, Fact] = {}
    for name, vs_id, what in (
        ("hcc_risk_factors", "hcc-risk-factor", "cirrhosis or chronic hepatitis B/C"),
        ("colorectal_cancer_history", "colorectal-cancer", "colorectal cancer"),
    ):
        hits = rec.dx_in(vs[vs_id])
        if hits:
            f[name] = Fact.of(
                True,
                [d.evidence(d.label()) for d in hits],
                note=", ".join(d.label() for d in hits),
                unconfirmed=all(d.unconfirmed for d in hits),
            )
        elif rec.has("conditions"):
            f[name] = Fact.of(False, note=f"no {what} recorded")
        else:
            f[name] = Fact.unknown("no conditions were supplied")
    return f


def _limited(ecog: Hit, kps: Hit, asa: Hit, p: ClinicalParameters) -> Fact:
    """ECOG 2, Karnofsky 50–60 or ASA III (the parameters' limited_*): not a contraindication,
    but the paper selects patients with good performance status (§1, 9.1)."""
    lo, hi = p.limited_min_karnofsky, p.limited_max_karnofsky
    asa_text = f"ASA {roman_numeral(p.limited_asa)}"
    limits: list[tuple[Obs, str]] = []
    if ecog and ecog[1] == p.limited_ecog:
        limits.append((ecog[0], f"ECOG {p.limited_ecog}"))
    if kps and lo <= kps[1] <= hi:
        limits.append((kps[0], f"Karnofsky {kps[1]:g}"))
    if asa and asa[1] == p.limited_asa:
        limits.append((asa[0], asa_text))
    if limits:
        return Fact.of(
            True, [o.evidence(t) for o, t in limits], note=", ".join(t for _, t in limits)
        )
    recorded = [h for h in (ecog, kps, asa) if h]
    if recorded:
        return Fact.of(
            False,
            [h[0].evidence("performance status") for h in recorded],
            note=f"no ECOG {p.limited_ecog}, Karnofsky {lo}–{hi} or {asa_text}",
        )
    return Fact.unknown("no ECOG, Karnofsky or ASA class recorded")


def _age(rec: Record) -> Fact:
    if rec.birth is None:
        return Fact.unknown("no birth date")
    lo = whole_months_between(rec.birth.latest, rec.today) // 12
    hi = whole_months_between(rec.birth.earliest, rec.today) // 12
    if lo != hi:
        return Fact.indeterminate(f"birth date given only as '{rec.birth.text}'")
    return Fact.of(lo, note=f"born {rec.birth.text}")


def _latest(obs: list[Obs], read: Callable[[Obs], float | None]) -> tuple[Obs, float] | None:
    """The most recent observation that has a readable value."""
    valued = [(o, v) for o in obs if (v := read(o)) is not None]
    if not valued:
        return None
    return max(valued, key=lambda ov: ov[0].date.latest if ov[0].date else date.min)
