"""The discovery document (GET /cds-services): what this service offers and what to prefetch."""

from __future__ import annotations

from typing import Any

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.cds_hooks.request import PATIENT_VIEW
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES

SERVICE_DESCRIPTION: dict[str, Any] = {
    "hook": PATIENT_VIEW,
    "id": SERVICE_ID,
    "title": "Soft tissue sarcoma liver metastases (Ibero-American consensus 2025)",
    "description": (
        "For adults with soft tissue sarcoma and liver metastases, summarises the timing and "
        "burden of metastatic disease and shows the matching recommendations of the 2025 "
        "Ibero-American consensus (doi:10.3390/cancers17081295) to support the multidisciplinary "
        "tumour board. It supports clinical judgement and never decides."
    ),
    "usageRequirements": (
        "Needs the patient's Conditions (primary sarcoma and metastases with dates), "
        "Observations and Procedures, through prefetch or FHIR server access. GIST is out of "
        "scope. Not validated for clinical use; each site validates its own value sets."
    ),
    # No status filters on purpose: resolved metastases and past procedures date the history.
    "prefetch": dict(PREFETCH_TEMPLATES),
}


def discovery_document() -> dict[str, Any]:
    return {"services": [SERVICE_DESCRIPTION]}
