"""The rules folder loads, and every kind of broken rule file is refused with the file, the path
inside it and the problem (the rejected examples live in tests/rules/invalid/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import ROOT

from sarcoma_cds.rules.loader import RulesError, load_rule_file, load_rules
from sarcoma_cds.rules.schema import Recommendation
from sarcoma_cds.settings import Settings

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


def expected_message(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: ...'"
    return first.removeprefix("# expect: ")


def test_real_rules_load(ruleset: object) -> None:
    rules = load_rules(ROOT / "cql-free-rules")
    topics = [r.topic for r in rules.rules]
    assert topics[0] == "summary" or topics[0] == "not-applicable"
    assert set(topics) == {
        "summary",
        "staging-imaging",
        "biopsy",
        "treatment-pathway",
        "liver-recurrence",
        "local-therapy",
        "mdt-referral",
        "follow-up",
        "not-applicable",
    }
    assert len(rules.recommendations) == 34


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_rule_file_is_refused(path: Path, ruleset: object, tmp_path: Path) -> None:
    from sarcoma_cds.rules.loader import RuleSet

    assert isinstance(ruleset, RuleSet)
    recs: dict[str, Recommendation] = ruleset.recommendations
    with pytest.raises(RulesError) as err:
        load_rule_file(path, recs)
    message = str(err.value)
    assert str(path) in message, "the message names the file"
    assert expected_message(path) in message


def test_a_bad_rule_file_stops_the_engine(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    shutil.copy(INVALID[0], folder / "rules" / INVALID[0].name)
    from sarcoma_cds.pipeline import Engine

    with pytest.raises(RulesError, match=INVALID[0].name):
        Engine.load(Settings(rules_dir=folder))


def test_missing_value_set_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    (folder / "valuesets" / "metastasis-liver.yaml").unlink()
    with pytest.raises(RulesError, match="metastasis-liver"):
        load_rules(folder)


def test_two_rule_files_for_one_topic_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    text = (folder / "rules" / "biopsy.yaml").read_text().replace("id: biopsy", "id: biopsy-2")
    (folder / "rules" / "biopsy-2.yaml").write_text(text)
    with pytest.raises(RulesError, match="more than one rule file for topic"):
        load_rules(folder)


def test_missing_rules_folder(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="rules folder not found"):
        load_rules(tmp_path / "nowhere")
