"""deploy/Dockerfile, its entrypoint and the build context (no Docker engine here: static and
shell-level checks only)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sarcoma_cds.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
BUILD_TOOLS = ("gcc", "g++", "make", "build-essential", "apt-get", "apk ", "pip install", "curl")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == keyword]


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"
    return lines


def _parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        elif instruction == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            stages.append(Stage(base=base, name=words[2] if len(words) == 3 else None))
        else:
            stages[-1].instructions.append((instruction, rest))
    return args, stages


ARGS, STAGES = _parse(DOCKERFILE.read_text())
FINAL = STAGES[-1]


def _env(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for args in stage.all("ENV"):
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            values[key] = value
    return values


def test_image_is_multi_stage_with_a_slim_python_311_runtime() -> None:
    assert len(STAGES) >= 2
    assert STAGES[0].name == "builder"
    assert FINAL.base == "python:3.11-slim-bookworm"
    assert any("pip install" in run for run in STAGES[0].all("RUN"))
    assert "--from=builder /opt/venv /opt/venv" in FINAL.all("COPY")


def test_final_stage_runs_as_a_non_root_numeric_user() -> None:
    [user] = FINAL.all("USER")
    uid, _, gid = user.partition(":")
    assert uid == "10001"
    assert gid.isdigit()
    assert int(gid) != 0
    assert any(f"--uid {uid}" in run for run in FINAL.all("RUN"))
    # USER must come after every RUN, or later steps would run as root again.
    keywords = [instruction for instruction, _ in FINAL.instructions]
    assert "RUN" not in keywords[keywords.index("USER") :]


def test_final_stage_installs_no_build_tools() -> None:
    for run in FINAL.all("RUN"):
        for tool in BUILD_TOOLS:
            assert tool not in run, f"{tool!r} in final-stage RUN: {run}"


def test_production_mode_and_worker_count_are_image_defaults() -> None:
    env = _env(FINAL)
    assert env["SARCOMA_CDS_MODE"] == "production"
    assert int(env["SARCOMA_CDS_WORKERS"]) >= 2
    assert env["SARCOMA_CDS_RULES_DIR"] == "/app/cql-free-rules"
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    known = {f"SARCOMA_CDS_{name.upper()}" for name in Settings.model_fields}
    assert {key for key in env if key.startswith("SARCOMA_CDS_")} <= known


def test_rules_are_copied_into_the_image() -> None:
    assert "cql-free-rules/ /app/cql-free-rules/" in FINAL.all("COPY")


def test_healthcheck_probes_healthz_with_the_standard_library() -> None:
    [healthcheck] = FINAL.all("HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "urllib.request" in healthcheck
    assert "curl" not in healthcheck
    assert "wget" not in healthcheck


def test_entrypoint_is_the_copied_start_script() -> None:
    [entrypoint] = FINAL.all("ENTRYPOINT")
    assert entrypoint == '["/app/entrypoint.sh"]'
    assert any(
        copy.endswith("deploy/entrypoint.sh /app/entrypoint.sh") for copy in FINAL.all("COPY")
    )


def _dockerignore_includes() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {line[1:].rstrip("/") for line in lines if line.startswith("!")}


def test_every_copied_context_path_exists_and_is_in_the_build_context() -> None:
    included = _dockerignore_includes()
    for stage in STAGES:
        for copy in stage.all("COPY"):
            if "--from=" in copy:
                continue
            sources = [word for word in copy.split() if not word.startswith("--")][:-1]
            for source in sources:
                source = source.rstrip("/")
                assert (ROOT / source).exists(), source
                assert source in included, f"{source} is excluded by .dockerignore"


def test_dockerignore_excludes_everything_else_first() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    assert next(line for line in lines if not line.startswith("#")) == "**"
    assert not {".venv", ".git", "tests", "var"} & _dockerignore_includes()


def _fake_cli(folder: Path) -> Path:
    fake = folder / "sarcoma-cds"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    return fake


def test_entrypoint_serves_on_all_interfaces_with_the_configured_workers(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_cli(bin_dir)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_123.db").write_text("stale")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SARCOMA_CDS_PORT": "9090",
        "SARCOMA_CDS_WORKERS": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    result = subprocess.run(
        ["sh", str(ENTRYPOINT)], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "9090",
        "--workers",
        "3",
    ]
    assert list(metrics_dir.iterdir()) == [], "stale metric files must be removed at start"


def test_entrypoint_runs_a_given_command_instead_of_serving() -> None:
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "echo", "evaluate only"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "evaluate only\n"


def test_entrypoint_is_valid_posix_shell_and_executable() -> None:
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    assert os.access(ENTRYPOINT, os.X_OK)


def test_dependencies_are_installed_at_the_locked_versions() -> None:
    [install] = [run for run in STAGES[0].all("RUN") if "pip install" in run]
    assert "--constraint requirements/test.lock" in install
    assert "--upgrade" not in install, "an unpinned upgrade would bypass the lock"
    assert "requirements/test.lock requirements/test.lock" in STAGES[0].all("COPY")


def test_the_image_is_labelled_with_the_commit_it_was_built_from() -> None:
    assert "GIT_COMMIT=unknown" in FINAL.all("ARG")
    [labels] = FINAL.all("LABEL")
    assert 'org.opencontainers.image.revision="${GIT_COMMIT}"' in labels


def test_the_runtime_stage_checks_the_copied_venv_runs() -> None:
    """The venv links the builder's `python`; a base with it elsewhere fails the build here."""
    keywords = [instruction for instruction, _ in FINAL.instructions]
    checks = [run for run in FINAL.all("RUN") if run.startswith('["/opt/venv/bin/python"')]
    assert checks, "no RUN of the venv's python in the runtime stage"
    copy_at = next(i for i, (kw, args) in enumerate(FINAL.instructions) if "--from=builder" in args)
    assert keywords.index("RUN", copy_at) > copy_at


def test_no_syntax_directive_that_an_air_gapped_build_would_have_to_pull() -> None:
    assert not DOCKERFILE.read_text().startswith("# syntax=")


def test_no_buildkit_only_syntax_so_the_classic_builder_builds_it_too() -> None:
    # Debian's docker.io (20.10) builds with the classic builder unless buildx is installed;
    # it refuses `COPY --chmod`/`--link`, `RUN --mount` and heredocs.
    for stage in STAGES:
        for instruction, args in stage.instructions:
            assert not re.search(r"--(chmod|link|mount|network|security)\b", args), (
                f"{instruction} {args}"
            )
            assert "<<" not in args, f"{instruction} {args}"


def test_the_builder_installs_from_the_wheelhouse_when_told_there_is_no_index() -> None:
    builder = STAGES[0]
    assert "PIP_NO_INDEX" in builder.all("ARG")
    assert _env(builder)["PIP_FIND_LINKS"] == "/wheels"
    assert "deploy/wheelhouse/ /wheels/" in builder.all("COPY")
    # Only the builder sees the wheels: the runtime stage copies the venv, not /wheels.
    assert not any("/wheels" in args for _, args in FINAL.instructions)
    ignored = (ROOT / "deploy" / "wheelhouse" / ".gitignore").read_text().splitlines()
    assert "*" in ignored and "!.gitignore" in ignored
