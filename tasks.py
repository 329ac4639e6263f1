#!/usr/bin/env python3
"""The README's two commands, with nothing but Python and pip on the machine.

    python3 tasks.py run    # create .venv, install, serve on http://127.0.0.1:8080
    python3 tasks.py test   # create .venv, install test extras, run pytest, ruff and mypy
    python3 tasks.py image  # build the container image (Docker, else Podman) and smoke-test it

Standard library only: this file runs before anything is installed. Both commands install from
requirements/test.lock (pip-tools) and skip the install when neither pyproject.toml nor the lock
changed. Regenerate the lock after changing a dependency:

    pip-compile --extra test --strip-extras --allow-unsafe --no-emit-index-url \
        --no-emit-find-links -o requirements/test.lock pyproject.toml
"""

from __future__ import annotations

import hashlib
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
# The test environment, pinned (pip-tools; regenerate with the command in the docstring).
LOCK = ROOT / "requirements" / "test.lock"


def _run(*args: str | os.PathLike[str]) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def _install_digest(extras: str) -> str:
    """What the installed environment depends on: the project's metadata and the lock."""
    digest = hashlib.sha256(extras.encode())
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ensure_venv(extras: str) -> None:
    """Create .venv and install from the lock; skipped when neither pyproject.toml nor the
    lock changed since the last install (the package itself is installed editable)."""
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
        _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    stamp = VENV / f".installed-{extras or 'runtime'}"
    digest = _install_digest(extras)
    if stamp.is_file() and stamp.read_text() == digest:
        print(f"{VENV.name}: dependencies unchanged, not reinstalling", flush=True)
        return
    if extras:
        _run(PY, "-m", "pip", "install", "--quiet", "-r", LOCK)
        _run(PY, "-m", "pip", "install", "--quiet", "--no-deps", "-e", f".[{extras}]")
    else:  # the runtime subset, at the locked versions
        _run(PY, "-m", "pip", "install", "--quiet", "-c", LOCK, "-e", ".")
    stamp.write_text(digest)


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


def _ensure_debian_packages(packages: tuple[tuple[str, str], ...] = _DEBIAN_PACKAGES) -> None:
    """Install the Debian packages the tests need if missing (root only: otherwise say how, and
    let those tests fail with the same message). Never `playwright install`, which downloads a
    browser build."""
    missing = [pkg for pkg, marker in packages if not list(Path("/").glob(marker[1:]))]
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


# Line coverage of the service package; the run ends with "Total coverage: N%". The floor sits a
# little under today's figure so that a change deleting tests for live code is noticed.
COVERAGE = ["--cov=sarcoma_cds", "--cov-report=", "--cov-fail-under=90"]


def test(argv: list[str]) -> int:
    _ensure_debian_packages()
    _ensure_venv("test")
    steps: list[list[str | os.PathLike[str]]] = [
        [PY, "-m", "pytest", "-n", "2", "-q", *COVERAGE, *argv],
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


def image(argv: list[str]) -> int:
    """tools/image: build deploy/Dockerfile with the engine that works here, run the image and
    smoke-test it (see deploy/README.md, "Air-gapped build")."""
    _ensure_debian_packages(tuple(p for p in _DEBIAN_PACKAGES if p[0] == "postgresql"))
    _ensure_venv("test")
    return subprocess.run([str(PY), "-m", "tools.image", *argv], cwd=ROOT).returncode


def main() -> int:
    commands = {"run": run, "test": test, "image": image}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
