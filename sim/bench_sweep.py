"""Sweep benchmark: end-to-end throughput, the bare batched loop, mesa.batch_run.

Three ways run the same runs (strategies x design points x replications, the same
seeds and months) of one benchmark experiment:

- ``sweep``: :func:`sim.sweep.run_sweep` end to end, with the serial executor, so
  it includes planning, Parquet storage and the manifest;
- ``bare loop``: the same tasks as a loop over :class:`sim.engine.TeamBatch`,
  computing the run metrics and storing nothing;
- ``mesa.batch_run``: Mesa 3.3.1's batch runner over :class:`sim.model.SalesTeamModel`,
  one process, with the seeds as a parameter (its ``iterations`` cannot set seeds).

Peak memory compares a 10,000-run and a 100,000-run sweep, each run as
``quotalab sweep`` in a child process with the default executor, sampling the
resident set size of the child and its workers with psutil.

Run ``python -m sim.bench_sweep`` (``--quick`` for a smoke test).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sim.engine import TeamBatch

logger = logging.getLogger(__name__)

STRATEGIES = ("history_based", "equal_split", "capability_weighted")
GROWTH_LEVELS = 4
MONTHS = 36
REPLICATIONS = 40
QUICK_REPLICATIONS = 4
MEMORY_RUNS = (10_000, 100_000)
QUICK_MEMORY_RUNS = (200, 2_000)
# The memory sweeps are long, so their runs are short: memory depends on the
# number of runs stored, not on the horizon of each.
MEMORY_MONTHS = 12
MEMORY_POINTS = 10
SAMPLE_SECONDS = 0.05

EXPERIMENT = """\
name = "bench_sweep"
strategies = [{strategies}]
replications = {replications}
seed = 0
months = {months}

[factors.growth]
setting = "quota.target_growth"
low = 0.0
high = 0.3
levels = {levels}
"""


def write_experiment(
    folder: Path, replications: int, months: int = MONTHS, levels: int = GROWTH_LEVELS
) -> Path:
    """Write the benchmark experiment file into ``folder``; return its path."""
    path = folder / f"bench-{replications}x{levels}.toml"
    path.write_text(
        EXPERIMENT.format(
            strategies=", ".join(f'"{s}"' for s in STRATEGIES),
            replications=replications,
            months=months,
            levels=levels,
        ),
        encoding="utf-8",
    )
    return path


def time_sweep(path: Path, out: Path) -> float:
    """Return the seconds of a serial :func:`run_sweep` of the experiment."""
    from sim.sweep import load_experiment, run_sweep

    gc.collect()
    started = time.perf_counter()
    run_sweep(load_experiment(path), out, executor="serial", workers=1)
    return time.perf_counter() - started


def time_bare_loop(path: Path) -> float:
    """Return the seconds of the sweep's tasks as a bare TeamBatch loop."""
    from sim.sweep.design import resolve_design
    from sim.sweep.experiment import load_experiment
    from sim.sweep.runner import plan_tasks, replications_per_task
    from strategies import get_strategy

    experiment = load_experiment(path)
    design = resolve_design(experiment)
    block = replications_per_task(
        len(experiment.strategies), len(design), experiment.replications, 1
    )
    tasks = plan_tasks(experiment, design, block)
    gc.collect()
    started = time.perf_counter()
    for task in tasks:
        scenario = experiment.base.replace(task.values)
        batch = TeamBatch(
            scenario, get_strategy(task.strategy), task.seeds, experiment.months
        )
        batch.run().recorder.run_metrics()
    return time.perf_counter() - started


def time_mesa_batch_run(path: Path) -> float:
    """Return the seconds of ``mesa.batch_run`` over the same runs, one process."""
    from sim.model import SalesTeamModel, mesa
    from sim.rng import replication_seeds
    from sim.sweep.design import resolve_design
    from sim.sweep.experiment import load_experiment

    experiment = load_experiment(path)
    design = resolve_design(experiment)
    parameters = {
        "strategy": list(experiment.strategies),
        "months": experiment.months,
        "seed": replication_seeds(experiment.seed, experiment.replications),
    }
    # SalesTeamModel takes scenario settings as section__name keywords.
    for setting in design.settings:
        values = sorted(set(design.points[setting].tolist()))
        parameters[setting.replace(".", "__")] = values
    gc.collect()
    started = time.perf_counter()
    mesa.batch_run(
        SalesTeamModel,
        parameters=parameters,
        iterations=1,
        max_steps=experiment.months,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    return time.perf_counter() - started


def peak_memory(path: Path, out: Path) -> dict:
    """Run ``quotalab sweep`` in a child process and sample its memory.

    Returns:
        ``tree_mb``: the peak of the summed resident set size of the child and
        its worker processes; ``main_mb``: the child's own peak; ``seconds``.
    """
    import psutil

    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    command.append("--quiet")
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    process = psutil.Process(child.pid)
    tree_peak = main_peak = 0
    while child.poll() is None:
        try:
            main = process.memory_info().rss
            workers = sum(p.memory_info().rss for p in process.children(True))
        except psutil.NoSuchProcess:
            break
        main_peak = max(main_peak, main)
        tree_peak = max(tree_peak, main + workers)
        time.sleep(SAMPLE_SECONDS)
    _, errors = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {errors.strip()}")
    return {
        "tree_mb": tree_peak / 2**20,
        "main_mb": main_peak / 2**20,
        "seconds": time.perf_counter() - started,
    }


def run_sweep_benchmark(quick: bool = False, memory: bool = True) -> dict:
    """Time the three ways on the benchmark experiment and measure sweep memory.

    Args:
        quick: small sizes for a smoke test; the figures are not comparable.
        memory: also run the two memory sweeps (minutes at full size).

    Returns:
        ``runs``, ``seconds`` and ``rate`` (runs per second) per way, the ratios
        ``bare_over_sweep`` and ``sweep_over_mesa``, and, with ``memory``,
        ``memory`` rows of runs, peak megabytes and seconds.
    """
    replications = QUICK_REPLICATIONS if quick else REPLICATIONS
    runs = len(STRATEGIES) * GROWTH_LEVELS * replications
    result: dict = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "runs": runs,
        "months": MONTHS,
        "environment": _environment(),
    }
    with tempfile.TemporaryDirectory(prefix="quotalab-bench-") as tmp:
        folder = Path(tmp)
        path = write_experiment(folder, replications)
        seconds = {
            "sweep": time_sweep(path, folder / "sweep"),
            "bare_loop": time_bare_loop(path),
            "mesa_batch_run": time_mesa_batch_run(path),
        }
        for name, value in seconds.items():
            logger.info("%s: %d runs in %.2f s", name, runs, value)
        result["seconds"] = seconds
        result["rate"] = {name: runs / value for name, value in seconds.items()}
        result["sweep_over_bare"] = seconds["sweep"] / seconds["bare_loop"]
        result["mesa_over_sweep"] = seconds["mesa_batch_run"] / seconds["sweep"]

        if memory:
            result["memory"] = []
            for total in QUICK_MEMORY_RUNS if quick else MEMORY_RUNS:
                per_point = total // (len(STRATEGIES) * MEMORY_POINTS)
                path = write_experiment(
                    folder, per_point, months=MEMORY_MONTHS, levels=MEMORY_POINTS
                )
                row = peak_memory(path, folder / f"memory-{total}")
                row["runs"] = len(STRATEGIES) * MEMORY_POINTS * per_point
                logger.info(
                    "%d-run sweep: peak %.0f MB (tree), %.0f MB (main)",
                    row["runs"],
                    row["tree_mb"],
                    row["main_mb"],
                )
                result["memory"].append(row)
    return result


def format_sweep_report(result: dict) -> str:
    """Return the benchmark result as Markdown tables."""
    labels = {
        "sweep": "`quotalab sweep` end to end (serial executor, Parquet storage)",
        "bare_loop": "bare `TeamBatch` loop over the same tasks, nothing stored",
        "mesa_batch_run": "`mesa.batch_run` over `SalesTeamModel`, 1 process",
    }
    lines = [
        f"{result['runs']:,} runs of {result['months']} months "
        f"({len(STRATEGIES)} strategies x {GROWTH_LEVELS} points x "
        f"{result['runs'] // (len(STRATEGIES) * GROWTH_LEVELS)} replications)",
        "",
        "| Way | Seconds | Runs/s |",
        "|---|---:|---:|",
    ]
    for name, label in labels.items():
        lines.append(
            f"| {label} | {result['seconds'][name]:.2f} | {result['rate'][name]:,.1f} |"
        )
    lines += [
        "",
        f"Sweep time over bare-loop time: {result['sweep_over_bare']:.2f} "
        "(target at most 1.3).",
        f"mesa.batch_run time over sweep time: {result['mesa_over_sweep']:.1f} "
        "(target at least 10).",
    ]
    if result.get("memory"):
        lines += [
            "",
            "| Sweep size (runs) | Peak RSS, all processes (MB) | "
            "Peak RSS, main process (MB) | Seconds |",
            "|---:|---:|---:|---:|",
        ]
        for row in result["memory"]:
            lines.append(
                f"| {row['runs']:,} | {row['tree_mb']:.0f} | {row['main_mb']:.0f} "
                f"| {row['seconds']:.0f} |"
            )
        small, large = result["memory"][0], result["memory"][-1]
        growth = large["tree_mb"] / small["tree_mb"] - 1
        lines += [
            "",
            f"Peak memory growth from {small['runs']:,} to {large['runs']:,} runs: "
            f"{100 * growth:+.0f}% (target within 20%).",
        ]
    env = result["environment"]
    mode = " Quick mode: a smoke test only." if result["quick"] else ""
    lines += [
        "",
        f"Measured {result['timestamp']}; Python {env['python']}, numpy "
        f"{env['numpy']}, Mesa {env['mesa']}, {env['platform']}, "
        f"{env['cpu_count']} CPUs.{mode}",
    ]
    return "\n".join(lines)


def _environment() -> dict:
    return {
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "mesa": version("mesa"),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the sweep benchmark and print its Markdown tables."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.bench_sweep", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the two memory sweeps"
    )
    args = parser.parse_args(argv)
    # Only QuotaLab's logger: Mesa logs every model step at INFO, and writing
    # those lines would be charged to mesa.batch_run's time.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    package_logger = logging.getLogger("sim")
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    result = run_sweep_benchmark(quick=args.quick, memory=not args.no_memory)
    print(format_sweep_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
