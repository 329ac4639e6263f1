"""Whose a resource is: the request's patient's, another patient's, or a patient on another FHIR
server than the hook's (the same id there need not be this patient: issue 17, F13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit


def base_url(url: str | None) -> str | None:
    """A FHIR base URL compared as servers are: scheme and host case-insensitive, no trailing
    slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


@dataclass
class Whose:
    """Decides whose a subject reference is, and counts the resources that are not ours."""

    patient_id: str
    aliases: set[str]
    server: str | None  # the hook's fhirServer as `base_url`; None when the call gave none
    other_patient: int = 0
    other_server: int = 0

    def is_ours(self, ref: str | None) -> bool:
        kind = self._kind(ref)
        if kind == "other patient":
            self.other_patient += 1
        elif kind == "other server":
            self.other_server += 1
        return kind == "ours"

    def _kind(self, ref: str | None) -> Literal["ours", "other patient", "other server"]:
        if not _is_patients(ref, self.patient_id, self.aliases):
            return "other patient"
        if ref is None or ref in self.aliases or self.server is None:
            return "ours"
        if not ref.startswith(("http://", "https://")):
            return "ours"  # relative: on the server the resource came from
        # `<base>/Patient/<id>[/_history/<v>]`: the same id on another base is another patient.
        base = ref[: ref.rfind("/Patient/")] if "/Patient/" in ref else ref
        return "ours" if base_url(base) == self.server else "other server"


def _is_patients(ref: str | None, patient_id: str, aliases: set[str]) -> bool:
    """`Patient/123`, `https://ehr/fhir/Patient/123`, `Patient/123/_history/2`, or the
    Patient entry's fullUrl (`urn:uuid:...`)."""
    if ref is None:
        return True  # came from the patient-compartment search; FHIR makes subject optional
    if ref in aliases:
        return True
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] == patient_id
