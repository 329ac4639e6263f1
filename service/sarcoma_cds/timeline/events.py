"""The dated events of one patient's story, read from the same `Record` and value sets as the
facts: the classification (primary, metastasis by organ, liver-directed treatment, systemic
therapy, imaging) is the clinical core's own, not a second reading of the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sarcoma_cds.clinical.imaging import STUDIES
from sarcoma_cds.clinical.lines import therapy_label
from sarcoma_cds.clinical.metastases import classify_metastases
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Dx, Obs, Proc
from sarcoma_cds.clinical.tumour import derive_tumour
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.values.dates import DateInterval

LaneKind = Literal["primary", "metastasis", "local", "systemic", "imaging"]
Status = Literal["active", "resolved", "done", "ongoing", "planned", "result"]

SITE_NAMES = {
    "lymph_node": "lymph node",
    "soft_tissue": "soft tissue",
    "retroperitoneum_or_peritoneum": "retroperitoneum or peritoneum",
    "possible_leptomeningeal": "possibly leptomeningeal",
    "other": "other site",
}
# Liver-directed value sets and the words a tumour board uses for them.
LOCAL_TREATMENTS = (
    ("liver-resection", "Liver resection"),
    ("liver-ablation", "Liver ablation"),
    ("liver-embolisation", "Liver embolisation"),
    ("liver-sbrt", "Liver SBRT"),
)
IMAGING_SETS = (*(i for ids in STUDIES.values() for i in ids), "imaging-ct-chest", "imaging-mri")


@dataclass(frozen=True)
class Event:
    lane: str  # "primary", "metastasis:liver", "local", "systemic", "imaging"
    label: str
    start: DateInterval | None  # None: undated (listed, not drawn)
    end: DateInterval | None  # bars only (systemic lines, treatment periods)
    status: Status
    ref: str  # "Condition/abc": the resource behind the event
    unconfirmed: bool = False

    @property
    def is_bar(self) -> bool:
        return self.end is not None and self.start is not None and self.end != self.start


def lane_title(lane: str) -> str:
    if lane.startswith("metastasis:"):
        site = lane.partition(":")[2]
        return f"Metastases: {SITE_NAMES.get(site, site)}"
    return {
        "primary": "Primary tumour",
        "local": "Local treatment",
        "systemic": "Systemic therapy",
        "imaging": "Imaging & assessments",
    }[lane]


def lane_order(lane: str) -> tuple[int, str]:
    kind = lane.partition(":")[0]
    rank = {"primary": 0, "metastasis": 1, "local": 2, "systemic": 3, "imaging": 4}[kind]
    # The liver first among metastatic sites: it is what the board is about.
    return rank, "" if lane == "metastasis:liver" else lane


def collect_events(rec: Record, vs: ValueSets) -> list[Event]:
    events = [_dx_event("primary", d, f"Primary: {d.label()}") for d in _primaries(rec, vs)]
    for m in classify_metastases(rec, vs):
        events.append(_dx_event(f"metastasis:{m.site or 'site unknown'}", m.dx, m.dx.label()))
    events += _local(rec, vs)
    events += _systemic(rec, vs)
    events += _imaging(rec, vs)
    return sorted(events, key=_sort_key)


def _sort_key(e: Event) -> tuple[int, str, str]:
    start = e.start.earliest.isoformat() if e.start else "9999"
    return (lane_order(e.lane)[0], start, e.label)


def _primaries(rec: Record, vs: ValueSets) -> list[Dx]:
    return derive_tumour(rec, vs).primaries


def _dx_event(lane: str, d: Dx, label: str) -> Event:
    abated = d.res.abatementDateTime
    resolved = not d.current
    if resolved and abated:
        label = f"{label} (resolved {abated})"
    elif resolved:
        label = f"{label} (resolved)"
    if d.unconfirmed:
        label = f"{label} (unconfirmed)"
    return Event(
        lane=lane,
        label=label,
        start=d.date,
        end=None,
        status="resolved" if resolved else "active",
        ref=d.ref,
        unconfirmed=d.unconfirmed,
    )


def _proc_event(lane: str, p: Proc, label: str) -> Event:
    status: Status = "done" if p.status == "done" else p.status  # type: ignore[assignment]
    if p.status == "planned":
        label = f"{label} (planned)"
    elif p.status == "ongoing":
        label = f"{label} (ongoing)"
    return Event(lane=lane, label=label, start=p.start, end=p.end, status=status, ref=p.ref)


_STATUSES = ("done", "ongoing", "planned")


def _local(rec: Record, vs: ValueSets) -> list[Event]:
    seen: set[str] = set()
    out: list[Event] = []

    def add(p: Proc, label: str) -> None:
        if p.ref not in seen:
            seen.add(p.ref)
            out.append(_proc_event("local", p, label))

    for p in rec.procs_in(vs["primary-resection"], _STATUSES):
        add(p, f"Resection of primary: {p.label()}")
    liver = vs["bodysite-liver"]
    for vs_id, words in LOCAL_TREATMENTS:
        for p in rec.procs_in(vs[vs_id], _STATUSES):
            if vs_id == "liver-sbrt" and not liver.matches_any(p.body_sites()):
                continue
            add(p, f"{words}: {p.label()}")
    for p in rec.procs_in(vs["radiotherapy-course"], _STATUSES):
        words = "Liver SBRT" if liver.matches_any(p.body_sites()) else "Radiotherapy"
        add(p, f"{words}: {p.label()}")
    return out


def _systemic(rec: Record, vs: ValueSets) -> list[Event]:
    given = sorted(
        rec.procs_in(vs["systemic-therapy"], _STATUSES),
        key=lambda p: (p.status == "planned", p.start.earliest.isoformat() if p.start else "9999"),
    )
    out: list[Event] = []
    line = 0
    for p in given:
        if p.status == "planned":
            out.append(_proc_event("systemic", p, f"Systemic therapy: {therapy_label(p)}"))
            continue
        line += 1
        # The cards' words: a chemotherapy Procedure names no agent (REVIEW4 m5).
        out.append(_proc_event("systemic", p, f"Line {line}: {therapy_label(p)}"))
    return out


def _imaging(rec: Record, vs: ValueSets) -> list[Event]:
    seen: set[str] = set()
    out: list[Event] = []
    for vs_id in IMAGING_SETS:
        for p in rec.procs_in(vs[vs_id], ("done",)):
            if p.ref not in seen:
                seen.add(p.ref)
                out.append(_proc_event("imaging", p, p.label()))
    for o in rec.obs_in(vs["lesion-count"]):
        out.append(_obs_event(o, f"{_obs_value(o)} lesion(s)"))
    for o in rec.obs_in(vs["disease-status"]):
        out.append(_obs_event(o, f"Disease status: {_obs_value(o)}"))
    for vs_id, words in (("ecog", "ECOG"), ("karnofsky", "Karnofsky")):
        for o in rec.obs_in(vs[vs_id]):
            out.append(_obs_event(o, f"{words} {_obs_value(o)}"))
    return out


def _obs_event(o: Obs, label: str) -> Event:
    return Event(lane="imaging", label=label, start=o.date, end=None, status="result", ref=o.ref)


def _obs_value(o: Obs) -> str:
    r = o.res
    if r.valueInteger is not None:
        return str(r.valueInteger)
    if r.valueQuantity is not None and r.valueQuantity.value is not None:
        return f"{r.valueQuantity.value:g}"
    if r.valueCodeableConcept is not None:
        return r.valueCodeableConcept.label()
    if r.valueString:
        return r.valueString
    return "no value"
