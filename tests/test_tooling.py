"""The test environment is reproducible: it is installed from the lock, the lock satisfies
pyproject.toml, `tasks.py` reinstalls only when pyproject.toml or the lock changed, and the
pre-commit hooks run the same locked tools as `tasks.py test`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from tests.conftest import ROOT

LOCK = ROOT / "requirements" / "test.lock"


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned.strip()
    return pins


def test_the_lock_pins_every_dependency_within_pyproject_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pins = locked()
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec.name} is not in {LOCK.name}: re-run pip-compile"
        assert spec.specifier.contains(pins[name]), f"{spec} but the lock has {pins[name]}"


def test_this_environment_is_the_locked_one() -> None:
    mismatched = {}
    for name, pinned in locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            mismatched[name] = "not installed"
            continue
        if canonicalize_name(installed) != canonicalize_name(pinned):
            mismatched[name] = f"{installed} installed, {pinned} locked"
    assert mismatched == {}


def load_tasks(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[str]]:
    """tasks.py pointed at a scratch project, its commands recorded instead of run."""
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    assert spec and spec.loader
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    venv = root / ".venv"
    monkeypatch.setattr(tasks, "ROOT", root)
    monkeypatch.setattr(tasks, "VENV", venv)
    monkeypatch.setattr(tasks, "PY", venv / "bin" / "python")
    monkeypatch.setattr(tasks, "LOCK", root / "requirements" / "test.lock")
    ran: list[str] = []
    monkeypatch.setattr(tasks, "_run", lambda *args: ran.append(" ".join(map(str, args[1:]))))
    return tasks, ran


def test_tasks_reinstalls_only_when_pyproject_or_lock_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "requirements" / "test.lock").write_text("fastapi==1.0\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")  # the venv exists
    tasks, ran = load_tasks(tmp_path, monkeypatch)

    tasks._ensure_venv("test")
    assert ran == [
        f"-m pip install --quiet -r {tmp_path}/requirements/test.lock",
        "-m pip install --quiet --no-deps -e .[test]",
    ]
    ran.clear()
    tasks._ensure_venv("test")
    assert ran == []  # nothing changed: no pip at all

    (tmp_path / "requirements" / "test.lock").write_text("fastapi==1.1\n")
    tasks._ensure_venv("test")
    assert len(ran) == 2
    ran.clear()
    tasks._ensure_venv("")  # `run` installs the runtime subset at the locked versions
    assert ran == [f"-m pip install --quiet -c {tmp_path}/requirements/test.lock -e ."]
    ran.clear()
    tasks._ensure_venv("")
    assert ran == []


def test_pre_commit_runs_the_checks_of_tasks_test() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert set(hooks) == {"ruff", "ruff-format", "mypy"}
    assert all(hook["entry"].startswith(".venv/bin/") for hook in hooks.values())
    assert {"ruff", "mypy"} <= set(locked())
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_the_suite_is_strict_bounded_and_measured(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warnings are errors, every test has a timeout, `tasks.py test` reports coverage with a
    floor, and mypy checks the tests too (issue 19): as configured, and as this run applies it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ini = config["tool"]["pytest"]["ini_options"]
    assert ini["filterwarnings"][0] == "error"
    # every exception is a named third-party warning: message, category and module
    assert all(f.startswith("ignore:") and f.count(":") == 3 for f in ini["filterwarnings"][1:])
    assert float(request.config.getini("timeout")) == 300
    assert "tests" in config["tool"]["mypy"]["files"]
    assert config["tool"]["mypy"]["strict"] is True
    tasks, _ = load_tasks(tmp_path, monkeypatch)
    assert "--cov=sarcoma_cds" in tasks.COVERAGE
    assert any(a.startswith("--cov-fail-under=") for a in tasks.COVERAGE)
    with pytest.raises(UserWarning, match="now an error"):
        warnings.warn("now an error", UserWarning, stacklevel=1)
