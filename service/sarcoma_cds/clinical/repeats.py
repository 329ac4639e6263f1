"""Marks an encounter diagnosis that only repeats an earlier one (input profile: "Encounter
diagnoses repeat: take the earliest"): the same codes, dated by recordedDate only, while an
earlier current diagnosis with those codes exists. EHRs repeat the problem list at every visit;
a repeat is not a new episode.
"""

from __future__ import annotations

from datetime import date

import msgspec

from sarcoma_cds.clinical.resources import Dx
from sarcoma_cds.fhir.projection import CodeableConcept, Coding


def mark_repeats(dxs: list[Dx]) -> list[Dx]:
    """input-profile: "Encounter diagnoses repeat: take the earliest". Linear: one pass to find
    the earliest current diagnosis per code set, one to mark the later repeats. Only a current,
    dated diagnosis has its code set computed: no other takes part (issue 18)."""
    # A chart repeats the same few codings: each distinct tuple (Structs hash by value) is
    # normalised once per call.
    memo: dict[tuple[Coding, ...], frozenset[tuple[str, str]]] = {}
    keys: list[frozenset[tuple[str, str]] | None] = []
    for d in dxs:
        key = None
        if d.current and d.date:
            codes = d.codes
            key = memo.get(codes)
            if key is None:
                key = memo[codes] = d.code_key()
        keys.append(key)
    first_seen: dict[frozenset[tuple[str, str]], date] = {}
    for d, key in zip(dxs, keys, strict=True):
        if key and d.date and (key not in first_seen or d.date.latest < first_seen[key]):
            first_seen[key] = d.date.latest
    out: list[Dx] = []
    encounter: dict[tuple[CodeableConcept, ...], bool] = {}
    for d, key in zip(dxs, keys, strict=True):
        if (
            key is not None
            and d.date_source == "recorded"
            and d.date
            and (earliest := first_seen.get(key)) is not None
            and earliest < d.date.earliest
        ):
            category = d.res.category
            if (is_encounter := encounter.get(category)) is None:
                is_encounter = encounter[category] = d.encounter_diagnosis
            if is_encounter:
                d = msgspec.structs.replace(d, repeat=True)
        out.append(d)
    return out
