#!/usr/bin/env python3
"""The README's two commands, with nothing but Python and pip on the machine.

    python3 tasks.py run    # create .venv, install, serve on http://127.0.0.1:8080
    python3 tasks.py test   # create .venv, install test extras, run pytest, ruff and mypy

Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*args: str | os.PathLike[str]) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def _ensure_venv(extras: str) -> None:
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    _run(PY, "-m", "pip", "install", "--quiet", "-e", target)


def run(argv: list[str]) -> int:
    _ensure_venv("")
    os.execv(str(BIN / "sarcoma-cds"), [str(BIN / "sarcoma-cds"), "serve", *argv])
    return 0  # not reached


# What some tests drive on the machine itself, from Debian: (package, file that shows it is there).
_DEBIAN_PACKAGES = (
    ("postgresql", "/usr/lib/postgresql/*/bin/pg_ctl"),  # the PostgreSQL feedback-store tests
    ("chromium", "/usr/bin/chromium"),  # the browser tests, through Playwright
    ("libjs-marked", "/usr/share/javascript/marked/marked.min.js"),  # markdown, as EHRs render it
)


def _ensure_debian_packages() -> None:
    """Install the Debian packages the tests need if missing (root only: otherwise say how, and
    let those tests fail with the same message). Never `playwright install`, which downloads a
    browser build."""
    missing = [pkg for pkg, marker in _DEBIAN_PACKAGES if not list(Path("/").glob(marker[1:]))]
    if not missing:
        return
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            f"Not installed: {', '.join(missing)}; the tests that use them will fail. Install "
            f"them with: sudo apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        return
    print(f"Installing Debian's {', '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *missing],
    ):
        print("+", " ".join(command), flush=True)
        subprocess.run(command, check=True, env=env)


def test(argv: list[str]) -> int:
    _ensure_debian_packages()
    _ensure_venv("test")
    steps: list[list[str | os.PathLike[str]]] = [
        [PY, "-m", "pytest", "-n", "2", "-q", *argv],
        [PY, "-m", "ruff", "check", "."],
        [PY, "-m", "ruff", "format", "--check", "."],
        [PY, "-m", "mypy"],
    ]
    failed = []
    for step in steps:
        print("+", " ".join(str(a) for a in step), flush=True)
        if subprocess.run([str(a) for a in step], cwd=ROOT).returncode != 0:
            failed.append(str(step[2]))
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
