"""Imaging already done: the staging card suggests only studies not done recently (4.1–4.3, §3.4),
and follow-up reads the last surveillance CT (13.1)."""

from __future__ import annotations

from datetime import date, timedelta

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.valuesets import ValueSets

# fact suffix → value sets whose procedures count as that study
STUDIES: dict[str, tuple[str, ...]] = {
    "ct_chest": ("imaging-ct-chest",),
    "ct_abdomen": ("imaging-ct-abdomen",),
    "liver_mri": ("imaging-liver-mri",),
    "pet_ct": ("imaging-pet-ct",),
    "brain_mri": ("imaging-brain-mri",),
    "spine_mri": ("imaging-spine-mri",),
}


def studies(rec: Record, vs: ValueSets, study: str) -> list[Proc]:
    out = [p for vs_id in STUDIES[study] for p in rec.procs_in(vs[vs_id])]
    if study == "liver_mri":  # a generic MRI with bodySite liver is a liver MRI
        out += [
            p
            for p in rec.procs_in(vs["imaging-mri"])
            if vs["bodysite-liver"].matches_any(p.body_sites())
        ]
    return [p for p in out if p.start]


def derive_imaging(rec: Record, vs: ValueSets, p: ClinicalParameters) -> dict[str, Fact]:
    f: dict[str, Fact] = {}
    horizon = rec.today - timedelta(days=p.imaging_recent_days)
    for study in STUDIES:
        done = studies(rec, vs, study)
        if not done:
            f[f"recent_{study}"] = (
                Fact.of(False, note="none recorded")
                if rec.has("procedures")
                else Fact.unknown("no procedures were supplied")
            )
            continue
        last = max(done, key=lambda x: x.start.latest if x.start else date.min)
        assert last.start is not None
        ev = [last.evidence(last.label())]
        if last.start.earliest >= horizon:
            f[f"recent_{study}"] = Fact.of(True, ev, note=f"{last.label()} on {last.start.text}")
        elif last.start.latest < horizon:
            f[f"recent_{study}"] = Fact.of(
                False, ev, note=f"last {last.label()} on {last.start.text}"
            )
        else:
            f[f"recent_{study}"] = Fact.indeterminate(
                f"last {last.label()} dated only '{last.start.text}'", ev
            )
    return f


# 13.1 images chest and abdomen at every surveillance visit.
SURVEILLANCE_REGIONS = ("imaging-ct-chest", "imaging-ct-abdomen")


def _latest_ct(rec: Record, vs: ValueSets, vs_id: str) -> Proc | None:
    dated = [x for x in rec.procs_in(vs[vs_id]) if x.start]
    return max(dated, key=lambda x: x.start.latest if x.start else date.min) if dated else None


def last_surveillance_ct(rec: Record, vs: ValueSets) -> Proc | None:
    """The CT that completed the latest surveillance round: a round images chest and abdomen
    (13.1), so it is complete at the older of the latest chest CT and the latest abdomen CT.
    None while either region has never been imaged: an abdominal CT alone never moves the
    chest's due date."""
    latest = [_latest_ct(rec, vs, vs_id) for vs_id in SURVEILLANCE_REGIONS]
    if any(ct is None for ct in latest):
        return None
    done = [ct for ct in latest if ct is not None]
    return min(done, key=lambda x: x.start.latest if x.start else date.min)


def newest_ct(rec: Record, vs: ValueSets) -> Proc | None:
    """The newest CT of either region, named when a round is incomplete."""
    latest = [ct for vs_id in SURVEILLANCE_REGIONS if (ct := _latest_ct(rec, vs, vs_id))]
    return max(latest, key=lambda x: x.start.latest if x.start else date.min) if latest else None


def newest_imaging(rec: Record, vs: ValueSets) -> Proc | None:
    """The newest dated CT, MRI or PET/CT of any region: whether any imaging at all was done
    since an operation (13.1 follow-up)."""
    seen = [p for study in STUDIES for p in studies(rec, vs, study)]
    seen += [p for p in rec.procs_in(vs["imaging-mri"]) if p.start]
    return max(seen, key=lambda x: x.start.latest if x.start else date.min, default=None)
