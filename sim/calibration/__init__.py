"""Calibrate a scenario from a client's data, and show how well it fits.

:func:`calibrate` reads a team (any format of :data:`sim.teamdata.FORMATS`),
estimates a scenario and the historical quota policy, simulates the calibrated
team to compare it with the history (the fit), and calibrates again on the
first two thirds of the history to predict the last third (the backtest).

    >>> from sim.calibration import calibrate
    >>> result = calibrate("sim/data/adventureworks-sample", "adventureworks")
    >>> result.fit[["statistic", "observed", "simulated", "low", "high"]]
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.backtest import Backtest, run_backtest
from sim.calibration.estimate import Estimates, estimate_scenario
from sim.calibration.fit import fit_table
from sim.calibration.policy import HistoricalPolicy, QuotaPolicy
from sim.scenario import Scenario
from sim.teamdata import TeamData, read_team

__all__ = [
    "Backtest",
    "Calibration",
    "Estimates",
    "HistoricalPolicy",
    "QuotaPolicy",
    "calibrate",
    "estimate_scenario",
    "run_backtest",
]


@dataclass(frozen=True)
class Calibration:
    """A calibrated scenario with its fit and backtest.

    Attributes:
        team: the team data read.
        estimates: scenario, provenance, quota policy and the history used.
        fit: one row per statistic, observed beside simulated (see
            :func:`sim.calibration.fit.fit_table`).
        backtest: the out-of-sample check, or None when it was skipped.
        replications: simulated replications behind the fit and the backtest.
        seed: root seed of the simulations.
    """

    team: TeamData
    estimates: Estimates
    fit: pd.DataFrame
    backtest: Backtest | None
    replications: int
    seed: int

    @property
    def scenario(self) -> Scenario:
        """The calibrated scenario."""
        return self.estimates.scenario

    @property
    def provenance(self) -> dict[str, str]:
        """For every setting, ``data: how`` or ``default: why``."""
        return self.estimates.provenance

    def save_scenario(self, path: str | Path) -> None:
        """Write the scenario with its ``[provenance]`` table as TOML."""
        self.scenario.save(path, provenance=self.provenance)

    def write_report(
        self,
        folder: str | Path,
        figures: bool = True,
        manifest_extra: dict[str, Any] | None = None,
    ) -> Path:
        """Write ``fit.md``, the tables, figures and a manifest into a new folder."""
        from sim.calibration.report import write_report

        return write_report(self, Path(folder), figures, manifest_extra)


def calibrate(
    source: str | Path | TeamData,
    format: str = "generic",
    *,
    base: Scenario | None = None,
    as_of: str | dt.date | pd.Period | None = None,
    replications: int = 100,
    seed: int = 0,
    backtest: bool = True,
    **read_options: Any,
) -> Calibration:
    """Estimate a scenario from a team's data and measure its fit.

    Args:
        source: a folder or file in ``format``, or a TeamData already read.
        format: a key of :data:`sim.teamdata.FORMATS`.
        base: the scenario whose other settings are kept (default scenario).
        as_of: last month of history to use; defaults to the last full month.
        replications: simulated teams for the fit and the backtest.
        seed: root seed; the same seed gives the same figures.
        backtest: also run the backtest on the first two thirds.
        **read_options: passed to the reader, such as ``columns=...``.

    Raises:
        DataError: the data cannot be read or is too short.
    """
    team = (
        source
        if isinstance(source, TeamData)
        else read_team(source, format, **read_options)
    )
    estimates = estimate_scenario(team, base, as_of=as_of)
    _warn_on_target_mismatch(estimates)
    fit, _ = fit_table(estimates, replications, seed)
    checked = None
    if backtest:
        checked = run_backtest(
            team,
            base,
            replications=replications,
            seed=seed,
            end=estimates.as_of,
        )
    return Calibration(team, estimates, fit, checked, replications, seed)


# Gap between the team's target growth and its sales trend, per year, beyond which
# a default target will dominate the simulated attainment.
TARGET_GAP_WARNING = 0.10


def _warn_on_target_mismatch(estimates) -> None:
    """Warn when a default target growth is far from the estimated sales trend."""
    note = estimates.provenance.get("quota.target_growth", "")
    if not note.startswith("default"):
        return
    target = estimates.scenario.quota.target_growth
    trend = estimates.scenario.market.growth_per_year
    if abs(target - trend) > TARGET_GAP_WARNING:
        logging.getLogger(__name__).warning(
            "quota.target_growth stays at its default %.2f while the sales trend "
            "is %+.2f a year; simulated attainment will reflect that gap. Set "
            "quota.target_growth in a scenario file to the client's planned growth",
            target,
            trend,
        )
