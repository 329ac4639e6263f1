"""`python -m tools.image` (what `python3 tasks.py image` runs): engine, bases, build, smoke test.

Ends with one line, `image OK: <size> MB, uid 10001, healthcheck ok, <n> cards`, or exits 1 with
the reason. Leaves no container running; the image stays for `docker run`/`podman run`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sarcoma_cds import __version__
from tools.image.bases import ensure_bases
from tools.image.engine import EngineError, find_engine
from tools.image.smoke import SmokeError, git_commit, image_size_mb, revision, smoke_test
from tools.image.wheelhouse import ensure_wheelhouse

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def _cache() -> Path:
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = home / "sarcoma-cds" / "image"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def build_and_smoke(image: str) -> str:
    started = time.monotonic()
    engine = find_engine(_cache())
    print(f"engine: {engine.name}", flush=True)
    for line in ensure_bases(engine, DOCKERFILE, _cache()):
        print(line, flush=True)
    for line in ensure_wheelhouse(ROOT):
        print(line, flush=True)
    bases_done = time.monotonic()
    commit = git_commit(ROOT)
    engine(
        "build",
        *engine.build_options,
        "--build-arg",
        "PIP_NO_INDEX=1",
        "--build-arg",
        f"GIT_COMMIT={commit}",
        "--file",
        str(DOCKERFILE),
        "--tag",
        image,
        str(ROOT),
        quiet=False,
        timeout=1800,
    )
    built = time.monotonic()
    labelled = revision(engine, image)
    if labelled != commit:
        raise SmokeError(f"the image's revision label is {labelled!r}, not {commit!r}")
    size = image_size_mb(engine, image)
    print(f"built {image} ({size} MB, commit {commit[:12]}) in {built - bases_done:.0f} s")
    smoke = smoke_test(engine, image)
    # Earlier builds of the same tag are dangling now: drop them (and their build cache).
    engine("image", "prune", "--force", check=False)
    print(
        f"times: bases and wheels {bases_done - started:.0f} s, build {built - bases_done:.0f} s, "
        f"smoke {time.monotonic() - built:.0f} s",
        flush=True,
    )
    return (
        f"image OK: {size} MB, uid {smoke.uid}, healthcheck {smoke.healthcheck}, "
        f"{smoke.cards} cards"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasks.py image", description=__doc__)
    parser.add_argument("--tag", default=f"sarcoma-cds:{__version__}", help="image name")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # the smoke test reads fhir-examples/
    try:
        print(build_and_smoke(args.tag), flush=True)
    except (EngineError, SmokeError) as exc:
        print(f"image FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
