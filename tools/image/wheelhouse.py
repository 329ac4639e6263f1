"""The wheelhouse: every wheel the image's build installs, made on the host before the build.

An air-gapped build host has no registry and often no package index either; this machine has an
index only through a TLS-intercepting proxy that a build container does not trust (Podman can
mount the host's CA bundle into build steps, Docker's builder cannot). So the host, which already
installs the locked versions for the tests, makes the wheels once with its own pip settings, puts
them in `deploy/wheelhouse/` (inside the build context, ignored by git), and the build installs
from there with `PIP_NO_INDEX=1`: no network, no proxy, no CA bundle in any build step, the same
for Docker and Podman. A plain `docker build` without the build argument still uses an index.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tools.image.engine import EngineError

# The folder the Dockerfile copies (`COPY deploy/wheelhouse/ /wheels/`).
WHEELHOUSE = Path("deploy") / "wheelhouse"
# Written last: a folder without it (an interrupted run) is rebuilt.
STAMP = ".inputs-sha256"
# What the builder stage installs (`pip install wheel[postgres]` under the lock) and what its
# `pip wheel .` needs to build the project (hatchling, the build backend, with its own deps).
EXTRAS = "postgres"
BUILD_BACKEND = "hatchling>=1.25"


def _inputs_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "requirements/test.lock"):
        digest.update((root / name).read_bytes())
    digest.update(f"{sys.version_info[:2]} {EXTRAS} {BUILD_BACKEND}".encode())
    return digest.hexdigest()


def is_current(folder: Path, root: Path) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text().strip() == _inputs_digest(root)


def ensure_wheelhouse(root: Path, python: str = sys.executable) -> list[str]:
    """Fill `root/deploy/wheelhouse` with wheels for the locked dependencies (reused while the
    lock and pyproject are unchanged); returns lines for the log."""
    folder = root / WHEELHOUSE
    if is_current(folder, root):
        count = len(list(folder.glob("*.whl")))
        return [f"wheelhouse: {count} wheels, current"]
    for old in folder.glob("*.whl"):
        old.unlink()
    (folder / STAMP).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        python,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--wheel-dir",
        str(folder),
        "--constraint",
        str(root / "requirements" / "test.lock"),
        f".[{EXTRAS}]",
        BUILD_BACKEND,
    ]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise EngineError(f"pip wheel for the wheelhouse exited {result.returncode}: {tail}")
    # The project's own wheel is built in the image from the sources; keep only dependencies.
    for own in folder.glob("sarcoma_cds-*.whl"):
        own.unlink()
    (folder / STAMP).write_text(_inputs_digest(root) + "\n")
    wheels = list(folder.glob("*.whl"))
    size = sum(wheel.stat().st_size for wheel in wheels) / 1e6
    return [f"wheelhouse: {len(wheels)} wheels, {size:.0f} MB, made from the lock"]
