"""The README's two commands are the project's real entry points, and CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_shows_exactly_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:\w+)?\n(.*?)```", readme, re.DOTALL)

    assert first_block is not None
    assert first_block.group(1).split("\n")[:2] == ["python3 tasks.py run", "python3 tasks.py test"]


def test_the_commands_exist_in_tasks_py() -> None:
    tasks = (ROOT / "tasks.py").read_text(encoding="utf-8")

    assert 'commands = {"run": run, "test": test, "image": image}' in tasks


def test_ci_runs_the_test_command_then_the_image_command() -> None:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in lines if line.strip().startswith("python3 tasks.py")]

    assert commands == ["python3 tasks.py test", "python3 tasks.py image"]


def test_readme_documents_every_setting() -> None:
    from sarcoma_cds.settings import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    missing = [
        f"SARCOMA_CDS_{name.upper()}"
        for name in Settings.model_fields
        if f"SARCOMA_CDS_{name.upper()}" not in readme
    ]
    assert missing == []
