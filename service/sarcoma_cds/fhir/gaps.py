"""How a data gap reads on the summary card: in a clinician's words, once per kind of data.

"Observations could not be read from the EHR (no access token)", not the prefetch key and the
protocol field that was missing.
"""

from __future__ import annotations

import re

_LABELS = {"patient": "Patient details"}


def label(key: str) -> str:
    """`observations` -> `Observations`; `medicationRequests` -> `Medication requests`."""
    if key in _LABELS:
        return _LABELS[key]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).lower()
    return words[:1].upper() + words[1:]


def unreadable(key: str, reason: str) -> str:
    return f"{label(key)} could not be read from the EHR ({reason})"


def not_sent(key: str) -> str:
    return f"{label(key)} were not sent by the EHR"


def conflicting(names: list[str], count: int) -> str:
    shown = ", ".join(names) + (" …" if count > len(names) else "")
    return (
        f"{count} resource(s) sent twice with different content ({shown}); the first copy "
        "was used — check which version the EHR holds"
    )


def other_server(count: int) -> str:
    return (
        f"{count} resource(s) naming a patient on another FHIR server than the EHR's ignored "
        "(the same id there need not be this patient)"
    )
