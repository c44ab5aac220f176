"""The fit: the calibrated team beside the history it was estimated from.

The calibrated scenario is simulated for as many months as the history has,
under the estimated historical quota policy, and every statistic of
:mod:`sim.calibration.statistics` is computed on each replication. The fit table
sets the observed value beside the simulated mean and its interval across
replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.estimate import PERIOD_MONTHS, Estimates
from sim.calibration.simulate import SimulatedPanels, simulate_panels
from sim.calibration.statistics import STATISTICS, panel_statistics

# Central 90% of the replications.
INTERVAL = (0.05, 0.95)

# The settings each statistic mainly informs, for the report.
SETTINGS = {
    "sales_per_rep_month": "team.sales_per_rep_month",
    "rep_spread_cv": "team.productivity",
    "monthly_cv": "sales.noise_sigma",
    "quarterly_cv": "sales.noise_sigma, market.territory_rho, market.territory_sigma",
    "persistence": "market.territory_rho",
    "growth_per_year": "market.growth_per_year",
    "seasonal_sd": "market.season_profile",
    "share_at_quota": "quota.target_growth, historical policy",
    "median_attainment": "quota.target_growth, historical policy",
    "attrition_rate": "attrition.base_hazard",
}

FIT_COLUMNS = (
    "statistic",
    "description",
    "settings",
    "observed",
    "simulated",
    "low",
    "high",
    "inside",
)


def simulated_month_of_year(as_of: pd.Period, months: int) -> np.ndarray:
    """Calendar month (0 = January) of each simulated month after ``as_of``."""
    return (as_of.month + np.arange(months)) % 12


def fit_table(
    estimates: Estimates, replications: int, seed: int
) -> tuple[pd.DataFrame, SimulatedPanels]:
    """Simulate the calibrated team over the history's length and tabulate the fit.

    Returns:
        One row per statistic with columns :data:`FIT_COLUMNS` (``low`` and
        ``high`` bound the central 90% of replications; ``inside`` is NaN when the
        observed value is undefined), and the simulated panels.
    """
    panel = estimates.panel
    months = len(panel.months)
    period = PERIOD_MONTHS[estimates.scenario.quota.period]
    simulated = simulate_panels(
        estimates.scenario, estimates.policy.strategy(), replications, months, seed
    )
    observed = panel_statistics(
        panel.sales,
        panel.months.month.to_numpy() - 1,
        panel.quota,
        period,
        estimates.period_offset,
        level_at_end=True,
    )
    calendar = simulated_month_of_year(estimates.as_of, months)
    per_run = pd.DataFrame(
        [
            panel_statistics(
                simulated.sales[r],
                calendar,
                simulated.quota[r] if panel.quota is not None else None,
                period,
            )
            for r in range(replications)
        ]
    )
    rows = [
        _row(name, STATISTICS[name], observed[name], per_run[name].to_numpy())
        for name in STATISTICS
    ]
    exits = observed_attrition(estimates)
    if exits is not None:
        rows.append(
            _row(
                "attrition_rate",
                "annual exits over mean headcount",
                exits,
                simulated.attrition_rate,
            )
        )
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS)), simulated


def _row(name: str, description: str, observed: float, runs: np.ndarray) -> dict:
    runs = runs[np.isfinite(runs)]
    if len(runs) == 0:
        mean = low = high = np.nan
    else:
        mean = float(runs.mean())
        low, high = (float(q) for q in np.quantile(runs, INTERVAL))
    inside = np.nan
    if np.isfinite(observed) and np.isfinite(low):
        inside = bool(low <= observed <= high)
    return {
        "statistic": name,
        "description": description,
        "settings": SETTINGS.get(name, ""),
        "observed": observed,
        "simulated": mean,
        "low": low,
        "high": high,
        "inside": inside,
    }


def observed_attrition(estimates: Estimates) -> float | None:
    """Annual exits over mean headcount in the history, or None without exits."""
    note = estimates.provenance.get("attrition.base_hazard", "")
    if not note.startswith("data"):
        return None
    return 12 * estimates.scenario.attrition.base_hazard
