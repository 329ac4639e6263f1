"""Where the data folders live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def default_rules_dir() -> Path:
    """`cql-free-rules/`: inside the wheel when installed, else at the repository root."""
    for candidate in (_PKG / "cql-free-rules", _PKG.parents[1] / "cql-free-rules"):
        if candidate.is_dir():
            return candidate
    return _PKG.parents[1] / "cql-free-rules"


def repo_root() -> Path:
    return _PKG.parents[1]
