"""Reading a YAML data file into a strict pydantic model, at start-up: the one place that turns
an unreadable file, bad YAML or a schema error into a message naming the file, the path inside it
and the problem (parameters, fact dictionary, value sets, recommendations, rules).

Each loader passes its own exception type, so that callers keep catching the error of the kind of
knowledge they load (`ParameterError`, `FactDictionaryError`, `ValueSetError`, `RulesError`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML was built with it (the wheels are): the same documents, several
# times faster at start-up and for `screen`, which loads the rules in every worker.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Enough to fix a file in one pass without burying the first problem.
MAX_PROBLEMS = 5


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The parsed file; `error` naming the file if it cannot be read or is not YAML."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (safe)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc}") from exc


def validate(model: type[M], raw: Any, path: Path, error: type[Exception]) -> M:
    """`raw` as `model`; `error` naming the file and, for each of the first problems, the path
    inside it ("at parameters.large_lesion_cm.unit: Field required")."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"at {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()[:MAX_PROBLEMS]
        ]
        raise error(f"{path}: " + "; ".join(problems)) from exc


def load_yaml(
    path: Path,
    model: type[M],
    error: type[Exception],
    prepare: Callable[[Any], Any] | None = None,
) -> M:
    """Read, `prepare` (e.g. replace parameter names by their values), validate."""
    raw = read_yaml(path, error)
    return validate(model, prepare(raw) if prepare else raw, path, error)
