"""FHIR R4 ServiceRequests for suggestions: the MDT referral, the biopsy, each imaging study.

The templates come from the rule files; they are validated with fhir.resources once at start-up
(`validate_orders`), and each built request is the same validated shape with the subject set.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from sarcoma_cds.rules.schema import Order, RuleFile


class OrderTemplateError(ValueError):
    pass


def service_request(order: Order, patient_id: str) -> dict[str, Any]:
    code = order.code
    sr: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {
            "coding": [{"system": code.system, "code": code.code, "display": code.display}],
            "text": code.display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if order.category:
        c = order.category
        sr["category"] = [{"coding": [{"system": c.system, "code": c.code, "display": c.display}]}]
    if order.reason:
        sr["reasonCode"] = [{"text": order.reason}]
    if order.note:
        sr["note"] = [{"text": order.note}]
    return sr


def validate_orders(rules: tuple[RuleFile, ...]) -> None:
    """Every order template must make a valid R4 ServiceRequest (checked with fhir.resources)."""
    for rule in rules:
        for s in rule.suggestions:
            for i, order in enumerate(s.orders):
                try:
                    ServiceRequest.model_validate(service_request(order, "example"))
                except Exception as exc:  # fhir.resources raises pydantic errors
                    raise OrderTemplateError(
                        f"rule {rule.id}: suggestion {s.id} order {i}: not a valid ServiceRequest:"
                        f" {exc}"
                    ) from exc
