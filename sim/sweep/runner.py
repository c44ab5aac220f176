"""Run a sweep: plan tasks, run them on an executor, store results, resume.

The model is a function here: for one design point and strategy,
``TeamBatch(base.replace(point values), strategy, seeds, months)`` turns
parameters and seeds into run metrics and monthly series. One task is one
strategy at one design point for a block of replications, advanced together by the
batched engine. Replication ``i`` has the same seed in every task (common random
numbers, :mod:`sim.rng`), and its results do not depend on its block, so block
size, executor and workers never change results.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine import TeamBatch
from sim.output import base_manifest
from sim.rng import replication_seeds
from sim.scenario import Scenario
from sim.sweep.design import SEED_SCHEME, Design, resolve_design
from sim.sweep.executors import make_executor
from sim.sweep.experiment import Experiment
from sim.sweep.storage import SweepFolder, open_folder

logger = logging.getLogger(__name__)

# Replications advanced together in one task at most. Larger blocks amortise numpy
# overhead; the cap bounds a task's memory (history arrays are R x N x months).
MAX_BLOCK = 500

EXTRA_PACKAGES = ("SALib", "dask", "distributed")


@dataclass(frozen=True)
class Task:
    """One strategy at one design point for replications ``start .. stop - 1``."""

    id: str
    strategy: str
    point: int
    values: dict[str, Any]
    start: int
    stop: int
    seeds: tuple[int, ...]

    @property
    def runs(self) -> int:
        """Number of runs in the task."""
        return self.stop - self.start


@dataclass(frozen=True)
class Job:
    """The settings every task of a sweep shares: base scenario, horizon, metrics."""

    base: Scenario
    months: int
    run_metrics: tuple[str, ...]
    monthly_metrics: tuple[str, ...]


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C after its manifest was updated.

    Attributes:
        folder: the output folder.
        completed_runs: runs stored in the folder, also in the manifest.
        expected_runs: strategies x points x replications.
    """

    def __init__(self, folder: Path, completed_runs: int, expected_runs: int):
        super().__init__(folder, completed_runs, expected_runs)
        self.folder = folder
        self.completed_runs = completed_runs
        self.expected_runs = expected_runs


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`run_sweep`.

    Attributes:
        folder: the output folder.
        expected_runs: strategies x points x replications.
        completed_runs: runs stored in the folder.
        runs_this_session: runs computed by this call (0 when already complete).
        seconds: wall-clock time of this call.
    """

    folder: Path
    expected_runs: int
    completed_runs: int
    runs_this_session: int
    seconds: float


def task_id(strategy_index: int, point: int, start: int) -> str:
    """Return a task's id; zero padding makes sorted ids follow the plan order."""
    return f"s{strategy_index:03d}-p{point:07d}-r{start:07d}"


def replications_per_task(
    strategies: int, points: int, replications: int, workers: int
) -> int:
    """Return the block size: whole replication sets unless workers would idle."""
    runs = strategies * points * replications
    # About four tasks per worker balances load without tiny batches.
    block = max(1, math.ceil(runs / (4 * workers)))
    return min(replications, MAX_BLOCK, block)


def plan_tasks(experiment: Experiment, design: Design, block: int) -> list[Task]:
    """Return every task of a sweep, in plan order: strategy, point, replication."""
    seeds = replication_seeds(experiment.seed, experiment.replications)
    tasks = []
    for index, strategy in enumerate(experiment.strategies):
        for point in range(len(design)):
            values = design.values(point)
            for start in range(0, experiment.replications, block):
                stop = min(start + block, experiment.replications)
                tasks.append(
                    Task(
                        task_id(index, point, start),
                        strategy,
                        point,
                        values,
                        start,
                        stop,
                        tuple(seeds[start:stop]),
                    )
                )
    return tasks


def run_task(task: Task, job: Job) -> tuple[str, pd.DataFrame, pd.DataFrame | None]:
    """Run one task; return its id, run rows and monthly rows (or ``None``)."""
    from strategies import get_strategy

    scenario = job.base.replace(task.values) if task.values else job.base
    batch = TeamBatch(scenario, get_strategy(task.strategy), task.seeds, job.months)
    recorder = batch.run().recorder
    replication = np.arange(task.start, task.stop, dtype=np.int64)

    runs = pd.DataFrame(
        {
            "strategy": task.strategy,
            "point": np.full(task.runs, task.point, dtype=np.int64),
            "replication": replication,
            "seed": np.asarray(task.seeds, dtype=np.int64),
        }
    )
    for setting, value in task.values.items():
        runs[setting] = value
    metrics = recorder.run_metrics()
    for name in job.run_metrics:
        runs[name] = np.asarray(metrics[name], dtype=np.float64)

    monthly = None
    if job.monthly_metrics:
        months = job.months
        monthly = pd.DataFrame(
            {
                "strategy": task.strategy,
                "point": np.full(task.runs * months, task.point, dtype=np.int64),
                "replication": np.repeat(replication, months),
                "month": np.tile(np.arange(months, dtype=np.int64), task.runs),
            }
        )
        for name in job.monthly_metrics:
            monthly[name] = recorder.monthly[name].reshape(-1).astype(np.float64)
    return task.id, runs, monthly


def sweep_size(experiment: Experiment, design: Design) -> str:
    """Return the size line, such as ``5 strategies x 64 points x 50 replications``."""
    strategies = len(experiment.strategies)
    points = len(design)
    replications = experiment.replications
    total = strategies * points * replications
    return (
        f"{_count(strategies, 'strategy', 'strategies')} x "
        f"{_count(points, 'point', 'points')} x "
        f"{_count(replications, 'replication', 'replications')} = "
        f"{_count(total, 'run', 'runs')}"
    )


def check_sweep(
    experiment: Experiment,
    out: str | Path,
    *,
    executor: str = "processes",
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    design: Design | None = None,
) -> None:
    """Raise the option errors :func:`run_sweep` would raise, without writing.

    Raises:
        OptionError: an unknown executor, ``scheduler`` without dask, dask not
            installed, or an output folder that cannot take this sweep.
    """
    design = design or resolve_design(experiment)
    make_executor(executor, workers, scheduler)
    open_folder(Path(out), _plan_fields(experiment, design), resume)


def run_sweep(
    experiment: Experiment,
    out: str | Path | None = None,
    *,
    executor: str = "processes",
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    design: Design | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run an experiment's sweep into a folder, or finish an interrupted one.

    Args:
        experiment: the loaded experiment.
        out: output folder; defaults to :meth:`Experiment.default_folder`.
        executor: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (>= 1).
        scheduler: Dask scheduler address; ``None`` starts a local cluster.
        resume: require an existing sweep in ``out`` and finish it. Without it an
            existing sweep of the same experiment is finished too, and a folder
            holding anything else is rejected.
        design: the resolved design, if already built.
        progress: called with the number of runs each finished task stored.

    Raises:
        OptionError: the folder contains other files or a different sweep, or an
            option is invalid.
    """
    started = time.perf_counter()
    folder_path = Path(out) if out is not None else experiment.default_folder()
    design = design or resolve_design(experiment)
    plan = _plan_fields(experiment, design)
    expected = len(experiment.strategies) * len(design) * experiment.replications
    pool = make_executor(executor, workers, scheduler)

    folder = open_folder(folder_path, plan, resume)
    if folder is None:
        block = replications_per_task(
            len(experiment.strategies), len(design), experiment.replications, workers
        )
        manifest = _new_manifest(experiment, design, plan, block, expected)
        folder = SweepFolder.create(folder_path, manifest, design.frame())
    else:
        removed = folder.remove_temporaries()
        if removed:
            logger.info("removed %d temporary files of an interrupted write", removed)

    block = folder.manifest["replications_per_task"]
    tasks = plan_tasks(experiment, design, block)
    done = folder.completed_tasks()
    todo = [task for task in tasks if task.id not in done]
    completed = sum(task.runs for task in tasks if task.id in done)
    if not todo:
        if folder.manifest.get("status") != "complete":
            folder.update_manifest(status="complete", completed_runs=completed)
        logger.info("%s is already complete; nothing to run", folder_path)
        return SweepResult(folder_path, expected, completed, 0, 0.0)

    if done:
        logger.info(
            "resuming %s: %s of %s runs already stored, %s to run",
            folder_path,
            f"{completed:,}",
            f"{expected:,}",
            f"{expected - completed:,}",
        )

    session = {
        "started": _now(),
        "finished": None,
        "executor": executor,
        "workers": pool.workers,
        "scheduler": scheduler,
        "runs_at_start": completed,
    }
    sessions = [*folder.manifest.get("sessions", []), session]
    folder.update_manifest(
        status="running",
        completed_runs=completed,
        executor=executor,
        workers=pool.workers,
        sessions=sessions,
    )

    job = Job(
        experiment.base,
        experiment.months,
        experiment.run_metrics,
        experiment.monthly_metrics,
    )
    ran = 0
    try:
        with pool:
            for identifier, runs, monthly in pool.run(partial(run_task, job=job), todo):
                folder.write_task(identifier, runs, monthly)
                ran += len(runs)
                # Rewrite after every part so the manifest never lags the parts.
                folder.update_manifest(completed_runs=completed + ran)
                if progress:
                    progress(len(runs))
    except KeyboardInterrupt:
        stored = _stored_runs(folder, tasks)
        session["finished"] = _now()
        session["runs"] = ran
        session["interrupted"] = True
        folder.update_manifest(completed_runs=stored, sessions=sessions)
        raise SweepInterrupted(folder_path, stored, expected) from None

    # Count from the files, not the tally, so the manifest states what is stored.
    stored = _stored_runs(folder, tasks)
    session["finished"] = _now()
    session["runs"] = ran
    folder.update_manifest(
        status="complete" if stored == expected else "running",
        completed_runs=stored,
        finished=session["finished"],
        sessions=sessions,
    )
    return SweepResult(
        folder_path, expected, stored, ran, time.perf_counter() - started
    )


def _stored_runs(folder: SweepFolder, tasks: list[Task]) -> int:
    done = folder.completed_tasks()
    return sum(task.runs for task in tasks if task.id in done)


def _plan_fields(experiment: Experiment, design: Design) -> dict[str, Any]:
    """Return the fields that identify a sweep, for the manifest and for resume."""
    plan = {
        "base_scenario": experiment.base.to_dict(),
        "design": design.describe(),
        "strategies": list(experiment.strategies),
        "replications": experiment.replications,
        "root_seed": experiment.seed,
        "months": experiment.months,
        "metrics": {
            "run": list(experiment.run_metrics),
            "monthly": list(experiment.monthly_metrics),
        },
    }
    text = json.dumps(plan, sort_keys=True, default=str)
    return {
        "experiment": {
            "path": str(experiment.path),
            "name": experiment.name,
            "question": experiment.question,
            "sha256": experiment.sha256,
            "text": experiment.text,
        },
        "quick": experiment.quick,
        "plan_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        **plan,
    }


def _new_manifest(experiment, design, plan, block, expected) -> dict[str, Any]:
    manifest = base_manifest("sweep")
    for name in EXTRA_PACKAGES:
        try:
            manifest["versions"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            manifest["versions"][name] = "not installed"
    manifest.update(plan)
    manifest.update(
        {
            "baseline": experiment.baseline,
            "base_sources": experiment.base_sources,
            "provenance": experiment.provenance,
            "seed_scheme": SEED_SCHEME,
            "replication_seeds": replication_seeds(
                experiment.seed, experiment.replications
            ),
            "replications_per_task": block,
            "point_count": len(design),
            "expected_runs": expected,
            "completed_runs": 0,
            "status": "running",
            "started": _now(),
            "finished": None,
            "sessions": [],
        }
    )
    return manifest


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {singular if number == 1 else plural}"


class ProgressLog:
    """Log runs done, rate and time left at most every ``interval`` seconds.

    For runs without a terminal (cluster jobs, CI), where a progress bar would
    only fill the log.

    Args:
        total: runs to do in this session.
        interval: seconds between log lines.
    """

    def __init__(self, total: int, interval: float = 30.0):
        self.total = total
        self.interval = interval
        self.done = 0
        self._start = time.monotonic()
        self._last = self._start

    def update(self, runs: int) -> None:
        """Count finished runs and log a line if ``interval`` has passed."""
        self.done += runs
        now = time.monotonic()
        if now - self._last >= self.interval or self.done >= self.total:
            self._last = now
            logger.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """Return the progress line: runs done, share, rate and time left."""
        elapsed = (now or time.monotonic()) - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        share = self.done / self.total if self.total else 1.0
        return (
            f"{self.done:,}/{self.total:,} runs ({share:.0%}), "
            f"{rate:,.1f} runs/s, {_duration(left)} left"
        )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown time"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"
