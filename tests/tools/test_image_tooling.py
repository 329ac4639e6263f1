"""tools/image, the parts that need no engine: which base images the Dockerfile names and how
each is made from Debian, the Podman limits, the lock comparison. The build and the smoke test
themselves run in `python3 tasks.py image` (`.ci/run`)."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from tools.image import bases, engine, smoke, wheelhouse

ROOT = Path(__file__).resolve().parents[2]


def test_the_bases_are_the_images_the_from_lines_name() -> None:
    names = bases.from_names(ROOT / "deploy" / "Dockerfile")

    assert names == ["python:3.11-bookworm", "python:3.11-slim-bookworm"]


def test_a_stage_named_in_from_is_not_an_image(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG V=3.11\nFROM python:${V}-bookworm AS build\nRUN true\nFROM build\nFROM build AS x\n"
    )

    assert bases.from_names(dockerfile) == ["python:3.11-bookworm"]


def test_the_builder_base_adds_venv_and_the_runtime_base_has_no_extra() -> None:
    builder = bases.recipe_for("python:3.11-bookworm")
    runtime = bases.recipe_for("python:3.11-slim-bookworm")

    assert builder.extra == ("python3-venv",)
    assert runtime.extra == ()
    assert builder.release == runtime.release == "bookworm"
    assert builder.recipe != runtime.recipe


@pytest.mark.parametrize("name", ["python:3.12-slim-bookworm", "postgres:16", "python:3.11-trixie"])
def test_no_debian_recipe_for_other_images(name: str) -> None:
    with pytest.raises(engine.EngineError, match=name):
        bases.recipe_for(name)


def test_podman_gets_no_more_than_this_process_may_have(tmp_path: Path) -> None:
    limits = dict(item.split("=") for item in engine._limits())
    nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc_hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]

    if nofile_hard != resource.RLIM_INFINITY:
        assert limits["nofile"] == f"{nofile_hard}:{nofile_hard}"
    soft, _, hard = limits["nproc"].partition(":")
    assert soft == hard
    assert int(hard) <= engine.PODMAN_NPROC
    if nproc_hard != resource.RLIM_INFINITY:
        assert int(hard) <= nproc_hard
    conf = engine._containers_conf(tmp_path).read_text()
    assert 'runtime = "runc"' in conf
    assert "default_ulimits = [" in conf


def test_pins_compare_names_as_pip_does() -> None:
    pins = smoke._pins("PyYAML==6.0.2\nfhir.resources==8.3.0  # via x\n    # comment\nzope_x==1\n")

    assert pins == {"pyyaml": "6.0.2", "fhir-resources": "8.3.0", "zope-x": "1"}


def test_the_wheelhouse_is_current_only_for_the_inputs_it_was_made_from(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "requirements" / "test.lock").write_text("pyyaml==6.0.2\n")
    folder = tmp_path / wheelhouse.WHEELHOUSE
    folder.mkdir(parents=True)
    assert not wheelhouse.is_current(folder, tmp_path)  # never made (or interrupted: no stamp)

    (folder / wheelhouse.STAMP).write_text(wheelhouse._inputs_digest(tmp_path) + "\n")
    assert wheelhouse.is_current(folder, tmp_path)

    (tmp_path / "requirements" / "test.lock").write_text("pyyaml==6.0.3\n")
    assert not wheelhouse.is_current(folder, tmp_path)


def test_the_wheelhouse_folder_is_the_one_the_dockerfile_copies() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert f"COPY {wheelhouse.WHEELHOUSE.as_posix()}/ /wheels/" in dockerfile
    assert "!deploy/wheelhouse/" in (ROOT / ".dockerignore").read_text().splitlines()


def test_a_base_root_filesystem_is_readable_by_the_non_root_user(tmp_path: Path) -> None:
    # The archive keeps the mode of "/": 0700 (mkdtemp's) made Docker refuse UID 10001.
    root = bases._new_root(tmp_path)

    assert root.stat().st_mode & 0o777 == 0o755
