"""The container engine: Docker when its daemon answers, otherwise Podman from Debian's packages.

Podman runs as root with settings found necessary in restricted sandboxes (this machine among
them), all kept in a containers.conf of our own that only this tooling points Podman at:
- `default_ulimits` at the limits we have: the sandbox cannot raise RLIMIT_NOFILE/NPROC, and
  Podman's defaults (nofile 1048576, ...) make every container start fail;
- the `runc` runtime: crun refuses hybrid cgroup hierarchies (v1 controllers beside v2);
- cgroupfs and a file event log: there is no systemd.
Builds use `--format docker`, without which Podman drops the HEALTHCHECK. Neither engine's build
needs a network: the wheels come from the host (tools/image/wheelhouse.py). Containers run on the
host's network: there is no bridge here.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Debian's packages for a root Podman without systemd or a bridge network.
PODMAN_PACKAGES = ("podman", "runc")


class EngineError(RuntimeError):
    """No engine can build here, or an engine command failed; the message says which."""


@dataclass(frozen=True)
class Engine:
    name: str  # "docker" or "podman"
    env: dict[str, str] = field(default_factory=dict)
    build_options: tuple[str, ...] = ()
    run_options: tuple[str, ...] = ()

    def __call__(
        self, *args: str, check: bool = True, timeout: float | None = 600, quiet: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `<engine> args`; output captured when quiet, shown otherwise."""
        command = [self.name, *args]
        try:
            result = subprocess.run(
                command,
                env={**os.environ, **self.env},
                capture_output=quiet,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(f"{' '.join(command[:3])} ...: no answer in {timeout} s") from None
        if check and result.returncode != 0:
            detail = (result.stderr or "").strip().splitlines()[-3:] if quiet else []
            raise EngineError(
                f"{' '.join(command[:4])} ... exited {result.returncode}: " + " | ".join(detail)
            )
        return result

    def has_image(self, name: str) -> bool:
        return self("image", "inspect", name, check=False, timeout=60).returncode == 0


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def install_debian_packages(packages: Sequence[str]) -> None:
    """apt-get install, as root (the same way `tasks.py test` installs PostgreSQL)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise EngineError(
            f"no container engine: neither a Docker daemon nor Podman; install one, e.g. "
            f"sudo apt-get install {' '.join(packages)}"
        )
    print(f"Installing Debian's {', '.join(packages)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
    ):
        print("+", " ".join(command), flush=True)
        subprocess.run(command, check=True, env=env, stdout=sys.stderr)


# Podman lowers its own RLIMIT_NPROC to this at start (seen in conmon's limits), so its
# containers can be given no more.
PODMAN_NPROC = 32768


def _limits() -> list[str]:
    """Our own RLIMIT_NOFILE and RLIMIT_NPROC (capped as Podman caps itself) as ulimits: the
    most a container can be given without CAP_SYS_RESOURCE."""
    found = []
    for name, limit, cap in (
        ("nofile", resource.RLIMIT_NOFILE, None),
        ("nproc", resource.RLIMIT_NPROC, PODMAN_NPROC),
    ):
        _, hard = resource.getrlimit(limit)
        values = [v for v in (hard, cap) if v is not None and v != resource.RLIM_INFINITY]
        if values:
            found.append(f"{name}={min(values)}:{min(values)}")
    return found


def _containers_conf(folder: Path) -> Path:
    ulimits = ", ".join(f'"{limit}"' for limit in _limits())
    conf = folder / "containers.conf"
    conf.write_text(
        "# Written by tools/image/engine.py for `tasks.py image`; see its docstring.\n"
        f"[containers]\ndefault_ulimits = [{ulimits}]\n"
        '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
    )
    return conf


def podman(cache: Path) -> Engine:
    missing = [package for package in PODMAN_PACKAGES if shutil.which(package) is None]
    if missing:
        install_debian_packages(missing)
    conf = _containers_conf(cache)
    build = ["--format", "docker"]
    for limit in _limits():
        build += ["--ulimit", limit]
    return Engine(
        name="podman",
        env={"CONTAINERS_CONF": str(conf)},
        build_options=tuple(build),
        run_options=("--network", "host"),
    )


def find_engine(cache: Path) -> Engine:
    """Docker if its daemon answers (as it is, nothing changed), else Podman (installed)."""
    if docker_answers():
        return Engine(name="docker", run_options=("--network", "host"))
    return podman(cache)
