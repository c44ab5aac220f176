"""The initial team and its history before month 0.

Skill and territory potential are lognormal with mean 1 (O'Boyle & Aguinis 2012 find
individual output Paretian rather than normal). When team data gives each seat's
relative productivity, that productivity is split between skill and potential in
proportion to their variances, since sales data alone cannot tell them apart.

The twelve months before the run are simulated at normal effort so that history-based
strategies and the manager's beliefs start from a realistic record. Months before the
current rep was hired are treated as a fully ramped predecessor of average skill.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.market import season_weights
from sim.rng import stream_generator
from sim.scenario import Scenario

PRIOR_MONTHS = 12

# Prior quotas were set with the manager's imperfect view of each seat; this log-sd
# is the error of that past allocation (an assumption of the initial conditions).
PRIOR_QUOTA_ERROR = 0.20

# Team attainment of the prior year's quota: teams miss slightly on average
# (Alexander Group Trends 2015-17 report achieved growth below plan).
PRIOR_TEAM_ATTAINMENT = 0.95


@dataclass
class InitialTeam:
    """Arrays of shape (R, N) describing seats at month 0, plus prior history."""

    skill: np.ndarray
    log_potential: np.ndarray  # long-run log potential of each territory
    deviation: np.ndarray  # AR(1) deviation of log potential at month 0
    tenure: np.ndarray
    morale: np.ndarray
    prior_sales: np.ndarray  # (R, N, 12)
    prior_quota: np.ndarray  # (R, N, 12), monthly share of each period quota


def ramp(tenure: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Return the ramp factor ``clip((tenure - lag) / (ramp - lag), 0, 1)``."""
    lag = scenario.sales.ramp_lag_months
    span = max(scenario.sales.ramp_months - lag, 1e-9)
    return np.clip((tenure - lag) / span, 0.0, 1.0)


def build_initial_team(scenario: Scenario, seeds: list[int]) -> InitialTeam:
    """Draw the initial team of every replication from its ``init`` stream."""
    per_replication = [_draw_one(scenario, seed) for seed in seeds]
    return InitialTeam(
        *[np.stack([getattr(t, name) for t in per_replication]) for name in _FIELDS]
    )


_FIELDS = (
    "skill",
    "log_potential",
    "deviation",
    "tenure",
    "morale",
    "prior_sales",
    "prior_quota",
)


def _draw_one(scenario: Scenario, seed: int) -> InitialTeam:
    team = scenario.team
    market = scenario.market
    seats = team.seats
    generator = stream_generator(seed, "init")

    # A fixed draw order keeps the team identical whatever settings are used.
    z_skill = generator.standard_normal(seats)
    z_potential = generator.standard_normal(seats)
    z_deviation = generator.standard_normal(seats)
    tenure_draw = generator.exponential(1.0, seats)
    z_morale = generator.standard_normal(seats)
    z_prior = generator.standard_normal((PRIOR_MONTHS, seats))
    z_quota = generator.standard_normal(seats)

    sigma_k, sigma_p = team.skill_sigma, team.potential_sigma
    if team.productivity:
        productivity = np.asarray(team.productivity, dtype=float)
        productivity = np.maximum(productivity / productivity.mean(), 1e-6)
        share = sigma_k**2 / max(sigma_k**2 + sigma_p**2, 1e-12)
        skill = productivity**share
        log_potential = (1.0 - share) * np.log(productivity)
    else:
        skill = np.exp(sigma_k * z_skill - 0.5 * sigma_k**2)
        log_potential = sigma_p * z_potential - 0.5 * sigma_p**2

    stationary = market.territory_sigma / np.sqrt(
        max(1 - market.territory_rho**2, 1e-9)
    )
    deviation = stationary * z_deviation

    if team.tenure_months:
        tenure = np.asarray(team.tenure_months, dtype=float)
    else:
        tenure = np.floor(tenure_draw * team.tenure_mean_months)
    morale = np.clip(team.morale_mean + team.morale_sd * z_morale, 0.0, 1.0)

    prior_sales = _prior_sales(
        scenario, skill, log_potential + deviation, tenure, z_prior
    )
    prior_quota = _prior_quota(scenario, prior_sales, z_quota)
    return InitialTeam(
        skill, log_potential, deviation, tenure, morale, prior_sales, prior_quota
    )


def _prior_sales(scenario, skill, log_potential, tenure, z_prior):
    sigma = scenario.sales.noise_sigma
    season = season_weights(scenario.market)
    growth = scenario.market.growth_per_year
    months = np.arange(PRIOR_MONTHS)
    tenure_then = tenure[None, :] - (PRIOR_MONTHS - months[:, None])
    present = tenure_then >= 0
    ramp_then = np.where(present, ramp(tenure_then, scenario), 1.0)
    skill_then = np.where(present, skill[None, :], 1.0)
    trend = (1 + growth) ** ((months - PRIOR_MONTHS) / 12.0)
    expected = (
        scenario.team.sales_per_rep_month
        * np.exp(log_potential)[None, :]
        * skill_then
        * ramp_then
        * season[:, None]
        * trend[:, None]
    )
    sales = expected * np.exp(sigma * z_prior - 0.5 * sigma**2)
    if scenario.team.last_year_sales:
        sales *= scenario.team.last_year_sales / sales.sum()
    return sales.T  # (N, 12)


def _prior_quota(scenario, prior_sales, z_quota):
    period = {"monthly": 1, "quarterly": 3, "annual": 12}[scenario.quota.period]
    season = season_weights(scenario.market)
    seats = prior_sales.shape[0]
    if scenario.team.initial_quota_share:
        share = np.asarray(scenario.team.initial_quota_share, dtype=float)
    else:
        share = prior_sales.sum(axis=1) * np.exp(PRIOR_QUOTA_ERROR * z_quota)
    share = share / share.sum() if share.sum() > 0 else np.full(seats, 1.0 / seats)

    quota = np.zeros_like(prior_sales)
    for start in range(0, PRIOR_MONTHS, period):
        months = slice(start, start + period)
        team_quota = prior_sales[:, months].sum() / PRIOR_TEAM_ATTAINMENT
        month_share = season[months] / season[months].sum()
        quota[:, months] = team_quota * share[:, None] * month_share[None, :]
    return quota
