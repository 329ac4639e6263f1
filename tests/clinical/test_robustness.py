"""Robustness: arbitrary FHIR-like JSON through `collect` + `derive_profile`.

Wrong types, nulls, invalid dates, random nesting and unknown resource types must never raise;
every broken element is named in the data gaps (the rest of its resource is used), a resource
that cannot be recognised at all is named as skipped, and every fact stays explained.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    ICD10CM,
    ICDO3,
    LIVER_SITE,
    LOCAL,
    LOINC,
    PID,
    SNOMED,
    cm,
    condition,
    liver_met,
    lms_primary,
    observation,
    procedure,
    sct,
)

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.params import default_parameters
from sarcoma_cds.clinical.profile import derive_profile
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import collect
from sarcoma_cds.fhir.projection import USED_TYPES, UnreadableResource, project

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
dates = st.one_of(
    st.sampled_from(["2023", "2023-05", "2024-02-30", "2023-13", "yesterday", "", "0001-01-01"]),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.dates().map(lambda d: f"{d.year:04d}"),
    scalars,
)
codes = st.sampled_from(
    [
        (ICD10CM, "C78.7"), (ICD10CM, "C49.4"), (ICD10CM, "C78.6"), (ICD10CM, "C79.9"),
        (ICD10CM, "C49.A2"), (SNOMED, "94381002.0"), (SNOMED, "107963000"),
        (SNOMED, "367336001"), (LOINC, "21889-1"), (LOINC, "89247-1"), (LOINC, "97509-4"),
        (LOCAL, "lesion-count"), (ICDO3, "8890/3"), ("urn:x", "?"),
    ]
)  # fmt: skip
concepts = st.one_of(
    codes.map(lambda c: {"coding": [{"system": c[0], "code": c[1]}]}),
    json_values,
)
quantity = st.one_of(
    st.fixed_dictionaries(
        {
            "value": st.one_of(st.floats(-1e6, 1e6), st.integers(-500, 500)),
            "unit": st.sampled_from(["mm", "cm", "a", "%", "x"]),
        }
    ),
    json_values,
)
fields = {
    "id": st.one_of(st.text(min_size=1, max_size=5), scalars),
    "subject": st.one_of(st.just({"reference": f"Patient/{PID}"}), json_values),
    "code": concepts,
    "clinicalStatus": concepts,
    "verificationStatus": concepts,
    "bodySite": st.one_of(st.lists(concepts, max_size=2), concepts),
    "onsetDateTime": dates,
    "onsetPeriod": st.one_of(st.fixed_dictionaries({"start": dates}), json_values),
    "onsetAge": quantity,
    "recordedDate": dates,
    "birthDate": dates,
    "status": st.one_of(
        st.sampled_from(["final", "completed", "in-progress", "preparation"]), scalars
    ),
    "effectiveDateTime": dates,
    "performedDateTime": dates,
    "performedPeriod": st.one_of(
        st.fixed_dictionaries({"start": dates, "end": dates}), json_values
    ),
    "valueInteger": st.one_of(st.integers(-10, 200), scalars),
    "valueQuantity": quantity,
    "valueString": st.one_of(st.sampled_from(["ECOG 1", "ASA IV", "ASA"]), scalars),
    "valueCodeableConcept": concepts,
    "component": st.one_of(
        st.lists(st.fixed_dictionaries({"code": concepts, "valueQuantity": quantity}), max_size=2),
        json_values,
    ),
    "focus": json_values,
    "extension": json_values,
}


@st.composite
def resources(draw: st.DrawFn) -> Any:
    rtype = draw(st.sampled_from([*sorted(USED_TYPES), "Encounter", "OperationOutcome", None, 7]))
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), max_size=8, unique=True))
    res: dict[str, Any] = {name: draw(fields[name]) for name in chosen}
    if rtype is not None:
        res["resourceType"] = rtype
    return draw(st.one_of(st.just(res), st.just(res), json_values))


def bundles(entries: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "resourceType": st.just("Bundle"),
            "entry": st.lists(
                st.one_of(st.fixed_dictionaries({"resource": entries}), json_values), max_size=6
            ),
        }
    )


prefetch_values = st.one_of(bundles(resources()), st.lists(resources(), max_size=4), resources())
prefetches = st.dictionaries(
    st.sampled_from(["patient", "conditions", "observations", "procedures", "other"]),
    prefetch_values,
    max_size=5,
)


def _broken(raw: Any) -> bool:
    """Is this a JSON object that is no resource, or a used type nothing of which is readable?"""
    if not isinstance(raw, dict):
        return False  # counted separately ("entries are not FHIR resources")
    if not isinstance(raw.get("resourceType"), str):
        return True
    if raw["resourceType"] not in USED_TYPES:
        return False  # a resource the facts do not use
    try:
        project(raw)
    except UnreadableResource:
        return True
    return False


def _partly_broken(raw: Any) -> bool:
    if not isinstance(raw, dict) or raw.get("resourceType") not in USED_TYPES:
        return False
    try:
        res = project(raw)
    except UnreadableResource:
        return False
    return res is not None and bool(res.unreadable)


def _resources_in(value: Any) -> list[Any]:
    """What `collect` reads from one prefetch value (a reference reading of the contract)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
        return []
    if value.get("resourceType") != "Bundle":
        return [value]
    entries = value.get("entry")
    if not isinstance(entries, list):
        return []
    return [
        e.get("resource") if isinstance(e, dict) else e
        for e in entries
        if not (
            isinstance(e, dict)
            and isinstance(e.get("search"), dict)
            and e["search"].get("mode") == "outcome"
        )
    ]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefetches, st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_arbitrary_prefetch_never_raises_and_names_broken_resources(
    valuesets: ValueSets, prefetch: dict[str, Any], today: date
) -> None:
    record = collect(PID, prefetch)
    profile = derive_profile(record, valuesets, default_parameters(), today)
    for name, fact in profile.facts.items():
        if fact.state is not State.KNOWN:
            assert fact.reason, name
    items = [r for v in prefetch.values() for r in _resources_in(v)]
    broken = sum(_broken(r) for r in items)
    malformed = [g for g in profile.data_gaps if "unreadable resource(s) skipped" in g]
    if broken:
        assert malformed == [malformed[0]]
        assert malformed[0].startswith(f"{broken} unreadable resource(s) skipped")
    else:
        assert malformed == []
    partly = [g for g in profile.data_gaps if "unreadable element(s) read as unknown" in g]
    # Duplicates and other patients' resources are dropped before naming: at most one line.
    assert len(partly) <= 1
    if partly:
        assert any(_partly_broken(r) for r in items)
    if any(not isinstance(r, dict) for r in items):
        assert any("entries are not FHIR resources" in g for g in profile.data_gaps)


# --- found by the generator's neighbourhood: extreme but well-formed values ------------------


def test_dates_at_the_end_of_the_calendar_do_not_crash(derive: Derive) -> None:
    p = derive(
        lms_primary("9999-12-01"),
        liver_met(onset="9999-12-15"),
        procedure("hx", sct("107963000"), performed="9999-12-20"),
        procedure("ct", (LOINC, "79103-8"), performed="9999-12-25"),
    )
    assert p["timing"].value == "synchronous"
    assert p["followup_overdue"].is_no


def test_an_impossible_onset_age_falls_back_to_the_recorded_date(derive: Derive) -> None:
    for age in (-3000, 1e6):
        p = derive(
            condition(
                "prim", cm("C49.4"), onsetAge={"value": age, "code": "a"}, recorded="2022-05-01"
            ),
            liver_met(),
        )
        assert p["primary_diagnosis_date"].value == "2022-05-01"


def test_an_out_of_range_ecog_quantity_is_not_read(derive: Derive) -> None:
    p = derive(lms_primary(), observation("e", (LOINC, "89247-1"), valueQuantity={"value": 80}))
    assert p["ecog"].state is State.UNKNOWN
    assert p["not_surgical_candidate"].state is State.UNKNOWN


def test_lesion_count_site_is_read_from_body_site(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        observation(
            "lc", (LOCAL, "lesion-count"), body_site=LIVER_SITE, valueQuantity={"value": 4}
        ),
    )
    assert p["lesion_count"].value == 4
