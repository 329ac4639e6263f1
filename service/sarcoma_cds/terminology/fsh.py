"""A reader for the part of FHIR Shorthand (FSH) that value sets use: aliases, `ValueSet:`
blocks with their `Id:` / `Title:`, listed concepts (`* $alias#code "display"`) and
`* codes from valueset X` inclusions.

Only what the IDEA4RC generator needs; not a FSH compiler (SUSHI is a Node tool that needs the
whole IG and its dependencies; we read the value sets from a local copy of the sources).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# `//` starts a comment unless it is part of a URL (`http://`).
_LINE_COMMENT = re.compile(r"(?<!:)//.*$", re.MULTILINE)
_ALIAS = re.compile(r"^Alias:\s*(\$?[\w.-]+)\s*=\s*(\S+)", re.MULTILINE)
_KEYWORD = re.compile(
    r"^(ValueSet|CodeSystem|Profile|Extension|Instance|Logical|RuleSet|Alias|Invariant|Mapping|Resource):\s*(\S+)"
)
_CONCEPT = re.compile(r'^\*\s+(\$?[\w.:/-]+)#([\w.-]+)(?:\s+"([^"]*)")?')
_INCLUDE_VS = re.compile(r"^\*\s+(?:include\s+)?codes\s+from\s+valueset\s+(\S+)")
_META = re.compile(r'^(Id|Title):\s*"?(.*?)"?\s*$')


class FshError(Exception):
    """The FSH folder cannot be read as expected (named file and problem)."""


@dataclass(frozen=True)
class Concept:
    system: str
    code: str
    display: str


@dataclass
class FshValueSet:
    name: str
    id: str
    title: str
    file: str
    concepts: list[Concept] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # names or ids of other value sets


def strip_comments(text: str) -> str:
    return _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", text))


def read_aliases(texts: dict[str, str]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for text in texts.values():
        for name, url in _ALIAS.findall(strip_comments(text)):
            aliases[name] = url
    return aliases


def parse_value_sets(texts: dict[str, str], aliases: dict[str, str]) -> dict[str, FshValueSet]:
    """Every active (uncommented) ValueSet, by name and by id."""
    out: dict[str, FshValueSet] = {}
    for file, text in sorted(texts.items()):
        current: FshValueSet | None = None
        for raw in strip_comments(text).splitlines():
            line = raw.strip()
            if m := _KEYWORD.match(line):
                current = None
                if m[1] == "ValueSet":
                    current = FshValueSet(name=m[2], id=m[2], title=m[2], file=file)
                    out[m[2]] = current
                continue
            if current is None:
                continue
            _read_rule(current, line, aliases, file)
    for vs in list(out.values()):
        out.setdefault(vs.id, vs)
    return out


def _read_rule(current: FshValueSet, line: str, aliases: dict[str, str], file: str) -> None:
    """One line of a ValueSet's body: Id/Title, an included value set, or a concept."""
    if m := _META.match(line):
        if m[1] == "Id":
            current.id = m[2].strip()
        else:
            current.title = m[2]
    elif m := _INCLUDE_VS.match(line):
        current.includes.append(m[1])
    elif m := _CONCEPT.match(line):
        system = aliases.get(m[1], m[1])
        if system.startswith("$"):
            raise FshError(f"{file}: unknown alias {m[1]} in {current.name}")
        current.concepts.append(Concept(system, m[2], (m[3] or "").strip()))


def expand(value_sets: dict[str, FshValueSet], name: str) -> list[Concept]:
    """The concepts of a value set with its `codes from valueset` inclusions, first occurrence
    of each (system, code) kept."""
    seen: set[tuple[str, str]] = set()
    out: list[Concept] = []

    def walk(n: str, path: tuple[str, ...]) -> None:
        vs = value_sets.get(n)
        if vs is None or n in path:
            return
        for c in vs.concepts:
            if (c.system, c.code) not in seen:
                seen.add((c.system, c.code))
                out.append(c)
        for inc in vs.includes:
            walk(inc, (*path, n))

    if name not in value_sets:
        raise FshError(f"value set {name!r} not found in the FSH sources")
    walk(name, ())
    return out


def read_folder(folder: Path) -> dict[str, str]:
    """All `*.fsh` files under `folder` (path relative to it → text)."""
    if not folder.is_dir():
        raise FshError(f"{folder}: not a folder")
    texts = {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.fsh"))
    }
    if not texts:
        raise FshError(f"{folder}: no .fsh files")
    return texts
