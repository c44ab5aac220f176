"""Analysis of sweep folders: summaries, paired differences, sensitivity, figures.

Start with :func:`analyse_sweep`, which returns every table as a pandas
DataFrame, and :func:`write_report`, which writes them with figures.
"""

from sim.analysis.folder import SweepFolder
from sim.analysis.monthly import monthly_summary
from sim.analysis.report import (
    SweepAnalysis,
    analyse_sweep,
    format_report,
    write_report,
)
from sim.analysis.sensitivity import salib_design, sweep_sensitivity
from sim.analysis.summary import (
    factor_effect,
    factor_grid,
    paired_differences,
    point_summary,
    strategy_summary,
    winners,
)

__all__ = [
    "SweepAnalysis",
    "SweepFolder",
    "analyse_sweep",
    "factor_effect",
    "factor_grid",
    "format_report",
    "monthly_summary",
    "paired_differences",
    "point_summary",
    "salib_design",
    "strategy_summary",
    "sweep_sensitivity",
    "winners",
    "write_report",
]
