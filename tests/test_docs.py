"""The repository carries the specification its code cites, and the two stay in step: every
"clinical-logic §N" points at a section of docs/clinical-logic.md, every "input-profile.md
<Section>, '<row>' row" at a row of that section's table in docs/input-profile.md, and every fact
of the fact dictionary is described in clinical-logic §1 (in the section its entry names)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.conftest import ROOT

DOCS = ROOT / "docs"
CITING = [ROOT / "service", ROOT / "cql-free-rules", ROOT / "tests", DOCS, ROOT / "README.md"]
CLINICAL_CITATION = re.compile(r"clinical-logic(?:\.md)?`?,?\s*(?:§\s*|section\s+)?(\d+(?:\.\d+)?)")
ROW_CITATION = re.compile(r"input-profile(?:\.md)? (\w+), (?:metastasis rows, )?'([^']+)'(?: row)?")
SECTION_CITATION = re.compile(r"input-profile(?:\.md)? §(\w+)")


def citing_files() -> Iterator[Path]:
    for root in CITING:
        paths = [root] if root.is_file() else root.rglob("*")
        for path in paths:
            if path.suffix in {".py", ".yaml", ".md"} and path.is_file():
                yield path


def sections(markdown: str) -> dict[str, str]:
    """Heading text -> the text under it (down to the next heading of any level)."""
    parts = re.split(r"^#{2,3} (.+)$", markdown, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def numbered(markdown: str) -> dict[str, str]:
    """ "1.3" -> text of "### 1.3 Timing", including subsections for "1" ("## 1. Derived ...")."""
    found: dict[str, str] = {}
    for heading, text in sections(markdown).items():
        number = re.match(r"(\d+(?:\.\d+)?)\.?\s", heading)
        if number:
            found[number.group(1)] = text
    for key in [k for k in found if "." not in k]:
        found[key] += "".join(v for k, v in found.items() if k.startswith(f"{key}."))
    return found


def table_rows(text: str) -> set[str]:
    rows = set()
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.add(line.split("|")[1].strip().replace("**", ""))
    return rows


CLINICAL = numbered((DOCS / "clinical-logic.md").read_text())
PROFILE = sections((DOCS / "input-profile.md").read_text())


def test_the_cited_documents_are_in_the_repository() -> None:
    assert {"1", "1.1", "1.2", "1.3", "1.4", "1.5", "2", "3"} <= set(CLINICAL)
    assert {"Conditions", "Observations", "Procedures"} <= set(PROFILE)


def test_every_clinical_logic_citation_names_an_existing_section() -> None:
    cited: dict[str, list[str]] = {}
    for path in citing_files():
        for number in CLINICAL_CITATION.findall(path.read_text()):
            cited.setdefault(number, []).append(str(path.relative_to(ROOT)))
    assert len(cited) >= 6
    missing = {n: where[:3] for n, where in cited.items() if n not in CLINICAL}
    assert missing == {}


def test_every_input_profile_row_citation_names_an_existing_row() -> None:
    checked = 0
    problems = []
    for path in citing_files():
        text = path.read_text()
        for section, row in ROW_CITATION.findall(text):
            checked += 1
            if section not in PROFILE:
                problems.append(f"{path.name}: no section {section!r}")
            elif not any(r.startswith(row.replace("**", "")) for r in table_rows(PROFILE[section])):
                problems.append(f"{path.name}: no row {row!r} under {section}")
        problems += [
            f"{path.name}: no section {s!r}"
            for s in SECTION_CITATION.findall(text)
            if s not in PROFILE
        ]
    assert checked >= 50
    assert problems == []


def fact_entries() -> dict[str, dict[str, str]]:
    document = yaml.safe_load((ROOT / "cql-free-rules" / "facts.yaml").read_text())
    facts: dict[str, dict[str, str]] = document["facts"]
    return facts


@pytest.mark.parametrize("name", sorted(fact_entries()))
def test_every_fact_is_described_where_its_entry_says(name: str) -> None:
    entry = fact_entries()[name]
    assert f"`{name}`" in CLINICAL["1"], f"{name} is not described in clinical-logic §1"
    for number in re.findall(r"clinical-logic §(\d+(?:\.\d+)?)", entry.get("section", "")):
        assert f"`{name}`" in CLINICAL[number], f"{name} is not in clinical-logic §{number}"
