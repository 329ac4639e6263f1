"""Where the passes run: a process pool on this machine (every core, the default), or a Dask
cluster — a `LocalCluster`, or any running cluster by its scheduler address.

Both run the same functions of `stages.py` over the same items, and report each finished item
to the progress bar. Spark is named on the command line but not built: choosing it is an error
that says so (docs/design.md, "Population screening").
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

from sarcoma_cds.population.source import cpu_count

T = TypeVar("T")
R = TypeVar("R")
ENGINES = ("local", "dask", "spark")


class RunnerError(Exception):
    """The engine cannot run (Spark not built, scheduler unreachable): a one-line message."""


class Runner(Protocol):
    name: str
    workers: int

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        *args: Any,
        done: Callable[[], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> list[R]:
        """`fn(item, *args)` for every item; `done` after each; `meanwhile` once every item
        is submitted, in this process, while the workers run (after they are started, so
        nothing it imports is half-imported in a forked worker)."""
        ...

    def close(self) -> None: ...


class LocalRunner:
    """A process pool with one process per core. Forked after the parent loaded the engine, so
    the workers start with the rules and value sets already in memory."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or cpu_count()
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_tune_gc
        )

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        *args: Any,
        done: Callable[[], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> list[R]:
        futures: dict[Future[R], int] = {
            self._pool.submit(fn, item, *args): i for i, item in enumerate(items)
        }
        if meanwhile is not None:
            meanwhile()
        return _gather(futures, as_completed(futures), done)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def _tune_gc() -> None:
    """As `serve` does in each worker: what the worker inherited (rules, value sets, modules)
    leaves every GC pass, and the passes, which allocate many short-lived objects, collect
    less often (pass 3 about 10 % faster)."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


class DaskRunner:
    """Dask distributed: `Client(scheduler)` for a running cluster (the work folder must be on
    storage every worker sees), or a `LocalCluster` of one worker process per core."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, processes: bool = True) -> None:
        from distributed import Client, LocalCluster

        self._cluster: LocalCluster | None = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="5s")
            else:
                self._cluster = LocalCluster(
                    n_workers=cpu_count(),
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise RunnerError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        self.workers = max(1, len(self._client.scheduler_info(n_workers=-1)["workers"]))

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        *args: Any,
        done: Callable[[], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> list[R]:
        from distributed import as_completed as dask_completed

        futures = self._client.map(fn, list(items), *[[a] * len(items) for a in args], pure=False)
        if meanwhile is not None:
            meanwhile()
        index = {f.key: i for i, f in enumerate(futures)}
        out: dict[int, R] = {}
        for future in dask_completed(futures):
            out[index[future.key]] = future.result()
            done()
        return [out[i] for i in range(len(items))]

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _gather(
    futures: dict[Future[R], int], finished: Iterable[Future[R]], done: Callable[[], None]
) -> list[R]:
    out: dict[int, R] = {}
    for future in finished:
        out[futures[future]] = future.result()
        done()
    return [out[i] for i in range(len(futures))]


def make_runner(engine: str, scheduler: str | None) -> Runner:
    if engine == "spark":
        raise RunnerError(
            "the Spark engine is not available in this build: the distributed engine is Dask "
            "(pure Python, no JVM; docs/design.md says why); use --engine dask (any Dask "
            "cluster by --scheduler) or the default --engine local"
        )
    if engine == "dask":
        return DaskRunner(scheduler)
    if scheduler:
        raise RunnerError("--scheduler needs --engine dask")
    return LocalRunner()
