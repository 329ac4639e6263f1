"""Metastatic disease recorded without a metastasis Condition (clinical-logic 1.4): a TNM
distant-metastasis category M1 (cM1/pM1, AJCC or SNOMED), a stage group IV, or an mCODE
HistoryOfMetastaticCancer Observation. They make `metastatic` yes (and, for a liver history,
`liver_metastasis_ever` yes) but name no site."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Obs
from sarcoma_cds.clinical.valuesets import ValueSets


@dataclass(frozen=True)
class StagedMetastasis:
    metastatic: list[tuple[Obs, str]]  # (observation, what it says)
    liver: list[tuple[Obs, str]]


# "American Joint Committee on Cancer cM1 (qualifier value)" reads "cM1" on a card.
_M_CATEGORY = re.compile(r"\b([cpy]?M1[a-d]?)\b")


def _tnm(label: str) -> str:
    m = _M_CATEGORY.search(label)
    return m[1] if m else f"TNM {label}"


def _value_in(o: Obs, vs: ValueSets, vs_id: str) -> bool:
    cc = o.res.valueCodeableConcept
    return cc is not None and vs[vs_id].matches_any(cc.coding)


def staged_metastasis(rec: Record, vs: ValueSets) -> StagedMetastasis:
    metastatic: list[tuple[Obs, str]] = []
    liver: list[tuple[Obs, str]] = []
    for o in rec.obs_in(vs["tnm-distant-metastasis"]):
        if _value_in(o, vs, "tnm-m1"):
            metastatic.append((o, _tnm(o.res.valueCodeableConcept.label())))  # type: ignore[union-attr]
    for o in rec.obs_in(vs["tnm-stage-group"]):
        if _value_in(o, vs, "stage-iv"):
            metastatic.append((o, f"stage group {o.res.valueCodeableConcept.label()}"))  # type: ignore[union-attr]
    for o in rec.obs_in(vs["history-metastatic-cancer"]):
        # The mCODE profile: valueBoolean false reverses the meaning; absent means present.
        if o.res.valueBoolean is False:
            continue
        label = o.res.code.label() if o.res.code else "history of metastatic cancer"
        metastatic.append((o, label))
        if o in rec.obs_in(vs["history-metastatic-liver"]):
            liver.append((o, label))
    return StagedMetastasis(metastatic, liver)
