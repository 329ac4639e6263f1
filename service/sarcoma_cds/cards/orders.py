"""FHIR R4 ServiceRequests for suggestions: the MDT referral, the biopsy, each imaging study.

The templates come from the rule files; they are validated with fhir.resources once at start-up
(`validate_orders`), and each built request is the same validated shape with the subject set.

The check runs in a short-lived child process (`python -m sarcoma_cds.cards.orders`): importing
fhir.resources' R4B models costs every worker ~8 MB for its whole life, for a check that runs once
(issue 18). Where no child can run, the check runs in-process: never skipped.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from typing import Any

import orjson

from sarcoma_cds.rules.schema import Order, RuleFile

_CHILD_TIMEOUT_SECONDS = 60


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
    """Every order template must make a valid R4 ServiceRequest (checked with fhir.resources).
    Raises OrderTemplateError naming the rule, suggestion and order of the first invalid one."""
    named = [
        (f"rule {rule.id}: suggestion {s.id} order {i}", service_request(order, "example"))
        for rule in rules
        for s in rule.suggestions
        for i, order in enumerate(s.orders)
    ]
    problems = _problems_of(orjson.dumps(named))
    if problems:
        raise OrderTemplateError(problems[0])


@functools.lru_cache(maxsize=8)  # the same rule files loaded again (tests, reloads): one check
def _problems_of(payload: bytes) -> tuple[str, ...]:
    try:
        child = subprocess.run(  # noqa: S603 - this interpreter, our module, no shell
            [sys.executable, "-m", __name__],
            input=payload,
            capture_output=True,
            timeout=_CHILD_TIMEOUT_SECONDS,
            check=True,
        )
        answer = orjson.loads(child.stdout)
    except (OSError, subprocess.SubprocessError, orjson.JSONDecodeError):
        return problems(payload)  # no child here: the same check, in this process
    if not isinstance(answer, list) or not all(isinstance(p, str) for p in answer):
        return problems(payload)
    return tuple(answer)


def problems(payload: bytes) -> tuple[str, ...]:
    """`payload`: JSON [[where, ServiceRequest], ...]; "where: not a valid ServiceRequest: why"
    for each request fhir.resources rejects."""
    from fhir.resources.R4B.servicerequest import ServiceRequest

    found = []
    for where, resource in orjson.loads(payload):
        try:
            ServiceRequest.model_validate(resource)
        except Exception as exc:  # fhir.resources raises pydantic errors
            found.append(f"{where}: not a valid ServiceRequest: {exc}")
    return tuple(found)


if __name__ == "__main__":  # the child: JSON in on stdin, the problems as JSON out on stdout
    sys.stdout.buffer.write(orjson.dumps(problems(sys.stdin.buffer.read())))
