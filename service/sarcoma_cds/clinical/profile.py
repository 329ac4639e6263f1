"""The metastatic profile: every fact of clinical-logic §1, derived from one patient's record.

`derive_profile` is pure: resources, value sets, thresholds and "today" in; facts out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sarcoma_cds.clinical.burden import derive_burden
from sarcoma_cds.clinical.dictionary import FactDictionary, default_dictionary
from sarcoma_cds.clinical.european import lift
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.followup import derive_followup, suspend_when_active
from sarcoma_cds.clinical.honesty import condition_doubts
from sarcoma_cds.clinical.imaging import (
    derive_imaging,
    last_surveillance_ct,
    newest_ct,
    newest_imaging,
)
from sarcoma_cds.clinical.liver_directed import (
    LIVER_DIRECTED,
    last_local_kind,
    liver_directed,
)
from sarcoma_cds.clinical.metastases import classify_metastases
from sarcoma_cds.clinical.origin import derive_origin
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.patient import derive_patient
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.surgery import classify_resections
from sarcoma_cds.clinical.timing import derive_timing
from sarcoma_cds.clinical.treatment import derive_treatment, primary_in_place
from sarcoma_cds.clinical.tumour import derive_tumour
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import PatientRecord


@dataclass(frozen=True)
class MetastaticProfile:
    facts: dict[str, Fact]
    data_gaps: tuple[str, ...]
    unconfirmed: tuple[str, ...]  # unconfirmed diagnoses the profile rests on, named
    dictionary: FactDictionary = field(default_factory=default_dictionary)

    def __getitem__(self, name: str) -> Fact:
        return self.facts[name]

    def compact(self) -> dict[str, Any]:
        """The profile for the summary card's extension: no nulls; unknown numbers and dates
        omitted, unknown categories and booleans "unknown" / "indeterminate"."""
        out: dict[str, Any] = {}
        for name, definition in self.dictionary.items():
            kind, fact = definition.kind, self.facts[name]
            if fact.state is not State.KNOWN:
                if kind in ("bool", "category"):
                    out[name] = fact.state.value
                continue
            v = fact.value
            if kind == "bool":
                out[name] = "yes" if v else "no"
            elif kind == "list":
                if v:
                    out[name] = list(v) if isinstance(v, tuple) else v
            else:
                out[name] = v
        if self.data_gaps:
            out["data_gaps"] = list(self.data_gaps)
        if self.unconfirmed:
            out["unconfirmed"] = list(self.unconfirmed)
        return out

    def detailed(self) -> dict[str, Any]:
        """Every fact with its state, evidence and reason (the `facts` CLI)."""
        out: dict[str, Any] = {name: self.facts[name].as_json() for name in self.dictionary}
        if self.data_gaps:
            out["data_gaps"] = list(self.data_gaps)
        if self.unconfirmed:
            out["unconfirmed"] = list(self.unconfirmed)
        return out


def derive_profile(
    patient: PatientRecord,
    vs: ValueSets,
    params: ClinicalParameters,
    today: date,
    dictionary: FactDictionary | None = None,
) -> MetastaticProfile:
    """The facts of `dictionary` (default: the one shipped with the code) for one patient."""
    facts = dictionary if dictionary is not None else default_dictionary()
    rec = Record(lift(patient, vs), today, vs)
    # Each computed once per request and shared (the tumour and burden facts both need them).
    doubts = condition_doubts(rec)
    classified = classify_metastases(rec, vs)
    tumour = derive_tumour(rec, vs, doubts)
    liver_dx = [m.dx for m in classified if m.site == "liver"]
    classify_resections(rec, vs, tumour.primaries, liver_dx)
    local = [p for p in liver_directed(rec, vs) if p.end or p.start]
    last_local = max(local, key=_done_latest, default=None)
    burden = derive_burden(rec, vs, params, last_local, classified, doubts)
    f: dict[str, Fact] = {"sts": tumour.sts, "gist": tumour.gist}
    f.update(burden.facts)
    mets = [m.dx for m in burden.metastases]
    liver = [m.dx for m in burden.metastases if m.site == "liver"]
    f.update(derive_timing(tumour.primaries, mets, liver, params, burden.staged, doubts.further))
    f["histology"] = tumour.histology
    f["primary_site_retroperitoneal"] = tumour.retroperitoneal
    f["intra_abdominal_primary"] = tumour.intra_abdominal
    current_liver = [d for d in liver if d.current]
    f.update(
        derive_treatment(
            rec, vs, params, current_liver, tumour.intra_abdominal, f["first_metastasis_date"]
        )
    )
    f["primary_in_place"] = primary_in_place(f["timing"], f["primary_resected"])
    f["last_local_treatment"] = last_local_kind(rec, vs, last_local)
    # The liver bears any chemotherapy, also what treated the primary (§3.7 "after extensive
    # chemotherapy"): for the FLR, therapy given before the first metastasis counts too.
    before = f["perioperative_systemic_therapy"]
    chemo = Fact.of(True, before.evidence) if before.known else f["systemic_therapy_received"]
    f.update(derive_patient(rec, vs, params, chemo))
    f.update(derive_origin(rec, vs, params, tumour.primaries, mets, current_liver, f, last_local))
    f.update(derive_imaging(rec, vs, params))
    f.update(
        derive_followup(
            f["last_liver_metastasectomy_date"],
            last_surveillance_ct(rec, vs),
            today,
            params,
            newest_ct(rec, vs),
            newest_imaging(rec, vs),
        )
    )
    f["followup_next_due"] = suspend_when_active(
        f["followup_next_due"], f["liver_metastasis_current"], f["new_extrahepatic_disease"]
    )
    check_against_dictionary(f, facts)
    # An unconfirmed current liver metastasis is named, with its date, in the summary's own
    # bullet (liver_metastasis_confirmed): not again here (REVIEW5 m7).
    named = {id(d) for d in current_liver} if f["liver_metastasis_confirmed"].is_no else set()
    unconfirmed = tuple(
        sorted(
            {
                f"{d.label()} ({d.ref})"
                for d in tumour.primaries + mets
                if d.unconfirmed and id(d) not in named
            }
        )
    )
    return MetastaticProfile(
        facts=f, data_gaps=tuple(rec.gaps), unconfirmed=unconfirmed, dictionary=facts
    )


def check_against_dictionary(f: dict[str, Fact], dictionary: FactDictionary) -> None:
    """Exactly the dictionary's facts, and every category value one it allows: a programming
    error otherwise, caught by every test (and at start-up, see `pipeline.Engine.load`)."""
    if len(f) != len(dictionary) or not all(name in f for name in dictionary):
        missing = set(dictionary) - set(f)
        extra = set(f) - set(dictionary)
        raise RuntimeError(f"profile facts out of sync: missing {missing}, extra {extra}")
    for name, allowed in dictionary.categories.items():
        fact = f[name]
        if fact.known and fact.value not in allowed:
            raise RuntimeError(f"fact {name!r} derived {fact.value!r}, not in the fact dictionary")


def _done_latest(p: Proc) -> date:
    done = p.end or p.start
    return done.latest if done else date.min


def required_valuesets() -> list[str]:
    """Every value-set id the core reads; checked at start-up so a missing file fails early."""
    from sarcoma_cds.clinical import imaging, metastases, origin, tumour

    ids = {
        "primary-sts", "primary-rps", "intra-abdominal-primary", "malignant-primary",
        "metastatic-sarcoma", "sts-history", "gist", "sts-morphology", "histology-observation",
        "metastasis-retroperitoneum-or-peritoneum", "metastasis-possible-leptomeningeal",
        "metastasis-other", "metastasis-generic", "lesion-count", "tumor-size",
        "tumor-longest-dimension", "bilobar", "central-location", "vascular-involvement",
        "liver-resection", "primary-resection", "systemic-therapy", "systemic-therapy-condition",
        "radiotherapy-course", "bodysite-liver", "disease-status", "response-improved",
        "response-partial", "response-complete", "response-stable", "response-progressed",
        "ecog", "ecog-answer", "karnofsky", "asa",
        "asa-answer", "not-surgical-candidate", "future-liver-remnant", "hcc-risk-factor",
        "colorectal-cancer", "imaging-mri", "imaging-ct-chest", "imaging-ct-abdomen",
        "systemic-agent", "antineoplastic-any", "neoplasm-any", "tnm-distant-metastasis",
        "tnm-m1", "tnm-stage-group", "stage-iv", "history-metastatic-cancer",
        "history-metastatic-liver", "excision-generic", "bodysite-lymph-node",
        "idea4rc-sarcoma-diagnosis",
    }  # fmt: skip
    ids |= {f"histology-{h.replace('_', '-')}" for h in tumour.HISTOLOGIES}
    ids |= {i for i, _ in metastases.SITE_BY_CODE}
    ids |= {i for i, _ in metastases.SITE_BY_BODYSITE}
    ids |= set(LIVER_DIRECTED) | set(origin.SARCOMA_SETS)
    ids |= set(origin.LIVER_SPECIMEN_PROCEDURES)
    ids |= {i for study in imaging.STUDIES.values() for i in study}
    return sorted(ids)
