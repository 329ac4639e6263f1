"""The prefetch templates this service advertises in discovery, and how to render them.

The same templates drive the fallback fetch: CDS Hooks 2.0 requires fetched data to be equivalent
to what the client would have prefetched with the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import quote

PREFETCH_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
        "observations": "Observation?patient={{context.patientId}}",
        "procedures": "Procedure?patient={{context.patientId}}",
        # Systemic therapy as the EHR orders, gives and lists it (input-profile "Medications").
        "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
        "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
        "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
        # Imaging and pathology reports (the origin of a liver lesion, restaging dates).
        "diagnosticReports": "DiagnosticReport?patient={{context.patientId}}",
    }
)
# Without conditions nothing can be derived; the other keys only refine the answer.
REQUIRED_KEYS: frozenset[str] = frozenset({"conditions"})

_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
# Characters that would change the shape of the query rather than fill a value into it.
_FORBIDDEN_IN_VALUE = frozenset("/?&#")


class InvalidContextError(ValueError):
    """A hook context value cannot be placed into a prefetch template (the request is bad: 400)."""


def resource_type_of(template: str) -> str:
    """`Condition?patient=...` -> `Condition`; `Patient/{{...}}` -> `Patient`."""
    return re.split(r"[/?]", template, maxsplit=1)[0]


def is_search(template: str) -> bool:
    return "?" in template


def render_template(template: str, context: Mapping[str, str]) -> str:
    """Fill `{{context.x}}` tokens with URL-encoded context values; the result is relative to
    the FHIR base. Raise InvalidContextError for a missing or unsafe value."""

    def substitute(match: re.Match[str]) -> str:
        field = match.group(1)
        value = context.get(field)
        if not isinstance(value, str) or not value:
            raise InvalidContextError(f"context.{field} is required and must be a non-empty string")
        if any(ch in _FORBIDDEN_IN_VALUE for ch in value) or value in {".", ".."}:
            raise InvalidContextError(
                f"context.{field} must be a plain FHIR id: "
                "no '/', '?', '&' or '#', and not '.' or '..'"
            )
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise InvalidContextError(f"context.{field} contains control characters")
        return quote(value, safe="")

    return _TOKEN.sub(substitute, template)
