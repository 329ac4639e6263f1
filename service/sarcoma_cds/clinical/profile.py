"""The metastatic profile: every fact of clinical-logic §1, derived from one patient's record.

`derive_profile` is pure: resources, value sets, thresholds and "today" in; facts out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sarcoma_cds.clinical.burden import classify_metastases, derive_burden
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.followup import derive_followup
from sarcoma_cds.clinical.imaging import derive_imaging, last_surveillance_ct
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.patient import derive_patient
from sarcoma_cds.clinical.record import Proc, Record
from sarcoma_cds.clinical.surgery import classify_resections
from sarcoma_cds.clinical.timing import derive_timing
from sarcoma_cds.clinical.treatment import derive_treatment, liver_directed
from sarcoma_cds.clinical.tumour import derive_tumour
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import PatientRecord

Kind = Literal["bool", "int", "float", "category", "date", "list", "text"]

# Every fact, in display order, with its kind (rules are checked against this at start-up).
FACT_KINDS: dict[str, Kind] = {
    # scope
    "sts": "bool",
    "gist": "bool",
    "metastatic": "bool",
    "liver_metastasis_ever": "bool",
    "liver_metastasis_current": "bool",
    "liver_metastasis_confirmed": "bool",
    # timing (2.1, 2.2, 3.1, 8.x, 9.1)
    "primary_diagnosis_date": "date",
    "first_metastasis_date": "date",
    "first_liver_metastasis_date": "date",
    "dfi_months": "int",
    "timing": "category",
    "long_dfi": "bool",
    "liver_recurrence": "bool",
    "tfi_months": "int",
    "tfi_favourable": "bool",
    # burden (1.1, 1.2, 4.2, 5.x)
    "metastatic_sites": "list",
    "site_count": "int",
    "diffuse_involvement": "bool",
    "lesion_count": "int",
    "oligometastatic": "bool",
    "liver_only": "bool",
    "liver_and_lung_only": "bool",
    "largest_liver_lesion_mm": "float",
    "subcentimetre_lesion": "bool",
    "large_lesion": "bool",
    "bilobar": "bool",
    "central_location": "bool",
    "vascular_involvement": "bool",
    # tumour
    "histology": "category",
    "primary_site_retroperitoneal": "bool",
    "intra_abdominal_primary": "bool",
    # treatment
    "primary_resected": "bool",
    "prior_liver_resections": "int",
    "prior_abdominal_surgeries": "int",
    "systemic_therapy_received": "bool",
    "on_systemic_therapy": "bool",
    "systemic_therapy_planned": "bool",
    "adjuvant_after_first_liver_resection": "bool",
    "response_to_systemic_therapy": "category",
    "response_at_least_stable": "bool",
    # patient (7.1, 7.2, 10.1, 3.1)
    "ecog": "int",
    "karnofsky": "int",
    "asa_class": "int",
    "good_performance_status": "bool",
    "not_surgical_candidate": "bool",
    "future_liver_remnant_percent": "float",
    "flr_below_threshold": "bool",
    "flr_needs_liver_workup": "bool",
    "hcc_risk_factors": "bool",
    "colorectal_cancer_history": "bool",
    # follow-up (13.1)
    "last_liver_metastasectomy_date": "date",
    "last_surveillance_ct_date": "date",
    "months_since_liver_metastasectomy": "int",
    "followup_interval": "text",
    "followup_next_due": "date",
    "followup_overdue": "bool",
    # imaging already done (4.x)
    "recent_ct_abdomen": "bool",
    "recent_liver_mri": "bool",
    "recent_pet_ct": "bool",
    "recent_brain_mri": "bool",
    "recent_spine_mri": "bool",
}


@dataclass(frozen=True)
class MetastaticProfile:
    facts: dict[str, Fact]
    data_gaps: tuple[str, ...]
    unconfirmed: tuple[str, ...]  # unconfirmed diagnoses the profile rests on, named

    def __getitem__(self, name: str) -> Fact:
        return self.facts[name]

    def compact(self) -> dict[str, Any]:
        """The profile for the summary card's extension: no nulls; unknown numbers and dates
        omitted, unknown categories and booleans "unknown" / "indeterminate"."""
        out: dict[str, Any] = {}
        for name, kind in FACT_KINDS.items():
            fact = self.facts[name]
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
        out: dict[str, Any] = {name: self.facts[name].as_json() for name in FACT_KINDS}
        if self.data_gaps:
            out["data_gaps"] = list(self.data_gaps)
        if self.unconfirmed:
            out["unconfirmed"] = list(self.unconfirmed)
        return out


def derive_profile(
    patient: PatientRecord, vs: ValueSets, params: ClinicalParameters, today: date
) -> MetastaticProfile:
    rec = Record(patient, today, vs)
    tumour = derive_tumour(rec, vs)
    liver_dx = [m.dx for m in classify_metastases(rec, vs) if m.site == "liver"]
    classify_resections(rec, vs, tumour.primaries, liver_dx)
    local = [p for p in liver_directed(rec, vs) if p.end or p.start]
    last_local = max(local, key=_done_latest, default=None)
    burden = derive_burden(rec, vs, params, last_local)
    f: dict[str, Fact] = {"sts": tumour.sts, "gist": tumour.gist}
    f.update(burden.facts)
    mets = [m.dx for m in burden.metastases]
    liver = [m.dx for m in burden.metastases if m.site == "liver"]
    f.update(derive_timing(tumour.primaries, mets, liver, params))
    f["histology"] = tumour.histology
    f["primary_site_retroperitoneal"] = tumour.retroperitoneal
    f["intra_abdominal_primary"] = tumour.intra_abdominal
    current_liver = [d for d in liver if d.current]
    f.update(derive_treatment(rec, vs, params, current_liver, tumour.intra_abdominal))
    f.update(derive_patient(rec, vs, params, f["systemic_therapy_received"]))
    f.update(derive_imaging(rec, vs, params))
    f.update(
        derive_followup(f["last_liver_metastasectomy_date"], last_surveillance_ct(rec, vs), today)
    )
    missing = set(FACT_KINDS) - set(f)
    extra = set(f) - set(FACT_KINDS)
    if missing or extra:  # a programming error, caught by every test
        raise RuntimeError(f"profile facts out of sync: missing {missing}, extra {extra}")
    unconfirmed = tuple(
        sorted({f"{d.label()} ({d.ref})" for d in tumour.primaries + mets if d.unconfirmed})
    )
    return MetastaticProfile(facts=f, data_gaps=tuple(rec.gaps), unconfirmed=unconfirmed)


def _done_latest(p: Proc) -> date:
    done = p.end or p.start
    return done.latest if done else date.min


def required_valuesets() -> list[str]:
    """Every value-set id the core reads; checked at start-up so a missing file fails early."""
    from sarcoma_cds.clinical import burden, imaging, treatment, tumour

    ids = {
        "primary-sts", "primary-rps", "intra-abdominal-primary", "malignant-primary",
        "metastatic-sarcoma", "sts-history", "gist", "sts-morphology", "histology-observation",
        "metastasis-retroperitoneum-or-peritoneum", "metastasis-possible-leptomeningeal",
        "metastasis-other", "metastasis-generic", "lesion-count", "tumor-size",
        "tumor-longest-dimension", "bilobar", "central-location", "vascular-involvement",
        "liver-resection", "primary-resection", "systemic-therapy", "systemic-therapy-condition",
        "radiotherapy-course", "bodysite-liver", "disease-status", "response-improved",
        "response-stable", "response-progressed", "ecog", "ecog-answer", "karnofsky", "asa",
        "asa-answer", "not-surgical-candidate", "future-liver-remnant", "hcc-risk-factor",
        "colorectal-cancer", "imaging-mri", "imaging-ct-chest", "imaging-ct-abdomen",
        "systemic-agent", "antineoplastic-any", "neoplasm-any", "tnm-distant-metastasis",
        "tnm-m1", "tnm-stage-group", "stage-iv", "history-metastatic-cancer",
        "history-metastatic-liver", "excision-generic", "bodysite-lymph-node",
    }  # fmt: skip
    ids |= {f"histology-{h.replace('_', '-')}" for h in tumour.HISTOLOGIES}
    ids |= {i for i, _ in burden.SITE_BY_CODE} | {i for i, _ in burden.SITE_BY_BODYSITE}
    ids |= set(treatment.LIVER_DIRECTED)
    ids |= {i for study in imaging.STUDIES.values() for i in study}
    return sorted(ids)
