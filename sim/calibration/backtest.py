"""Out-of-sample check: calibrate on the first two thirds, predict the last third.

The scenario and the quota policy are estimated from the history up to the
cut-off month only, then the team is simulated over the held-back months. The
actual team sales of each period are compared with the prediction interval
across replications, and the spread of sales across reps with its simulated
range. The coverage of the intervals shows whether the model's uncertainty is
honest: a 90% interval should contain about 90% of the actual values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.estimate import estimate_scenario
from sim.calibration.fit import INTERVAL
from sim.calibration.history import build_panel
from sim.calibration.simulate import simulate_panels
from sim.errors import DataError
from sim.scenario import Scenario
from sim.teamdata import TeamData

CALIBRATION_SHARE = 2 / 3
MIN_HOLDOUT_MONTHS = 2
# Below this many held-back months, periods are months rather than quarters.
QUARTERS_FROM_MONTHS = 6


@dataclass(frozen=True)
class Backtest:
    """Predicted and actual sales over the held-back months.

    Attributes:
        as_of: last month of the calibration window.
        periods: one row per held-back period: ``period``, ``actual``,
            ``predicted`` (median), ``low``, ``high`` (central 90%), ``inside``.
        months: the same per month.
        spread: ``actual`` and simulated ``predicted``, ``low``, ``high`` of the
            CV across reps of their held-back sales.
        total: the same four values for team sales over all held-back months.
        headcount: reps who sold in the first and last held-back month, and
            the simulated seats.
    """

    as_of: pd.Period
    periods: pd.DataFrame
    months: pd.DataFrame
    spread: dict[str, float]
    total: dict[str, float]
    headcount: dict[str, int]

    @property
    def period_coverage(self) -> float:
        """Share of held-back periods whose actual sales fall in the interval."""
        return float(self.periods["inside"].mean())

    @property
    def month_coverage(self) -> float:
        """Share of held-back months whose actual sales fall in the interval."""
        return float(self.months["inside"].mean())

    @property
    def total_error(self) -> float:
        """Predicted median over actual team sales, minus 1."""
        return self.total["predicted"] / self.total["actual"] - 1.0


def run_backtest(
    team: TeamData,
    base: Scenario | None = None,
    *,
    replications: int = 100,
    seed: int = 0,
    share: float = CALIBRATION_SHARE,
    end: pd.Period | None = None,
) -> Backtest:
    """Calibrate on the first ``share`` of the months and predict the rest.

    Args:
        team: the team history.
        base: the scenario whose other settings are kept.
        replications: simulated teams.
        seed: root seed.
        share: share of the months used for calibration.
        end: last month of the history to use; defaults to the last full month.

    Raises:
        DataError: the history is too short to hold back two months.
    """
    panel = build_panel(team)
    if end is not None:
        panel = panel.window(panel.months[0], end)
    count = len(panel.months)
    cut = int(round(count * share))
    if count - cut < MIN_HOLDOUT_MONTHS or cut < MIN_HOLDOUT_MONTHS:
        raise DataError(
            f"backtest: the history has {count} complete months; it needs at least "
            f"{2 * MIN_HOLDOUT_MONTHS + 1} to hold back a third"
        )
    as_of = panel.months[cut - 1]
    estimates = estimate_scenario(team, base, as_of=as_of)
    holdout = panel.window(as_of + 1, panel.months[-1])
    horizon = len(holdout.months)
    simulated = simulate_panels(
        estimates.scenario,
        estimates.policy.strategy(),
        replications,
        horizon,
        seed,
    )

    actual = np.nansum(holdout.sales, axis=0)
    predicted = np.nansum(simulated.sales, axis=1)
    labels = [str(m) for m in holdout.months]
    months = _compare(labels, actual, predicted)
    block = 3 if horizon >= QUARTERS_FROM_MONTHS else 1
    periods = _compare(*_blocks(labels, actual, predicted, block))
    total = _interval(actual.sum(), predicted.sum(axis=1))

    full = np.isfinite(holdout.sales).all(axis=1)
    spread = _interval(
        _cv(np.nansum(holdout.sales[full], axis=1)),
        np.array([_cv(_full_rows(run)) for run in simulated.sales]),
    )
    headcount = {
        "actual_first_month": int(np.isfinite(holdout.sales[:, 0]).sum()),
        "actual_last_month": int(np.isfinite(holdout.sales[:, -1]).sum()),
        "simulated_seats": estimates.scenario.team.seats,
    }
    return Backtest(as_of, periods, months, spread, total, headcount)


def _interval(actual: float, runs: np.ndarray) -> dict[str, float]:
    runs = runs[np.isfinite(runs)]
    low, high = np.quantile(runs, INTERVAL) if len(runs) else (np.nan, np.nan)
    return {
        "actual": float(actual),
        "predicted": float(np.median(runs)) if len(runs) else np.nan,
        "low": float(low),
        "high": float(high),
    }


def _compare(labels: list[str], actual: np.ndarray, runs: np.ndarray) -> pd.DataFrame:
    """Tabulate actual values beside the median and 90% interval of ``runs``."""
    rows = []
    for index, label in enumerate(labels):
        values = _interval(actual[index], runs[:, index])
        values["inside"] = bool(values["low"] <= values["actual"] <= values["high"])
        rows.append({"period": label, **values})
    return pd.DataFrame(rows)


def _blocks(
    labels: list[str], actual: np.ndarray, runs: np.ndarray, block: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    count = len(labels) // block
    stop = count * block
    names = [
        f"{labels[i * block]}..{labels[i * block + block - 1]}" for i in range(count)
    ]
    if block == 1:
        names = labels[:stop]
    summed = actual[:stop].reshape(count, block).sum(axis=1)
    simulated = runs[:, :stop].reshape(len(runs), count, block).sum(axis=2)
    return names, summed, simulated


def _full_rows(sales: np.ndarray) -> np.ndarray:
    full = np.isfinite(sales).all(axis=1)
    return sales[full].sum(axis=1)


def _cv(totals: np.ndarray) -> float:
    if len(totals) < 2 or totals.mean() <= 0:
        return np.nan
    return float(totals.std(ddof=1) / totals.mean())
