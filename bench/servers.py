"""Start the service or the floor under uvicorn on a free loopback port, and read worker memory.

Peak RSS is the kernel's high-water mark (VmHWM in /proc/<pid>/status) of each worker process:
the uvicorn process itself with one worker, its spawned children with more.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def command(target: str, port: int, workers: int) -> list[str]:
    """The service exactly as `sarcoma-cds serve` runs it; the floor under the same server stack."""
    common = ["--host", LOOPBACK, "--port", str(port), "--workers", str(workers)]
    if target == "service":
        return [sys.executable, "-m", "sarcoma_cds.cli", "serve", *common]
    if target == "floor":  # the same uvicorn loop and HTTP protocol as serve (floor.py)
        return [sys.executable, "-m", "bench.floor", *common]
    raise ValueError(f"unknown target {target!r}: expected 'service' or 'floor'")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _cpu_seconds(pid: int) -> float:
    # the fields after the command name (which may hold spaces): utime and stime are 12th, 13th
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    target: str
    workers: int
    base_url: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.process.pid]
        return [
            pid
            for pid in _children(self.process.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    def cpu_seconds(self) -> list[float]:
        """User + system CPU seconds of each worker so far (/proc/<pid>/stat)."""
        return [_cpu_seconds(pid) for pid in self.worker_pids()]

    def peak_rss_mb(self) -> list[float]:
        return sorted(_vm_hwm_mb(pid) for pid in self.worker_pids())

    def wait_for_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.target}: {self.workers} workers did not start")
            time.sleep(0.1)


@contextmanager
def running(target: str, workers: int, workdir: Path) -> Iterator[Server]:
    """Run one server; its output goes to a log file in `workdir`, never to a pipe that fills."""
    port = free_port()
    metrics_dir = workdir / f"metrics-{target}-{workers}"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "service"), str(ROOT)]),
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{workdir / f'feedback-{target}-{workers}.db'}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # as the container image runs it
    }
    log_path = workdir / f"{target}-{workers}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command(target, port, workers),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield Server(target, workers, f"http://{LOOPBACK}:{port}", process)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # uvicorn stops its own workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the session we started, and nothing else
        process.wait(timeout=5)
