"""Throughput benchmark: simulated rep-months per second, beside a Mesa reference.

Three paths are timed on the default scenario under the ``history_based``
strategy:

* the batched engine with one replication (``TeamBatch`` with R = 1).
* the batched engine with many replications, R chosen so the batch contains
  :data:`BATCH_SEATS` seats in total (1,000 teams of 25 seats, 250 of 100, 25 of
  1,000).
* the Mesa model, :class:`~sim.model.SalesTeamModel`, one replication.

A rep-month is one seat advanced one month, vacant seats included, because the
engine advances every seat. The reference is Mesa's own BoltzmannWealth example
(100 agents, 100 steps, as shipped with Mesa), measured in agent-steps per second.

Only the stepping loop is timed. Construction, which includes the engine's warm-up
months when the scenario has them, is reported separately. Each figure is the
median over ``repeats`` runs, each with a freshly built model, and the repeats go
round-robin over all rows.
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np

from sim.engine import TeamBatch
from sim.model import SalesTeamModel
from sim.rng import replication_seeds
from sim.scenario import Scenario
from strategies import get_strategy

logger = logging.getLogger(__name__)

STRATEGY = "history_based"
MONTHS = 36
SEAT_COUNTS = (25, 100, 1000)
BATCH_SEATS = 25_000
BOLTZMANN_AGENTS = 100
BOLTZMANN_STEPS = 100
ROOT_SEED = 20_240_601

# The performance target: the batched 25-seat team advances at least this many
# times as many rep-months per second as BoltzmannWealth advances agent-steps.
TARGET_RATIO = 3.0

# Sizes for quick=True: every row is still produced, on far smaller runs.
QUICK_MONTHS = 12
QUICK_BATCH_SEATS = 2_000
QUICK_BOLTZMANN_STEPS = 20


def run_benchmark(quick: bool = False, repeats: int | None = None) -> dict:
    """Time the engine, the Mesa model and Mesa's BoltzmannWealth example.

    Args:
        quick: shrink horizons, batch sizes and repeats so the whole run takes
            about a second. Its figures are then only a smoke test.
        repeats: runs per row, of which the median is reported. Defaults to 5, or
            2 when ``quick``.

    Returns:
        A dict with these keys:

        - ``rows``: one dict per timed configuration, with ``label``, ``engine``,
          ``seats``, ``replications``, ``steps``, ``unit``, ``construct_seconds``,
          ``step_seconds`` and ``rate`` (units per second of stepping).
        - ``ratio``: the batched 25-seat rate over BoltzmannWealth's rate, with
          the default (expectancy) effort rule.
        - ``fast_rule_ratio``: the same with the piecewise effort rule.
        - ``target_ratio`` and ``target_met``: the target for ``ratio`` and
          whether this run meets it.
        - ``environment``: Python, numpy and Mesa versions, platform, processor
          and CPU count.
        - ``timestamp`` (UTC, ISO 8601), ``quick``, ``repeats`` and ``strategy``.

    Raises:
        ValueError: if ``repeats`` is below 1.
    """
    if repeats is None:
        repeats = 2 if quick else 5
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1 (got {repeats})")
    months = QUICK_MONTHS if quick else MONTHS
    batch_seats = QUICK_BATCH_SEATS if quick else BATCH_SEATS
    boltzmann_steps = QUICK_BOLTZMANN_STEPS if quick else BOLTZMANN_STEPS
    logger.info("benchmark: quick=%s, %d repeats per row", quick, repeats)

    jobs = [_engine_job(seats, 1, months, batched=False) for seats in SEAT_COUNTS]
    for seats in SEAT_COUNTS:
        replications = max(batch_seats // seats, 1)
        jobs.append(_engine_job(seats, replications, months, batched=True))
    # The fast effort rule, meant for very large sweeps, on the 25-seat batch.
    fast_replications = max(batch_seats // SEAT_COUNTS[0], 1)
    jobs.append(
        _engine_job(SEAT_COUNTS[0], fast_replications, months, True, "piecewise")
    )
    jobs.append(_mesa_model_job(SEAT_COUNTS[0], months))
    jobs.append(_boltzmann_job(BOLTZMANN_AGENTS, boltzmann_steps))
    rows = _run_jobs(jobs, repeats)

    boltzmann = rows[-1]
    batched_25 = next(
        row for row in rows if row["engine"] == "batch" and row["seats"] == 25
    )
    ratio = batched_25["rate"] / boltzmann["rate"]
    fast_25 = next(row for row in rows if row["engine"] == "batch_piecewise")
    return {
        "fast_rule_ratio": fast_25["rate"] / boltzmann["rate"],
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "repeats": repeats,
        "strategy": STRATEGY,
        "rows": rows,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "target_met": bool(ratio >= TARGET_RATIO),
        "environment": _environment(),
    }


def format_report(result: dict) -> str:
    """Return the benchmark result as a Markdown table with a summary below it."""
    lines = [
        "| Run | Seats or agents | Replications | Months or steps | "
        "Construction (s) | Stepping (s) | Rate | Unit |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['label']} | {row['seats']:,} | {row['replications']:,} "
            f"| {row['steps']} | {row['construct_seconds']:.4f} "
            f"| {row['step_seconds']:.4f} | {row['rate']:,.0f} | {row['unit']}/s |"
        )

    verdict = "met" if result["target_met"] else "not met"
    mode = " in quick mode (small sizes, a smoke test only)" if result["quick"] else ""
    env = result["environment"]
    lines += [
        "",
        f"Batched 25-seat rep-months/s over BoltzmannWealth agent-steps/s: "
        f"{result['ratio']:.2f} with the default expectancy effort rule (target "
        f"at least {result['target_ratio']:g}: {verdict}); "
        f"{result['fast_rule_ratio']:.2f} with the piecewise effort rule.",
        "",
        f"Median of {result['repeats']} runs per row{mode}, strategy "
        f"{result['strategy']}, measured {result['timestamp']}.",
        f"Python {env['python']}, numpy {env['numpy']}, Mesa {env['mesa']}, "
        f"{env['platform']}, {env['processor']}, {env['cpu_count']} CPUs.",
    ]
    return "\n".join(lines)


@dataclass
class _Job:
    """One timed configuration: how to build a fresh model and how to advance it."""

    label: str
    engine: str
    seats: int
    replications: int
    steps: int
    unit: str
    build: Callable[[int], Any]  # takes the repeat index
    advance: Callable[[Any], None]


def _engine_job(
    seats: int, replications: int, months: int, batched: bool, rule: str = ""
) -> _Job:
    scenario = Scenario().replace({"team.seats": seats})
    if rule:
        scenario = scenario.replace({"effort.rule": rule})
    seeds = replication_seeds(ROOT_SEED, replications)

    def build(repeat: int) -> TeamBatch:
        return TeamBatch(scenario, get_strategy(STRATEGY), seeds, months)

    def advance(batch: TeamBatch) -> None:
        while not batch.finished:
            batch.step()

    if batched:
        engine = f"batch_{rule}" if rule else "batch"
        label = f"Engine, batch of {replications:,} teams of {seats:,} seats"
        if rule:
            label += f", {rule} effort rule"
    else:
        engine = "single"
        label = f"Engine, 1 team of {seats:,} seats"
    return _Job(
        label, engine, seats, replications, months, "rep-months", build, advance
    )


def _mesa_model_job(seats: int, months: int) -> _Job:
    def build(repeat: int) -> SalesTeamModel:
        return SalesTeamModel(months=months, seed=ROOT_SEED, team__seats=seats)

    def advance(model: SalesTeamModel) -> None:
        while model.running:
            model.step()

    label = f"Mesa model (SalesTeamModel), 1 team of {seats:,} seats"
    return _Job(label, "mesa_model", seats, 1, months, "rep-months", build, advance)


def _boltzmann_job(agents: int, steps: int) -> _Job:
    # Imported here, not at module top, because sim.model must import Mesa first
    # to undo Mesa's import-time change of the multiprocessing start method.
    # The mesa.examples package also needs networkx.
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth

    def build(repeat: int) -> BoltzmannWealth:
        return BoltzmannWealth(n=agents, seed=repeat)

    def advance(model: BoltzmannWealth) -> None:
        for _ in range(steps):
            model.step()

    label = f"Mesa BoltzmannWealth example, {agents:,} agents"
    return _Job(label, "mesa_example", agents, 1, steps, "agent-steps", build, advance)


def _run_jobs(jobs: list[_Job], repeats: int) -> list[dict]:
    """Time every job ``repeats`` times and return one row of medians per job.

    The repeats go round-robin over the jobs. A stretch of load from other
    processes then slows one repeat of many rows, not every repeat of one row,
    so the medians and the ratio between rows are less affected by it.
    """
    construct = [[] for _ in jobs]
    stepping = [[] for _ in jobs]
    for repeat in range(repeats):
        for index, job in enumerate(jobs):
            # Collect the previous run's garbage so it is not charged to this one.
            gc.collect()
            start = time.perf_counter()
            model = job.build(repeat)
            built = time.perf_counter()
            job.advance(model)
            done = time.perf_counter()
            construct[index].append(built - start)
            stepping[index].append(done - built)
            del model
        logger.info("benchmark: repeat %d of %d done", repeat + 1, repeats)

    rows = []
    for index, job in enumerate(jobs):
        step_seconds = statistics.median(stepping[index])
        rate = job.seats * job.replications * job.steps / step_seconds
        logger.info("%s: %.0f %s/s", job.label, rate, job.unit)
        rows.append(
            {
                "label": job.label,
                "engine": job.engine,
                "seats": job.seats,
                "replications": job.replications,
                "steps": job.steps,
                "unit": job.unit,
                "construct_seconds": statistics.median(construct[index]),
                "step_seconds": step_seconds,
                "rate": rate,
            }
        )
    return rows


def _environment() -> dict:
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "numpy": np.__version__,
        "mesa": version("mesa"),
        "platform": platform.platform(),
        "processor": _processor_name(),
        "cpu_count": os.cpu_count(),
    }


def _processor_name() -> str:
    """Return the CPU model name, from /proc/cpuinfo where the OS provides it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"
