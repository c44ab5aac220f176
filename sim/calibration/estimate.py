"""Estimate a scenario's settings from a team's history.

:func:`sim.teamdata.scenario_from_team` sets seats, productivity (partially
pooled), tenure, sales level, quota period, quota shares and target growth.
This module adds the dynamics of sales and people:

- ``sales.noise_sigma``, ``market.territory_rho`` and ``market.territory_sigma``
  from the autocovariances ``gamma_k`` of monthly sales relative to the rep's and
  the month's mean. In the model that ratio is a persistent AR(1) territory
  factor times white noise, whose autocovariances are about ``v * rho^k`` at
  lag ``k >= 1`` and ``v + s`` at lag 0. So ``rho = gamma_2 / gamma_1``,
  ``v = gamma_1 / rho`` and ``s = gamma_0 - v`` (a method-of-moments fit), and a
  lognormal with variance ``s`` relative to its mean has log-sd
  ``sqrt(log(1 + s))``.
- ``market.season_profile`` and ``market.growth_per_year`` from sales per rep.
- ``sales.ramp_months`` from reps hired inside the history.
- ``attrition.base_hazard`` from exit dates.
- The quota policy (:mod:`sim.calibration.policy`).

Statistics the model has no setting for (win rate, sales cycle, deal counts and
sizes) are returned as observations. Every setting not estimated keeps its
default, and the provenance marks which is which.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.history import Panel, build_panel
from sim.calibration.policy import QuotaPolicy, estimate_policy
from sim.calibration.statistics import (
    autocovariances,
    growth_per_year,
    relative_residuals,
    season_factors,
    team_rate,
)
from sim.errors import DataError
from sim.scenario import SECTIONS, Scenario
from sim.team import ramp
from sim.teamdata import TeamData, scenario_from_team
from sim.teamdata.tables import counted

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}

# A hire counts for the ramp estimate with this many months of history after it.
MIN_RAMP_MONTHS = 9
MIN_RAMP_HIRES = 2
# Months from which a hire counts as fully ramped when normalising their sales.
RAMPED_FROM_MONTH = 12
RAMP_GRID = np.arange(1.0, 24.01, 0.25)


@dataclass(frozen=True)
class Estimates:
    """A scenario estimated from data, with the evidence behind it.

    Attributes:
        scenario: the calibrated scenario.
        provenance: for every setting, ``data: how`` or ``default: why``.
        policy: the estimated historical quota policy.
        panel: the monthly history up to ``as_of`` that the estimates used.
        observed: statistics the model has no setting for, such as win rate.
        as_of: the last month of history used.
        period_offset: index of the panel's first month that starts a quota
            period.
    """

    scenario: Scenario
    provenance: dict[str, str]
    policy: QuotaPolicy
    panel: Panel
    observed: dict[str, float]
    as_of: pd.Period
    period_offset: int = 0


def estimate_scenario(
    team: TeamData,
    base: Scenario | None = None,
    as_of: str | dt.date | pd.Period | None = None,
) -> Estimates:
    """Estimate a scenario from a team's history up to ``as_of``.

    Args:
        team: the team, from :func:`sim.teamdata.read_team`.
        base: the scenario whose other settings are kept (default scenario).
        as_of: last month to use; defaults to the last complete month.

    Raises:
        DataError: ``as_of`` is not a month inside the history, or leaves no rep.
    """
    base = base or Scenario()
    scenario, provenance = scenario_from_team(team, base)
    period = PERIOD_MONTHS[scenario.quota.period]
    full = build_panel(team, period)
    last = _as_of(as_of, full)
    panel = full.window(full.months[0], last)
    scenario, provenance = scenario_from_team(team, base, as_of=last)

    changes: dict[str, object] = {}
    for step in (_volatility, _seasonality, _ramp, _attrition):
        values, notes = step(panel, team, scenario, last)
        changes.update(values)
        provenance.update(notes)
    scenario = scenario.replace(changes)

    offset = period_offset(team, panel)
    policy = estimate_policy(panel.sales, panel.quota, period, offset)
    provenance["policy.weight_after_beat"] = policy.note
    provenance["policy.weight_after_miss"] = policy.note
    observed = observe_deals(team, last)
    for key, value in observed.items():
        provenance[f"observed.{key}"] = (
            f"data: {value:.4g}; the model has no setting for it"
        )
    _fill_defaults(provenance)
    return Estimates(scenario, provenance, policy, panel, observed, last, offset)


def _as_of(as_of: object, panel: Panel) -> pd.Period:
    if as_of is None:
        return panel.months[-1]
    try:
        month = pd.Period(as_of, "M")
    except (ValueError, TypeError):
        raise DataError(
            f"as_of: cannot read {as_of!r} as a month; use YYYY-MM"
        ) from None
    if not panel.months[0] <= month <= panel.months[-1]:
        raise DataError(
            f"as_of {month} is outside the history ({panel.months[0]} to "
            f"{panel.months[-1]}); use a month inside it"
        )
    return month


def period_offset(team: TeamData, panel: Panel) -> int:
    """Return the index of the panel's first month that starts a quota period."""
    if team.quotas is None or team.quotas.empty:
        return 0
    starts = set(team.quotas["period_start"].dt.to_period("M"))
    for index, month in enumerate(panel.months):
        if month in starts:
            return index
    return 0


def _volatility(panel, team, scenario, last):
    gamma = autocovariances(relative_residuals(panel.sales), lags=2)
    keys = ("sales.noise_sigma", "market.territory_rho", "market.territory_sigma")
    if not np.isfinite(gamma).all() or gamma[0] <= 0:
        reason = "default: too few positive monthly sales to measure volatility"
        return {}, dict.fromkeys(keys, reason)

    moments = f"autocovariances {gamma[0]:.4f}, {gamma[1]:.4f}, {gamma[2]:.4f}"
    # NOTE: removing each rep's mean biases short panels' autocovariances down
    # (by about gamma_0 / T for T months), so persistence is underestimated.
    if gamma[1] > 0 and 0 < gamma[2] < gamma[1]:
        rho = gamma[2] / gamma[1]
        persistent = gamma[1] / rho
        noise = max(gamma[0] - persistent, 0.0)
        how = f"method of moments on lags 0-2 of monthly relative sales ({moments})"
    else:
        rho, persistent, noise = 0.0, 0.0, gamma[0]
        how = (
            f"lag-1 and lag-2 autocovariances show no persistent component "
            f"({moments}), so all residual variance is monthly noise"
        )
    sigma = float(np.clip(np.sqrt(np.log1p(noise)), 0.0, 3.0))
    rho = float(np.clip(rho, 0.0, 0.999))
    stationary = np.log1p(persistent)
    territory = float(np.clip(np.sqrt(stationary * (1 - rho**2)), 0.0, 1.0))
    values = {
        "sales.noise_sigma": round(sigma, 4),
        "market.territory_rho": round(rho, 4),
        "market.territory_sigma": round(territory, 4),
    }
    notes = {
        "sales.noise_sigma": f"data: sd of the white-noise part, {how}",
        "market.territory_rho": f"data: AR(1) coefficient, {how}",
        "market.territory_sigma": f"data: AR(1) innovation sd, {how}",
    }
    return values, notes


def _seasonality(panel, team, scenario, last):
    calendar = panel.months.month.to_numpy() - 1
    factors = season_factors(panel.sales, calendar)
    values, notes = {}, {}
    if np.isfinite(factors).all():
        # Index 0 of the profile is the run's first month, the month after as_of.
        rotated = [round(float(factors[(last.month + k) % 12]), 4) for k in range(12)]
        values["market.season_profile"] = rotated
        first = (last + 1).strftime("%b")
        notes["market.season_profile"] = (
            f"data: calendar-month effects of a least-squares fit of log sales "
            f"per rep on trend and month over {len(panel.months)} months, "
            f"starting with {first}"
        )
        notes["market.year_end_lift"] = "default: replaced by market.season_profile"
    else:
        notes["market.season_profile"] = (
            f"default: {len(panel.months)} months of history; seasonality needs 24"
        )

    growth = growth_per_year(panel.sales, calendar)
    if np.isfinite(growth):
        clipped = float(np.clip(growth, -0.5, 1.0))
        values["market.growth_per_year"] = round(clipped, 4)
        notes["market.growth_per_year"] = (
            f"data: log-linear trend of monthly sales per rep, fitted with the "
            f"calendar months where there are 24 or more, over "
            f"{len(panel.months)} months ({growth:+.3f} a year"
            + (", clipped to -0.5..1.0)" if clipped != growth else ")")
        )
    else:
        notes["market.growth_per_year"] = (
            f"default: {len(panel.months)} months of history; a trend needs 12"
        )
    return values, notes


def _ramp(panel, team, scenario, last):
    ratios = _ramp_ratios(panel, team)
    if len(ratios) < MIN_RAMP_HIRES:
        return {}, {
            "sales.ramp_months": (
                f"default: {counted(len(ratios), 'rep')} hired inside the history "
                f"with {MIN_RAMP_MONTHS} months after; need {MIN_RAMP_HIRES}"
            )
        }
    tenure = np.concatenate([np.arange(len(r)) for r in ratios])
    observed = np.concatenate(ratios)
    known = np.isfinite(observed)
    tenure, observed = tenure[known], observed[known]
    errors = []
    for months in RAMP_GRID:
        trial = scenario.replace({"sales.ramp_months": float(months)})
        errors.append(np.mean((observed - ramp(tenure, trial)) ** 2))
    best = float(RAMP_GRID[int(np.argmin(errors))])
    lag = scenario.sales.ramp_lag_months
    return {"sales.ramp_months": best}, {
        "sales.ramp_months": (
            f"data: least-squares fit of the ramp curve (lag {lag:g} months kept) to "
            f"the first {RAMPED_FROM_MONTH} months of sales of {len(ratios)} hires, "
            "relative to the team's sales per rep and to the hire's own later level"
        )
    }


def _ramp_ratios(panel: Panel, team: TeamData) -> list[np.ndarray]:
    """Return, per hire inside the history, sales by tenure month over their level.

    Each month's sales are divided by the mean sales of the reps who are ramped
    then (hired before the history or at least a year before), which removes
    season and trend. The result is divided by the hire's own mean from their
    13th month on (or over their second half, if shorter). NaN marks months
    without a ramped rep to compare with.
    """
    if team.roster is None:
        return []
    hires = team.roster.set_index("rep_id")["hire_date"]
    columns = np.arange(len(panel.months))
    starts = {}
    for row, rep in enumerate(panel.rep_ids):
        hired = hires.get(rep)
        if hired is not None and pd.notna(hired):
            starts[row] = (hired.to_period("M") - panel.months[0]).n
    ramped = np.ones(panel.sales.shape, dtype=bool)
    for row, start in starts.items():
        ramped[row] = columns - start >= RAMPED_FROM_MONTH if start >= 1 else True
    rate = team_rate(np.where(ramped, panel.sales, np.nan))

    ratios = []
    for row, start in starts.items():
        if start < 1 or len(panel.months) - start < MIN_RAMP_MONTHS:
            continue
        relative = panel.sales[row, start:] / rate[start:]
        later = relative[RAMPED_FROM_MONTH:]
        if np.isfinite(later).sum() < 3:
            later = relative[len(relative) // 2 :]
        level = np.nanmean(later)
        if np.isfinite(level) and level > 0:
            ratios.append(relative[:RAMPED_FROM_MONTH] / level)
    return ratios


def _attrition(panel, team, scenario, last):
    key = "attrition.base_hazard"
    if team.roster is None or team.roster["exit_date"].isna().all():
        return {}, {key: "default: the data records no exit dates"}
    exits = team.roster["exit_date"].dt.to_period("M")
    inside = exits.notna() & (exits >= panel.months[0]) & (exits <= last)
    rep_months = int(np.isfinite(panel.sales).sum())
    count = int(inside.sum())
    if count == 0 or rep_months == 0:
        return {}, {
            key: f"default: no exit within the history ({rep_months} rep-months)"
        }
    hazard = float(np.clip(count / rep_months, 0.0, 1.0))
    # NOTE: the model's voluntary hazard rises with low morale and pay, so the
    # observed rate of all exits is an upper bound for the base hazard.
    return {key: round(hazard, 5)}, {
        key: f"data: {counted(count, 'exit')} over {rep_months:,} rep-months "
        "(all exits, voluntary or not)"
    }


def observe_deals(team: TeamData, last: pd.Period) -> dict[str, float]:
    """Measure win rate, sales cycle, deal counts and deal sizes up to ``last``."""
    observed: dict[str, float] = {}
    end = last.to_timestamp(how="end")
    won = team.sales[team.sales["date"] <= end]
    rep_months = won.assign(month=won["date"].dt.to_period("M")).groupby(
        ["rep_id", "month"]
    )
    counts = rep_months.size()
    observed["deals_per_rep_month"] = float(counts.mean())
    observed["deal_count_dispersion"] = float(
        (counts.groupby("rep_id").var() / counts.groupby("rep_id").mean()).median()
    )
    positive = won["amount"][won["amount"] > 0]
    if len(positive) > 1:
        observed["deal_size_cv"] = float(positive.std() / positive.mean())
        observed["deal_size_median"] = float(positive.median())

    if team.deals is None:
        return observed
    deals = team.deals[
        team.deals["close_date"].isna() | (team.deals["close_date"] <= end)
    ]
    closed = deals[deals["status"].isin(["won", "lost"])]
    if len(closed):
        observed["win_rate"] = float((closed["status"] == "won").mean())
    cycle = (closed["close_date"] - closed["created_date"]).dt.days
    for status in ("won", "lost"):
        days = cycle[(closed["status"] == status) & cycle.notna()]
        if len(days):
            observed[f"cycle_days_{status}_median"] = float(days.median())
    return observed


def _fill_defaults(provenance: dict[str, str]) -> None:
    """Mark every setting the data did not inform as a default, with its source."""
    for section, cls in SECTIONS.items():
        for spec in dataclasses.fields(cls):
            key = f"{section}.{spec.name}"
            if key not in provenance:
                provenance[key] = f"default: {spec.metadata['source']}"
