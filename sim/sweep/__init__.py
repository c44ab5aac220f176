"""Sweeps: experiment files, designs, replicated runs, Parquet storage and resume.

An experiment file (``docs/experiments.md``) names a base scenario, the factors to
vary, a design, the strategies and the replications. :func:`run_sweep` runs every
strategy at every design point for every replication, streams results to Parquet
in an output folder, and resumes an interrupted folder. :func:`load_runs`,
:func:`load_design` and :func:`load_manifest` read a folder back.
"""

from sim.sweep.design import Design, resolve_design
from sim.sweep.executors import EXECUTORS
from sim.sweep.experiment import (
    DesignSpec,
    Experiment,
    ExperimentError,
    Factor,
    load_experiment,
)
from sim.sweep.runner import (
    ProgressLog,
    SweepInterrupted,
    SweepResult,
    check_sweep,
    run_sweep,
    sweep_size,
)
from sim.sweep.storage import load_design, load_manifest, load_monthly, load_runs

__all__ = [
    "EXECUTORS",
    "Design",
    "DesignSpec",
    "Experiment",
    "ExperimentError",
    "Factor",
    "ProgressLog",
    "SweepInterrupted",
    "SweepResult",
    "check_sweep",
    "load_design",
    "load_experiment",
    "load_manifest",
    "load_monthly",
    "load_runs",
    "resolve_design",
    "run_sweep",
    "sweep_size",
]
