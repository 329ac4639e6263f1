"""One parameters file (cql-free-rules/parameters.yaml): every threshold once, overrides only
within the paper's range, and an override changes every decision and every card mention
together (issue 19: the TFI setting used to leave "12–18 months" in the cards)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT
from tests.support.fhir_data import (
    DOCETAXEL,
    GEMCITABINE,
    LOINC,
    PID,
    PROGRESSED,
    disease_status,
    given,
    liver_met,
    lms_primary,
    observation,
    prefetch_of,
    procedure,
    sct,
)

from sarcoma_cds.clinical.params import (
    ParameterError,
    UnknownParameter,
    default_parameters,
    default_table,
    load_parameters,
    substitute,
)
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.rules.loader import RulesError, load_rules
from sarcoma_cds.settings import Settings

TODAY = date(2023, 6, 1)
HEPATECTOMY = sct("107963000")
CT_ABDOMEN = ("http://www.ama-assn.org/go/cpt", "74177")


def test_every_parameter_has_a_range_and_a_quoted_passage() -> None:
    table = load_parameters(ROOT / "cql-free-rules" / "parameters.yaml")
    for name, p in table.parameters.items():
        assert p.min <= p.value <= p.max, name
        assert '"' in p.passage or p.passage.startswith("Not"), f"{name}: quote the paper"
    assert default_parameters().tfi_favourable_months == 12
    assert default_parameters().flr_min_percent == 25.0


def test_every_overridable_parameter_has_a_setting_and_only_those() -> None:
    overridable = {n for n, p in default_table().parameters.items() if p.overridable}
    assert overridable == set(Settings.PARAMETER_OVERRIDES)
    assert overridable == {
        "long_dfi_months",
        "tfi_favourable_months",
        "imaging_recent_days",
        "origin_long_dfi_months",
        "staging_window_days",
        "line_gap_days",
        "regimen_window_days",
    }


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"tfi_favourable_months": 24}, "SARCOMA_CDS_TFI_FAVOURABLE_MONTHS=24 is outside"),
        ({"long_dfi_months": 6}, "SARCOMA_CDS_LONG_DFI_MONTHS=6 is outside the range"),
        ({"imaging_recent_days": 400}, "imaging_recent_days (1–365 days"),
    ],
)
def test_an_override_out_of_range_stops_start_up(override: dict[str, Any], message: str) -> None:
    with pytest.raises(RulesError, match=re.escape(message)):
        Engine.load(Settings(**override))


def test_an_override_out_of_range_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SARCOMA_CDS_TFI_FAVOURABLE_MONTHS", "6")
    with pytest.raises(RulesError, match=r"12–18 months"):
        Engine.load(Settings())


def test_a_fixed_parameter_cannot_be_overridden() -> None:
    with pytest.raises(ParameterError, match="outside the range"):
        default_table().build({"omd_max_lesions": 6})
    with pytest.raises(ParameterError, match="no parameter 'omd_max_lesion'"):
        default_table().build({"omd_max_lesion": 5})


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    return folder


def test_an_unknown_parameter_in_a_condition_stops_start_up(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "rules" / "local-therapy.yaml"
    text = path.read_text()
    assert "{param: omd_max_lesions}" in text
    path.write_text(text.replace("{param: omd_max_lesions}", "{param: omd_max_lesion}", 1))
    with pytest.raises(RulesError) as err:
        load_rules(folder)
    assert str(path) in str(err.value)
    assert "unknown parameter 'omd_max_lesion'" in str(err.value)
    assert "at applies_when." in str(err.value)


def test_an_unknown_parameter_in_card_text_stops_start_up(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "rules" / "summary.yaml"
    path.write_text(path.read_text().replace("{param.omd_max_sites}", "{param.max_sites}"))
    with pytest.raises(RulesError, match=r"summary.yaml: at statements\.\d+\.text: unknown "):
        load_rules(folder)


def test_a_malformed_reference_and_an_unknown_consensus_stop_start_up(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "rules" / "biopsy.yaml"
    text = path.read_text()
    assert "{consensus.3.2}" in text
    path.write_text(text.replace("{consensus.3.2}", "{consensus.3.9}"))
    with pytest.raises(RulesError, match=r"unknown recommendation '3.9'"):
        load_rules(folder)
    path.write_text(text.replace("{consensus.3.2}", "{consensus:3.2}"))
    with pytest.raises(RulesError, match=r"malformed reference '\{consensus:3.2\}'"):
        load_rules(folder)


def test_no_rule_file_types_a_threshold_or_a_consensus_percentage() -> None:
    """Numbers that belong to parameters.yaml or recommendations.yaml are named, not typed, in
    the rules and in the fact dictionary."""
    folder = ROOT / "cql-free-rules"
    for path in [*sorted((folder / "rules").glob("*.yaml")), folder / "facts.yaml"]:
        code = "\n".join(line.split(" #")[0] for line in path.read_text().splitlines())
        code = re.sub(r"(?m)^\s*#.*$", "", code)
        code = code.split("\nexamples:")[0]  # the examples' facts are data, not thresholds
        for pattern in (
            r"\b(?:gt|ge|lt|le): (?!0\b|1\b)\d",  # comparisons other than "at least one"
            r"\(\d+%\)",  # a consensus percentage
            r"\d+ ?cm",  # a lesion size threshold
            r"\b\d+(?:–\d+)? ?%",  # an FLR threshold, a complication rate
            r"\d+(?:–\d+)? months",  # an interval
            r"(?<![}-])\b(?:yearly|annually|monthly)\b",  # an interval in words ("6-monthly" is a
            # parameter and a suffix)
            r"\d+(?:[–-]\d+)? G\b|\b(?:\d+|one|two|three|four|five|six) (?:\w+ )?cores",  # 3.3
            r"\b(?:ECOG|ASA|Karnofsky) (?:\d|[IV]+\b)",  # a performance-status limit
        ):
            assert not re.search(pattern, code), f"{path.name}: {re.search(pattern, code)}"


def _recurrence_patient() -> dict[str, Any]:
    """A liver recurrence 14 months after a hepatectomy; OMD, ECOG 0; CT 60 days ago."""
    return prefetch_of(
        [
            lms_primary("2020-01-10"),
            liver_met("m1", onset="2021-06-01", clinical="resolved"),
            procedure("hx", HEPATECTOMY, performed="2021-08-01"),
            liver_met("m2", onset="2022-10-03"),
            observation("lc", (LOINC, "21889-1"), when="2022-10-03", valueInteger=2),
            observation("e", (LOINC, "89247-1"), when="2023-05-01", valueInteger=0),
            procedure("ct", CT_ABDOMEN, performed="2023-04-02"),
        ]
    )


def _texts(cards: list[dict[str, Any]]) -> str:
    return json.dumps(cards, ensure_ascii=False)


def _run(**override: Any) -> tuple[dict[str, Any], str]:
    engine = Engine.load(Settings(**override))
    ev = engine.evaluate(PID, _recurrence_patient(), TODAY)
    assert ev.profile is not None
    return ev.profile.detailed(), _texts(ev.cards_json())


def test_tfi_override_moves_the_decision_and_every_mention() -> None:
    facts, cards = _run()
    assert facts["tfi_months"]["value"] == 14
    assert facts["tfi_favourable"]["value"] is True
    assert facts["tfi_favourable"]["note"].endswith(", over 12 months")
    assert "TFI 14 months lies within the paper's 12–18-month range: borderline" in cards

    facts, cards = _run(tfi_favourable_months=17)
    assert facts["tfi_favourable"]["value"] is False
    assert facts["tfi_favourable"]["note"].endswith(", below 17 months")
    # criteria not met, at the threshold in force, by name (REVIEW6 m3)
    assert "TFI 14 months since liver resection (2021-08-01), below 17 months;" in cards
    assert "borderline" not in cards
    everything = cards + json.dumps(facts, ensure_ascii=False)
    # (long_dfi's own 12 months is another parameter: "DFI > 12 months" stays; the paper's
    # "12–18 months" is quoted as the paper's range, not as the threshold in force)
    stale = r"TFI (?:longer than |[>≤] )12 months|12-month threshold|(?:below|over) 12\b"
    assert not re.search(stale, everything), "a card still shows the TFI threshold 12"


def test_long_dfi_override_moves_the_decision_and_every_mention() -> None:
    facts, cards = _run()
    assert facts["dfi_months"]["value"] == 16
    assert facts["long_dfi"]["value"] is True
    assert facts["long_dfi"]["note"] == "16 months, > 12 months"

    facts, cards = _run(long_dfi_months=18)
    assert facts["long_dfi"]["value"] is False
    assert facts["long_dfi"]["note"] == "16 months, ≤ 18 months"
    everything = cards + json.dumps(facts, ensure_ascii=False)
    assert not re.search(r"(DFI|days,|months,) [>≤] 12 months", everything)


def test_staging_window_override_moves_the_decision_and_every_mention() -> None:
    facts, cards = _run()
    assert facts["burden_stale"]["value"] is True  # counted 241 days ago
    assert facts["burden_stale"]["note"] == "from 2022-10-03, 7 months and 29 days old"
    assert "Restage: the lesion count is from 2022-10-03" in cards
    # The age in words, not the window beside it (REVIEW6 m7).
    assert "Lesion count from 2022-10-03, 7 months and 29 days old: restage to settle" in cards
    assert "(more than 90 days)" not in cards

    facts, cards = _run(staging_window_days=365)
    assert facts["burden_stale"]["value"] is False
    assert "Restage" not in cards
    assert "90 days" not in cards + json.dumps(facts, ensure_ascii=False)


def _first_metastasis_patient() -> dict[str, Any]:
    """A first liver metastasis 26 months after the primary; not confirmed by histology."""
    return prefetch_of(
        [
            lms_primary("2020-01-10"),
            liver_met("m1", onset="2022-03-15"),
            observation("e", (LOINC, "89247-1"), when="2023-05-01", valueInteger=0),
        ]
    )


def test_origin_interval_override_moves_the_decision_and_every_mention() -> None:
    def run(**override: Any) -> tuple[dict[str, Any], str]:
        ev = Engine.load(Settings(**override)).evaluate(PID, _first_metastasis_patient(), TODAY)
        assert ev.profile is not None
        return ev.profile.detailed(), _texts(ev.cards_json())

    facts, _ = run()
    assert facts["very_long_dfi"]["value"] is False
    assert facts["very_long_dfi"]["note"].endswith("≤ 36 months")

    facts, cards = run(origin_long_dfi_months=24)
    assert facts["very_long_dfi"]["value"] is True
    assert facts["very_long_dfi"]["note"].endswith("> 24 months")
    assert facts["origin_uncertain"]["value"] is True
    everything = cards + json.dumps(facts, ensure_ascii=False)
    assert "36 months" not in everything


def test_imaging_window_override_moves_the_decision_and_every_mention() -> None:
    facts, cards = _run()
    assert facts["recent_ct_abdomen"]["value"] is True  # 60 days ago, window 90
    assert "Contrast CT already recorded: 74177 on 2023-04-02." in cards
    assert "Contrast-enhanced CT of the abdomen (4.1)" not in cards

    facts, cards = _run(imaging_recent_days=30)
    assert facts["recent_ct_abdomen"]["value"] is False
    assert facts["recent_ct_abdomen"]["note"] == "last 74177 on 2023-04-02"
    # no card calls it recent any more; the staging card orders it again
    assert "already recorded" not in cards
    assert "Contrast-enhanced CT of the abdomen (4.1)" in cards


def _two_regimens_patient() -> dict[str, Any]:
    """Gemcitabine day 1, docetaxel day 21, gemcitabine again 85 days after the docetaxel;
    progression afterwards. By default one line (docetaxel within the 28-day regimen window,
    the break within the 90-day gap)."""
    return prefetch_of(
        [
            lms_primary("2022-01-15"),
            liver_met(onset="2022-11-01"),
            given("gem-1", GEMCITABINE, "2023-01-09"),
            given("doc-1", DOCETAXEL, "2023-01-29"),
            given("gem-2", GEMCITABINE, "2023-04-24"),
            disease_status("s", PROGRESSED, "2023-05-15"),
        ]
    )


@pytest.mark.parametrize(
    ("override", "lines", "latest"),
    [
        ({}, 1, "gemcitabine + docetaxel (2023-01-09 – 2023-04-24, 3 months and 15 days)"),
        # docetaxel on day 21 is past a 14-day window: its own line, and so is the gemcitabine
        ({"regimen_window_days": 14}, 3, "gemcitabine (on 2023-04-24)"),
        # an 85-day break is longer than a 60-day gap: the second gemcitabine starts line 2
        ({"line_gap_days": 60}, 2, "gemcitabine (on 2023-04-24)"),
    ],
)
def test_line_overrides_move_the_lines_and_every_mention(
    override: dict[str, Any], lines: int, latest: str
) -> None:
    ev = Engine.load(Settings(**override)).evaluate(PID, _two_regimens_patient(), TODAY)
    assert ev.profile is not None
    facts = ev.profile.detailed()
    assert facts["systemic_therapy_lines"]["value"] == lines
    assert facts["latest_systemic_line"]["value"] == latest
    agents = latest.split(" (")[0]
    progressed = f"progressed after {agents} (line {lines})"
    assert facts["systemic_progression"]["note"] == progressed
    cards = ev.cards_json()
    summary = next(c for c in cards if "facts" in c["extension"]["org.sarcoma-cds"])
    assert summary["extension"]["org.sarcoma-cds"]["facts"]["systemic_therapy_lines"] == lines
    assert f"Latest systemic therapy: {latest}" in summary["detail"]
    # The plan card states the same line, in its summary and its bullet; no other line number.
    text = _texts(cards)
    assert f"STS with liver metastases; disease {progressed}: no liver surgery now" in text
    assert (
        f"Disease {progressed}; progression recorded 2023-05-15 (site not recorded): restage"
        in text
    )
    assert set(re.findall(r"\(line (\d+)\)", text)) == {str(lines)}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("value: 12\n    min: 12\n    max: 18", "value: 20\n    min: 12\n    max: 18"), "outside"),
        (("    unit: cm\n", ""), "at parameters.large_lesion_cm.unit: Field required"),
        (("  omd_max_sites:", "  omd_max_site:"), "out of step with the code"),
        (("value: 5\n    min: 5", "value: 5.5\n    min: 5"), "outside its range"),
    ],
)
def test_an_invalid_parameters_file_stops_start_up(
    edit: tuple[str, str], message: str, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    path = folder / "parameters.yaml"
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(RulesError) as err:
        load_rules(folder)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_every_overridable_parameter_has_an_override_test_here() -> None:
    """A parameter made overridable must get its end-to-end test in this file: each is set in
    an `Engine.load(Settings(...))` run above (as a keyword or a parametrised dict key)."""
    source = Path(__file__).read_text()
    for name, p in default_table().parameters.items():
        if p.overridable:
            assert re.search(rf'\b{name}=\d|"{name}": \d', source), f"no override test of {name}"


def test_text_references_name_a_range_end_and_a_format() -> None:
    """`{param.name.min}` is the range's end in parameters.yaml (9.1's "12–18" is the range of
    tfi_favourable_months, not two more numbers); `:words`, `:roman`, `:every` word a value."""
    p = default_parameters()
    text = (
        "{param.tfi_favourable_months.min}–{param.tfi_favourable_months.max}; "
        "{param.biopsy_min_cores:words} cores; ASA {param.limited_asa:roman}; "
        "then {param.followup_late_interval_months:every}"
    )
    assert substitute(text, p) == "12–18; four cores; ASA III; then yearly"
    assert substitute({"le": {"param": "tfi_favourable_months.max"}}, p) == {"le": 18}
    # the threshold in force moves; the paper's range it is chosen from does not
    moved = default_table().build({"tfi_favourable_months": 15})
    assert substitute("{param.tfi_favourable_months} in {param.tfi_favourable_months.min}–"
                      "{param.tfi_favourable_months.max}", moved) == "15 in 12–18"  # fmt: skip
    with pytest.raises(UnknownParameter, match=r"at x: unknown format 'bogus'"):
        substitute({"x": "{param.biopsy_min_cores:bogus}"}, p)
    with pytest.raises(UnknownParameter, match=r"malformed reference '\{param.limited_asa.mid\}'"):
        substitute("{param.limited_asa.mid}", p)
    with pytest.raises(UnknownParameter, match=r"unknown parameter 'limited_asa.mid'"):
        substitute({"param": "limited_asa.mid"}, p)


def test_a_misspelt_format_in_a_rule_stops_start_up(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "rules" / "follow-up.yaml"
    text = path.read_text()
    assert "{param.followup_late_interval_months:every}" in text
    path.write_text(text.replace(":every}", ":yearly}"))
    with pytest.raises(RulesError, match=r"follow-up.yaml: at statements\.\d+\.text: unknown "):
        load_rules(folder)
