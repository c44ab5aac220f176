"""Sweeps: experiment files, designs, replicated runs, Parquet storage and resume.

An experiment file (``docs/experiments.md``) names a base scenario, the factors to
vary, a design, the strategies and the replications. :func:`run_sweep` runs every
strategy at every design point for every replication, streams results to Parquet
in an output folder, and resumes an interrupted folder. :func:`load_runs`,
:func:`load_design` and :func:`load_manifest` read a folder back.
"""

from sim.sweep.experiment import (
    DesignSpec,
    Experiment,
    ExperimentError,
    Factor,
    load_experiment,
)

__all__ = [
    "DesignSpec",
    "Experiment",
    "ExperimentError",
    "Factor",
    "load_experiment",
]
