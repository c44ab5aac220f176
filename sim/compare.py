"""Compare strategies on common random numbers: parameters and seeds in, outcomes out.

Replication ``i`` uses seed ``replication_seed(seed, i)`` under every strategy, so
strategies meet the same market path, shocks and initial team, and differences are
paired. Work is split into (strategy, block of replications) tasks; a replication's
result does not depend on the block it runs in, so any number of workers gives
identical results.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine import TeamBatch
from sim.errors import OptionError
from sim.metrics import MONTHLY_METRICS, RUN_METRICS
from sim.rng import replication_seeds
from sim.scenario import Scenario
from strategies import get_strategy
from strategies.base import Strategy

logger = logging.getLogger(__name__)

# Replications advanced together in one task. Larger blocks amortise numpy overhead;
# the cap bounds a task's memory (history arrays are R x N x months).
MAX_BLOCK = 500


@dataclass
class ComparisonResult:
    """Outcomes of a comparison.

    Attributes:
        runs: one row per strategy and replication, with its seed and run metrics.
        monthly: team-level series, one row per strategy, replication and month.
        attainment: every measured rep-period attainment, with strategy and
            replication.
        changes: every mid-period quota change (replication, month, seat, old, new,
            trigger), by strategy.
        summary: one row per strategy: ``<metric>_mean``, ``_ci_low``, ``_ci_high``.
        differences: paired differences against the baseline, same layout.
        seconds: wall-clock time of the simulation.
    """

    runs: pd.DataFrame
    monthly: pd.DataFrame
    attainment: pd.DataFrame
    changes: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    strategies: list[str]
    baseline: str
    seeds: list[int]
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def run_comparison(
    scenario: Scenario,
    strategies: Sequence[str | Strategy],
    *,
    replications: int = 200,
    months: int = 36,
    seed: int = 0,
    workers: int = 1,
    baseline: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ComparisonResult:
    """Run every strategy on the same replications and summarise the outcomes.

    Args:
        scenario: the scenario every strategy runs on.
        strategies: names, ``module:attribute`` paths or instances.
        replications: number of paired replications (>= 1).
        months: horizon in months (>= 1).
        seed: root seed (>= 0).
        workers: worker processes (>= 1); 1 runs in this process.
        baseline: strategy that paired differences are taken against; defaults to
            the first strategy.
        progress: called with the number of replications finished by each task.
    """
    _check_positive("--replications", replications)
    _check_positive("--months", months)
    _check_positive("--workers", workers)
    if seed < 0:
        raise OptionError(f"--seed: must be >= 0 (got {seed})")
    instances = [get_strategy(s) for s in strategies]
    names = [
        _strategy_label(spec, inst)
        for spec, inst in zip(strategies, instances, strict=True)
    ]
    if len(set(names)) != len(names):
        raise OptionError(f"--strategies: each strategy may appear once (got {names})")
    baseline = baseline or names[0]
    if baseline not in names:
        raise OptionError(
            f"--baseline: {baseline!r} is not among the compared strategies "
            f"({', '.join(names)})"
        )

    seeds = replication_seeds(seed, replications)
    tasks = _plan_tasks(strategies, instances, names, replications, workers)
    logger.info(
        "comparing %d strategies x %d replications = %d runs of %d months",
        len(names),
        replications,
        len(names) * replications,
        months,
    )
    started = time.perf_counter()
    outputs = _execute(tasks, scenario, seeds, months, workers, progress)
    seconds = time.perf_counter() - started

    return _assemble(outputs, names, baseline, seeds, seconds)


def _check_positive(option: str, value: int) -> None:
    if not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"{option}: must be a whole number >= 1 (got {value!r})")


def _strategy_label(spec, instance: Strategy) -> str:
    if isinstance(spec, str):
        return spec
    return instance.name or type(instance).__name__


def _plan_tasks(strategies, instances, names, replications, workers):
    block = min(MAX_BLOCK, max(1, math.ceil(replications * len(names) / workers)))
    block = min(block, replications)
    tasks = []
    for spec, instance, name in zip(strategies, instances, names, strict=True):
        # Strings travel to worker processes; instances stay in this process.
        payload = spec if isinstance(spec, str) else instance
        for start in range(0, replications, block):
            tasks.append((name, payload, start, min(start + block, replications)))
    return tasks


def _execute(tasks, scenario, seeds, months, workers, progress):
    local = workers == 1 or any(not isinstance(t[1], str) for t in tasks)
    if local:
        results = []
        for task in tasks:
            results.append(_run_task(task, scenario, seeds, months))
            if progress:
                progress(task[3] - task[2])
        return results

    # The start method is chosen here, never at import: spawn is safe on every
    # platform and with threads in the parent.
    context = multiprocessing.get_context("spawn")
    # More processes than tasks would only add start-up cost.
    workers = min(workers, len(tasks))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_run_task, t, scenario, seeds, months) for t in tasks]
        results = []
        for future, task in zip(futures, tasks, strict=True):
            results.append(future.result())
            if progress:
                progress(task[3] - task[2])
    return results


def _run_task(task, scenario, seeds, months) -> dict:
    name, spec, start, stop = task
    strategy = get_strategy(spec)
    batch = TeamBatch(scenario, strategy, seeds[start:stop], months).run()
    recorder = batch.recorder
    return {
        "strategy": name,
        "start": start,
        "seeds": seeds[start:stop],
        "runs": recorder.run_metrics(),
        "monthly": {k: recorder.monthly[k] for k in MONTHLY_METRICS},
        "attainment": recorder.attainment_samples(),
        "changes": batch.change_log,
    }


def _assemble(outputs, names, baseline, seeds, seconds) -> ComparisonResult:
    run_frames, monthly_frames, attainment_frames, change_rows = [], [], [], []
    for out in outputs:
        count = len(out["seeds"])
        replication = np.arange(out["start"], out["start"] + count)
        frame = pd.DataFrame(
            {
                "strategy": out["strategy"],
                "replication": replication,
                "seed": np.asarray(out["seeds"], dtype=np.int64),
            }
        )
        for metric in RUN_METRICS:
            frame[metric] = out["runs"][metric]
        run_frames.append(frame)

        months = out["monthly"]["revenue"].shape[1]
        monthly = pd.DataFrame(
            {
                "strategy": out["strategy"],
                "replication": np.repeat(replication, months),
                "month": np.tile(np.arange(months), count),
            }
        )
        for metric in MONTHLY_METRICS:
            monthly[metric] = out["monthly"][metric].reshape(-1)
        monthly_frames.append(monthly)

        samples = out["attainment"]
        rows, cols = np.nonzero(np.isfinite(samples))
        attainment_frames.append(
            pd.DataFrame(
                {
                    "strategy": out["strategy"],
                    "replication": replication[rows],
                    "attainment": samples[rows, cols],
                }
            )
        )
        for r, month, seat, old, new, trigger in out["changes"]:
            change_rows.append(
                (out["strategy"], int(replication[r]), month, seat, old, new, trigger)
            )

    order = {name: i for i, name in enumerate(names)}
    runs = _ordered(pd.concat(run_frames, ignore_index=True), order, ["replication"])
    monthly = _ordered(
        pd.concat(monthly_frames, ignore_index=True), order, ["replication", "month"]
    )
    attainment = pd.concat(attainment_frames, ignore_index=True)
    changes = pd.DataFrame(
        change_rows,
        columns=[
            "strategy",
            "replication",
            "month",
            "seat",
            "old_quota",
            "new_quota",
            "trigger",
        ],
    )
    summary = summarise(runs, names)
    differences = paired_differences(runs, names, baseline)
    return ComparisonResult(
        runs,
        monthly,
        attainment,
        changes,
        summary,
        differences,
        list(names),
        baseline,
        list(seeds),
        seconds,
    )


def _ordered(frame: pd.DataFrame, order: dict, keys: list[str]) -> pd.DataFrame:
    frame = frame.assign(_order=frame["strategy"].map(order))
    frame = frame.sort_values(["_order", *keys], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def confidence_interval(
    values: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Return mean and Student-t confidence interval of the finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if values.size < 2:
        return (mean, math.nan, math.nan)
    half = (
        stats.t.ppf(0.5 + level / 2, values.size - 1)
        * values.std(ddof=1)
        / math.sqrt(values.size)
    )
    return (mean, mean - half, mean + half)


def summarise(runs: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Return one row per strategy with mean and 95% interval of every run metric."""
    rows = []
    for name in names:
        subset = runs[runs["strategy"] == name]
        row: dict = {"strategy": name, "replications": len(subset)}
        for metric in RUN_METRICS:
            mean, low, high = confidence_interval(subset[metric].to_numpy())
            row[f"{metric}_mean"] = mean
            row[f"{metric}_ci_low"] = low
            row[f"{metric}_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(
    runs: pd.DataFrame, names: Sequence[str], baseline: str
) -> pd.DataFrame:
    """Return per strategy the mean paired difference against ``baseline``."""
    base = runs[runs["strategy"] == baseline].set_index("replication")
    rows = []
    for name in names:
        other = runs[runs["strategy"] == name].set_index("replication")
        row: dict = {"strategy": name, "baseline": baseline}
        for metric in RUN_METRICS:
            diff = (other[metric] - base[metric]).to_numpy()
            mean, low, high = confidence_interval(diff)
            row[f"{metric}_mean"] = mean
            row[f"{metric}_ci_low"] = low
            row[f"{metric}_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
