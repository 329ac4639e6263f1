"""Population screening bench (issue 16): a seeded Bulk Data export, `screen` against the floor.

    PYTHONPATH=service .venv/bin/python bench/population.py                  # 20,000 patients
    PYTHONPATH=service .venv/bin/python bench/population.py --patients 500 --out /tmp/x.md

Generates (seeded: same arguments, same bytes) an NDJSON export of `--patients` patients, a few
percent of them sarcoma patients cloned from the example patients with cards (new ids, their
references rewritten), the rest EHR background (comorbidities, vitals and laboratory results,
procedures, prescriptions, encounters, reports). Then, in the same run, on the same files:

- the **floor**: read every line of every file and parse it with orjson, in one process;
- `sarcoma-cds screen` with the default engine (a process per core), and with `--engine dask`
  (a Dask LocalCluster of one worker process per core);

each `--rounds` times (default 3), one after the other, so that on a shared machine each sees
the same conditions; and writes a markdown report (default `bench/POPULATION_RESULTS.md`, never
edited by hand): median wall time, ratio to the floor (goal ≤ 3×; also per round), patients/s,
peak RSS (the sum over the screen process and its workers, sampled every 50 ms), CPU seconds,
and whether every run of both engines gave the same worklist.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run as a script: the repository root holds the bench package
    sys.path[:0] = [str(ROOT), str(ROOT / "service")]

from bench.population_export import SARCOMA_TEMPLATES, generate  # noqa: E402

TODAY = "2026-06-01"


# --- measuring --------------------------------------------------------------------------------
def floor(folder: Path) -> tuple[float, int, float]:
    """Read and parse every line of every file, one process: (seconds, lines, CPU seconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    lines = 0
    for path in sorted(folder.iterdir()):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as f:
            for line in f:
                orjson.loads(line)
                lines += 1
    return time.perf_counter() - started, lines, time.process_time() - cpu


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    rows: bytes  # worklist.csv
    cpu: float = 0.0  # user + system seconds of the process and every child it waited for


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def screen(folder: Path, out: Path, engine: str) -> Run:
    """`sarcoma-cds screen` in a subprocess, its process tree's RSS summed every 50 ms."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "service")}
    command = [
        sys.executable,
        "-m",
        "sarcoma_cds.cli",
        "screen",
        str(folder),
        "--out",
        str(out),
        "--today",
        TODAY,
        "--engine",
        engine,
    ]
    started, cpu_before = time.perf_counter(), _children_cpu()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        err = process.stderr.read() if process.stderr else b""
        raise SystemExit(f"screen --engine {engine} failed: {err.decode()[-2000:]}")
    cpu = _children_cpu() - cpu_before
    return Run(seconds, peak / 2**20, (out / "worklist.csv").read_bytes(), cpu)


def median_run(runs: list[Run]) -> Run:
    """One engine's rounds as one row: the median wall and CPU time, the highest peak RSS, and
    the worklist (every round's is compared in `report`)."""
    return Run(
        statistics.median(r.seconds for r in runs),
        max(r.peak_rss_mb for r in runs),
        runs[0].rows,
        statistics.median(r.cpu for r in runs),
    )


def report(
    args: argparse.Namespace,
    counts: dict[str, int],
    size: int,
    floors: list[tuple[float, float]],
    lines: int,
    rounds: dict[str, list[Run]],
) -> str:
    floor_s = statistics.median(s for s, _ in floors)
    args.floor_cpu = statistics.median(c for _, c in floors)
    runs = {name: median_run(each) for name, each in rounds.items()}
    local = runs["local"]
    ratio = local.seconds / floor_s
    rows = local.rows.count(b"\n") - 1
    per_round = ", ".join(
        f"{r.seconds / s:.2f}" for r, (s, _) in zip(rounds["local"], floors, strict=True)
    )
    out = [
        "# Population screening bench (issue 16)",
        "",
        f"Written by `bench/population.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())};"
        " not edited by hand.",
        "",
        f"Machine: {platform.machine()}, {psutil.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; 1-minute load average {args.load:.2f} at the "
        f"start, {args.load_end:.2f} at the end.",
        "",
        "## Export",
        "",
        f"{args.patients} patients (seed {args.seed}), {counts['_sarcoma_patients']} of them "
        f"sarcoma patients cloned from {len(SARCOMA_TEMPLATES)} example patients; {lines} lines, "
        f"{size / 2**20:.0f} MB on disk (Encounter gzip, the rest plain NDJSON).",
        "",
        "## Results",
        "",
        f"{len(floors)} rounds, each the floor then every engine, one after the other; the table "
        "gives the median of the rounds (peak RSS: the highest). The default engine against the "
        f"floor of the same round: {per_round}.",
        "",
        "| run | seconds | × floor | patients/s | peak RSS (MB) | worklist rows | CPU s "
        "| CPU × floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| floor: read + orjson every line, 1 process | {floor_s:.1f} | 1.0 | "
        f"{args.patients / floor_s:.0f} | | | {args.floor_cpu:.1f} | 1.0 |",
    ]
    for name, run in runs.items():
        n_rows = run.rows.count(b"\n") - 1
        label = {
            "local": "screen, default engine (process pool)",
            "dask": "screen --engine dask (LocalCluster)",
        }[name]
        out.append(
            f"| {label} | {run.seconds:.1f} | {run.seconds / floor_s:.2f} | "
            f"{args.patients / run.seconds:.0f} | {run.peak_rss_mb:.0f} | {n_rows} | "
            f"{run.cpu:.1f} | {run.cpu / args.floor_cpu:.1f} |"
        )
    same = all(r.rows == local.rows for each in rounds.values() for r in each)
    out += [
        "",
        "## Targets",
        "",
        f"- Default engine ≤ 3 × floor: **{'met' if ratio <= 3 else 'not met'}** ({ratio:.2f} ×, "
        "medians).",
        f"- Every engine gives the same worklist: **{'yes' if same else 'NO'}** ({rows} rows).",
        "",
        "CPU s: user + system seconds of the run and all its processes (`getrusage` of the "
        "children), which the machine's load does not inflate as much as the wall time; on two "
        "cores the wall time cannot fall below half of it. "
        "The screen times include starting the interpreter, loading and validating the rules "
        "(each engine's workers), all three passes and writing worklist.csv, worklist.parquet "
        "and report.html.",
        "",
    ]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--sarcoma-percent", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "POPULATION_RESULTS.md")
    parser.add_argument(
        "--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"]
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="measure the floor and each engine this many times"
    )
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="population-bench-") as tmp:
        folder = Path(tmp) / "export"
        print(f"generating {args.patients} patients …", flush=True)
        counts = generate(folder, args.patients, args.sarcoma_percent, args.seed)
        size = sum(p.stat().st_size for p in folder.iterdir())
        floor(folder)  # warm the page cache: every run reads from memory
        # The machine may be shared: the floor and the engines are measured in turn, several
        # times, so that each sees the same conditions; the report gives medians.
        floors: list[tuple[float, float]] = []
        rounds: dict[str, list[Run]] = {engine: [] for engine in args.engines}
        for n in range(args.rounds):
            floor_s, lines, floor_cpu = floor(folder)
            floors.append((floor_s, floor_cpu))
            print(f"round {n + 1}: floor {floor_s:.1f} s for {lines} lines", flush=True)
            for engine in args.engines:
                out = Path(tmp) / f"out-{engine}-{n}"
                run = screen(folder, out, engine)
                shutil.rmtree(out)
                rounds[engine].append(run)
                print(f"  {engine}: {run.seconds:.1f} s, {run.peak_rss_mb:.0f} MB", flush=True)
    args.load_end = os.getloadavg()[0]
    args.out.write_text(report(args, counts, size, floors, lines, rounds), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
