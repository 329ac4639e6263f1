"""The examples are data (issue 19): the committed JSON files and manifest.yaml are the source of
truth, edited by hand. Nothing under fhir-examples/ is a program that could write or rewrite
them, and the README's table, which a builder used to write, stays in step with the manifest."""

from __future__ import annotations

import re

from tests.conftest import EXAMPLES, load_manifest


def test_no_program_writes_the_examples() -> None:
    kinds = {p.suffix for p in EXAMPLES.rglob("*") if p.is_file() and "__pycache__" not in str(p)}
    assert kinds == {".json", ".yaml", ".md"}


def test_the_readme_table_lists_the_manifest_in_order() -> None:
    rows = re.findall(
        r"^\| \[([^]]+)\]\(\1\) \| (\S+) \| (\S+) \| (.+) \| (.+) \|$",
        (EXAMPLES / "README.md").read_text(encoding="utf-8"),
        flags=re.M,
    )
    expected = [
        (
            e["file"],
            e["today"],
            e["encoding"],
            e["shows"],
            ", ".join(e["expected"]["topics"]) or "(no card)",
        )
        for e in load_manifest()
    ]
    assert rows == expected


def test_every_file_is_in_the_manifest_and_every_entry_has_its_file() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.json"))
    assert files == sorted(e["file"] for e in load_manifest())
