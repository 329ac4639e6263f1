"""The base images the Dockerfile's FROM lines name: present, pulled, or built from Debian.

With no registry in reach (an air-gapped hospital, or this machine) the bases are made from the
Debian mirror the host already uses for packages: `debootstrap` a minimal bookworm with Debian's
Python, then import it under exactly the name the FROM line uses. Debian's `python` is
/usr/bin/python in both bases, so the venv made in the builder runs in the runtime stage.
An imported base carries a label with a digest of its recipe: a later run reuses it (the cache)
until the recipe changes. Set SARCOMA_CDS_DEBIAN_MIRROR to use a local mirror.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools.image.engine import Engine, EngineError, install_debian_packages

RECIPE_LABEL = "org.sarcoma-cds.base-recipe"
# Debian's Python for each release the Dockerfile may name (the FROM tag must agree).
DEBIAN_PYTHON = {"bookworm": "3.11"}
# Both bases: Debian's Python as `python`, and the CA bundle (the service calls https JWKS and
# FHIR servers). The builder adds venv (with its bundled pip); no compiler in either.
RUNTIME_PACKAGES = ("python3", "python-is-python3", "ca-certificates")
BUILDER_EXTRA = ("python3-venv",)
# What an image needs none of: apt's lists and caches, docs, translations, this host's names.
PRUNED = (
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/cache/debconf",
    "var/log",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)
PULL_TIMEOUT_SECONDS = 90


@dataclass(frozen=True)
class Base:
    name: str  # as the FROM line spells it, e.g. python:3.11-slim-bookworm
    release: str
    extra: tuple[str, ...]  # packages on top of the runtime base

    @property
    def recipe(self) -> str:
        text = " ".join([self.release, *RUNTIME_PACKAGES, "+", *self.extra, *PRUNED, "v2"])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def from_names(dockerfile: Path) -> list[str]:
    """The images the FROM lines name, with the Dockerfile's ARG defaults substituted; a FROM
    that names an earlier stage is not an image."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    names: list[str] = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        keyword = words[0].upper()
        if keyword == "ARG" and not names and "=" in words[1]:
            key, _, value = words[1].partition("=")
            args[key] = value
        elif keyword == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda match: args[match.group(1)], words[1])
            if image not in stages and image not in names:
                names.append(image)
            if len(words) >= 4 and words[2].upper() == "AS":
                stages.add(words[3])
    return names


def recipe_for(name: str) -> Base:
    """How to make `python:<version>-[slim-]<release>` from Debian; anything else is refused."""
    match = re.fullmatch(r"python:(\d+\.\d+)-(slim-)?(\w+)", name)
    if match is None:
        raise EngineError(f"{name}: no registry answers and no Debian recipe for this image")
    version, slim, release = match.groups()
    if DEBIAN_PYTHON.get(release) != version:
        raise EngineError(
            f"{name}: Debian {release} ships Python {DEBIAN_PYTHON.get(release, '?')}, not "
            f"{version}; change the Dockerfile's ARGs or let a registry provide the image"
        )
    return Base(name, release, () if slim else BUILDER_EXTRA)


def _pull(engine: Engine, name: str) -> bool:
    qualified = name if "/" in name else f"docker.io/library/{name}"
    try:
        pulled = engine("pull", qualified, check=False, timeout=PULL_TIMEOUT_SECONDS)
    except EngineError:
        return False
    if pulled.returncode != 0:
        return False
    if qualified != name:
        engine("tag", qualified, name)
    return True


def _debootstrap(release: str, cache: Path) -> Path:
    """A minimal `release` with Debian's Python, in a new folder under `cache`."""
    if shutil.which("debootstrap") is None:
        install_debian_packages(["debootstrap"])
    debs = cache / "debs"  # downloaded packages, kept: a rebuild downloads nothing
    debs.mkdir(parents=True, exist_ok=True)
    rootfs = _new_root(cache)
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(RUNTIME_PACKAGES)}",
        f"--cache-dir={debs}",
        release,
        str(rootfs),
    ]
    if mirror := os.environ.get("SARCOMA_CDS_DEBIAN_MIRROR"):
        command.append(mirror)
    _run(command, f"debootstrap {release}", rootfs)
    return rootfs


def _with_extra(rootfs: Path, extra: tuple[str, ...]) -> Path:
    """A copy of `rootfs` with more packages, installed by its own apt (much faster than a
    second debootstrap; the package lists debootstrap fetched are still in the copy)."""
    copy = _new_root(rootfs.parent)
    subprocess.run(["cp", "-a", f"{rootfs}/.", str(copy)], check=True)
    if extra:
        install = ["apt-get", "install", "-y", "--no-install-recommends", *extra]
        command = ["chroot", str(copy), "env", "DEBIAN_FRONTEND=noninteractive", *install]
        _run(command, f"apt-get install {' '.join(extra)}", copy)
    return copy


def _run(command: list[str], what: str, rootfs: Path) -> None:
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(rootfs, ignore_errors=True)
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        raise EngineError(f"{what} failed: {tail}")


def _prune(rootfs: Path) -> None:
    for leftover in PRUNED:
        folder = rootfs / leftover
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    for host_file in ("etc/resolv.conf", "etc/hostname"):  # the engine provides its own
        (rootfs / host_file).unlink(missing_ok=True)


def _new_root(parent: Path) -> Path:
    """An empty folder for a root filesystem. mkdtemp makes it 0700 and the archive keeps the
    mode of "/": Docker then refuses every non-root user (`stat /app/...: permission denied`),
    where Podman happened to tolerate it."""
    root = Path(tempfile.mkdtemp(prefix="rootfs-", dir=parent))
    root.chmod(0o755)
    return root


def _import(engine: Engine, base: Base, rootfs: Path) -> None:
    """Import a pruned copy of `rootfs` (plus `base.extra`) as `base.name`."""
    tree = _with_extra(rootfs, base.extra)
    archive = tree.with_suffix(".tar")
    changes = [
        f"LABEL {RECIPE_LABEL}={base.recipe}",
        "ENV LANG=C.UTF-8",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        'CMD ["python"]',
    ]
    try:
        _prune(tree)
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(tree), "-cf", str(archive), "."], check=True
        )
        options = [item for change in changes for item in ("--change", change)]
        engine("import", *options, str(archive), base.name)
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(tree, ignore_errors=True)


def _current(engine: Engine, base: Base) -> bool:
    """Present and made by this recipe (or pulled: a pulled image has no recipe label)."""
    if not engine.has_image(base.name):
        return False
    label = engine(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}', base.name
    ).stdout.strip()
    return label in ("", "<no value>", base.recipe)


def ensure_bases(engine: Engine, dockerfile: Path, cache: Path) -> list[str]:
    """Make every FROM image available; return one line per base saying where it came from."""
    report = []
    rootfs: dict[str, Path] = {}  # one debootstrap per release, shared by its bases
    try:
        for name in from_names(dockerfile):
            base = recipe_for(name)
            started = time.monotonic()
            if _current(engine, base):
                report.append(f"{name}: present")
            elif _pull(engine, name):
                report.append(f"{name}: pulled in {time.monotonic() - started:.0f} s")
            else:
                print(f"{name}: no registry answers; building it from Debian", file=sys.stderr)
                if base.release not in rootfs:
                    rootfs[base.release] = _debootstrap(base.release, cache)
                _import(engine, base, rootfs[base.release])
                report.append(f"{name}: built from Debian in {time.monotonic() - started:.0f} s")
    finally:
        for tree in rootfs.values():
            shutil.rmtree(tree, ignore_errors=True)
    return report
