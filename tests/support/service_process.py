"""`sarcoma-cds serve` as a real subprocess (uvicorn, one or more workers) for the hardening
tests and probes: environment in, base URL out, the worker processes' peak RSS on request."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support.serve import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


@dataclass
class ServiceProcess:
    url: str
    process: subprocess.Popen[str]
    log: list[str]  # stderr lines so far (JSON log lines)

    def pids(self) -> list[int]:
        """The serving processes: the uvicorn parent, and its workers when there are several."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [self.process.pid, *found]

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the serving processes, in MB."""
        peaks = [_status_kb(pid, "VmHWM") for pid in self.pids()]
        return max(peaks) / 1024

    def rss_mb(self) -> float:
        return max(_status_kb(pid, "VmRSS") for pid in self.pids()) / 1024


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def running_service(
    env: Mapping[str, str], workdir: Path, *, workers: int = 1, source: Path = ROOT / "service"
) -> Iterator[ServiceProcess]:
    """Serve on a free port with `env` (SARCOMA_CDS_* settings) until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sarcoma_cds.cli", "serve", "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        env={**os.environ, "PYTHONPATH": str(source), **env},
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(iter(process.stderr.readline, "")))  # type: ignore[union-attr]
    reader.start()
    service = ServiceProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(service, workers)
        yield service
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _wait_ready(service: ServiceProcess, workers: int) -> None:
    """Every worker has started (its "startup complete" line) and /healthz answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            time.sleep(0.5)
            tail = "".join(service.log)[-2000:]
            raise RuntimeError(f"sarcoma-cds serve exited {service.process.returncode}: {tail}")
        started = sum("startup complete" in line for line in list(service.log))
        try:
            answered = httpx.get(f"{service.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            answered = False
        if answered and started >= workers:
            return
        time.sleep(0.3)
    raise RuntimeError(f"sarcoma-cds serve did not start {workers} worker(s) in time")
