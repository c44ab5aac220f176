"""Executors: where a sweep's tasks run.

Every executor takes a picklable function of one task and yields each result as
soon as it is ready, in completion order. At most a few tasks per worker are in
flight at once, so memory stays flat however many tasks a sweep has. A task's
result depends only on the task, so all three executors give identical results.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from sim.errors import OptionError

logger = logging.getLogger(__name__)

EXECUTORS = ("serial", "processes", "dask")

# Tasks in flight per worker: enough to keep workers busy while the parent writes.
TASKS_PER_WORKER = 2

# Seconds to wait for a Dask scheduler given with --scheduler.
CONNECT_TIMEOUT = 30


class SerialExecutor:
    """Run tasks one after another in this process."""

    name = "serial"

    def __init__(self, workers: int = 1):
        self.workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def run(self, function: Callable[[Any], Any], tasks: Iterable) -> Iterator:
        """Yield ``function(task)`` for each task, in order."""
        for task in tasks:
            yield function(task)


class ProcessExecutor:
    """Run tasks in worker processes on this machine.

    Workers are started with the ``spawn`` method, chosen here and not at import,
    because it is safe on every platform and with threads in the parent.
    """

    name = "processes"

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_exit_with_parent,
        )
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if exc_type is None:
            pool.shutdown(wait=True)
            return
        # Ctrl-C or an error in the parent: drop queued tasks and stop the
        # workers now, without waiting for the tasks they are running. A kill -9
        # of the parent skips this code, and _exit_with_parent covers that case.
        # NOTE: _processes is private, but the pool has no public way to stop
        # running workers (Python 3.11).
        workers = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            if process.is_alive():
                process.terminate()
        for process in workers:
            process.join(timeout=5)

    def run(self, function: Callable[[Any], Any], tasks: Iterable) -> Iterator:
        """Yield each task's result as it finishes."""
        pending = iter(tasks)
        in_flight = set()
        window = self.workers * TASKS_PER_WORKER
        while True:
            while len(in_flight) < window:
                task = next(pending, None)
                if task is None:
                    break
                in_flight.add(self._pool.submit(function, task))
            if not in_flight:
                return
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


class DaskExecutor:
    """Run tasks on a Dask cluster: a running scheduler, or a local cluster.

    Args:
        workers: worker processes of the local cluster (one thread each), and the
            number of tasks in flight per worker is based on it.
        scheduler: address of a running scheduler (``tcp://host:8786``); ``None``
            starts a local cluster bound to 127.0.0.1.

    Results travel back to this process, which writes them, so workers need no
    access to the output folder. Workers must be able to import QuotaLab and any
    ``module:attribute`` strategy.
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None):
        # Checked here, not only at __enter__, so the error comes before any output.
        if importlib.util.find_spec("distributed") is None:
            raise OptionError(
                "--executor: dask is not installed; install the extra with "
                "pip install 'quotalab[dask]'"
            )
        self.workers = workers
        self.scheduler = scheduler
        self._client = None
        self._cluster = None

    def __enter__(self) -> DaskExecutor:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise OptionError(
                "--executor: dask is not installed; install the extra with "
                "pip install 'quotalab[dask]'"
            ) from None
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as error:
                raise OptionError(
                    f"--scheduler: cannot connect to {self.scheduler!r} ({error}); "
                    "check the address and that the scheduler is running"
                ) from None
            # Keep as many tasks in flight as the cluster has worker threads.
            threads = sum(self._client.nthreads().values())
            self.workers = max(1, threads)
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
        logger.info("dask dashboard: %s", self._client.dashboard_link)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(self, function: Callable[[Any], Any], tasks: Iterable) -> Iterator:
        """Yield each task's result as it finishes."""
        from dask.distributed import as_completed

        pending = iter(tasks)
        window = self.workers * TASKS_PER_WORKER
        first = [
            self._client.submit(function, task, pure=False)
            for task in _take(pending, window)
        ]
        if not first:
            return
        completed = as_completed(first)
        for future in completed:
            result = future.result()
            future.release()
            for task in _take(pending, 1):
                completed.add(self._client.submit(function, task, pure=False))
            yield result


def make_executor(name: str, workers: int, scheduler: str | None = None):
    """Return the executor called ``name``.

    Raises:
        OptionError: an unknown name, or ``scheduler`` without ``dask``.
    """
    if name not in EXECUTORS:
        raise OptionError(
            f"--executor: unknown executor {name!r}; valid: {', '.join(EXECUTORS)}"
        )
    if scheduler and name != "dask":
        raise OptionError("--scheduler: only applies with --executor dask")
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    return DaskExecutor(workers, scheduler)


def _exit_with_parent() -> None:
    """Start a thread in a worker process that ends the worker when its parent dies.

    ``ProcessPoolExecutor`` workers wait on a queue whose write end they also
    hold, so they never see end-of-file and would linger after a kill -9 of the
    parent. The parent's sentinel becomes ready when the parent exits by any
    means, busy or idle worker alike.
    """
    import multiprocessing
    import threading
    from multiprocessing.connection import wait as wait_for

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait_for([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _take(iterator: Iterator, count: int) -> list:
    items = []
    for _ in range(count):
        item = next(iterator, None)
        if item is None:
            break
        items.append(item)
    return items
