"""The one card shown instead of a 412 when required data could not be obtained
(`SARCOMA_CDS_PREFETCH_FAILURE=card`).

Many EHRs, the CDS Hooks sandbox among them, show a 412 as "no guidance", which for a patient with
liver metastases reads as an all-clear. This card says plainly that nothing was assessed and why.
"""

from __future__ import annotations

from sarcoma_cds.cards.builder import EXTENSION_KEY, TOPIC_SYSTEM
from sarcoma_cds.cards.identity import assign_uuids
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.fhir import gaps

TOPIC = "data-unavailable"
SOURCE_LABEL = "sarcoma-cds: STS liver metastases decision support"


def data_unavailable_card(
    key: str, reason: str, hook_instance: str | None, patient_id: str
) -> Card:
    """A warning card: the data under prefetch `key` could not be obtained because `reason`."""
    what = gaps.label(key).lower()
    detail = "\n".join(
        [
            f"- {gaps.unreadable(key, reason)}.",
            "- No sarcoma liver-metastasis guidance was assessed for this patient: this is "
            "**not** an all-clear.",
            f"- Ask the EHR team to send the patient's {what} with the call, or to grant this "
            "service read access to the FHIR server; then reopen the chart.",
        ]
    )
    card = Card.model_validate(
        {
            "summary": f"Sarcoma liver-metastasis guidance unavailable: {what} could not be read",
            "detail": detail,
            "indicator": "warning",
            "source": {
                "label": SOURCE_LABEL,
                "topic": {
                    "system": TOPIC_SYSTEM,
                    "code": TOPIC,
                    "display": "Data could not be read",
                },
            },
            "extension": {EXTENSION_KEY: {"topic": TOPIC, "unavailable": {key: reason}}},
        }
    )
    return assign_uuids([card], hook_instance, patient_id)[0]
