"""The rules folder loads, and every kind of broken rule file is refused with the file, the path
inside it and the problem (the rejected examples live in tests/rules/invalid/)."""

from __future__ import annotations

import re
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
    # Each scope's first card leads: data-quality and not-applicable are alone in their scopes.
    assert next(r.topic for r in rules.rules if r.scope == "sts-liver") == "summary"
    assert set(topics) == {
        "data-quality",
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


def test_a_category_typo_in_a_real_rule_stops_start_up(tmp_path: Path) -> None:
    """`equals: metachronus` used to load and silently drop recommendation 5.4 (issue 19)."""
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    path = folder / "rules" / "treatment-pathway.yaml"
    text = path.read_text()
    assert "{fact: timing, equals: metachronous}" in text
    path.write_text(
        text.replace(
            "{fact: timing, equals: metachronous}", "{fact: timing, equals: metachronus}", 1
        )
    )
    from sarcoma_cds.pipeline import Engine

    with pytest.raises(RulesError) as err:
        Engine.load(Settings(rules_dir=folder))
    message = str(err.value)
    assert str(path) in message
    assert re.search(
        r"at statements\.\d+\.when(?:\.all\.\d+)+\.equals: 'metachronus' is not an allowed",
        message,
    )
    assert "'metachronous'" in message and "'synchronous'" in message  # what is allowed


def test_a_failing_inline_example_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    path = folder / "rules" / "follow-up.yaml"
    text = path.read_text()
    assert "      indicator: warning" in text  # an example's expectation
    path.write_text(text.replace("      indicator: warning", "      indicator: critical"))
    from sarcoma_cds.pipeline import Engine

    with pytest.raises(RulesError, match=r"inline example\(s\) fail: follow-up: .*indicator"):
        Engine.load(Settings(rules_dir=folder))


def test_a_dictionary_out_of_step_with_the_code_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    facts = folder / "facts.yaml"
    text = facts.read_text()
    extra = "  invented_fact:\n    kind: bool\n    label: Invented\n    section: none\n"
    facts.write_text(text + extra)
    from sarcoma_cds.pipeline import Engine

    with pytest.raises(RulesError, match=r"facts.yaml: profile facts out of sync.*invented_fact"):
        Engine.load(Settings(rules_dir=folder))


def test_an_invalid_dictionary_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    facts = folder / "facts.yaml"
    facts.write_text(facts.read_text().replace("      synchronous:\n      metachronous:\n", ""))
    with pytest.raises(RulesError, match=r"facts.yaml: at facts.timing: .*allowed values"):
        load_rules(folder)
