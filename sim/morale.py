"""Morale: pace, fairness of quota burden, target volatility, ratchets, fatigue.

Monthly update, clipped to [0, 1]::

    M += reversion * (M0 - M) + pace_weight * tanh((pace - 1) / 0.3) * k
         - fatigue_weight * F + noise

with ``k = 3`` at period close, where ``pace`` is period-to-date sales over the
quota pro-rated by season. When quotas are set, reps compare their quota burden
``ln(Q / P_perceived)`` with the team median (distributive fairness against peers;
Ramaswami & Singh 2003) and react to a ratchet: a quota rise beyond the team's after
they beat quota (Leone, Misra & Zimmerman 2004). Mid-period revisions cost morale,
less when a trigger is stated. None of these coefficients has a direct empirical
estimate; they are calibration parameters.
"""

from __future__ import annotations

import numpy as np

from sim.stats import masked_median

PACE_SCALE = 0.3
CLOSE_MULTIPLIER = 3.0
RATCHET_UNIT = 0.10


def monthly(batch, draws, period_end: bool) -> np.ndarray:
    """Return morale after this month's pace, fatigue and noise (R, N)."""
    m = batch.scenario.morale
    baseline = batch.scenario.team.morale_mean
    elapsed = batch._season_share_elapsed(
        batch.clock, batch.clock % batch.period_months + 1
    )
    quota = np.where(batch.measured, batch.quota, 1.0)
    pace = batch.period_sales / (quota * elapsed)
    pace_term = np.where(batch.measured, np.tanh((pace - 1.0) / PACE_SCALE), 0.0)
    weight = m.pace_weight * (CLOSE_MULTIPLIER if period_end else 1.0)

    change = (
        m.reversion * (baseline - batch.morale)
        + weight * pace_term
        - m.fatigue_weight * batch.fatigue
        + m.noise * draws["morale_noise"]
    )
    return np.where(
        batch.active, np.clip(batch.morale + change, 0.0, 1.0), batch.morale
    )


def on_new_quotas(
    batch, previous_quota, previous_team_quota, same_rep, t
) -> np.ndarray:
    """Return morale after reps see new quotas: fairness and ratchet shocks."""
    m = batch.scenario.morale
    draws = batch.streams.monthly("sales", "normal", 3, t)
    noise = m.fairness_noise
    if batch.scenario.transparency.criteria_published:
        # Published criteria let reps judge their burden more accurately.
        noise = noise * batch.scenario.transparency.criteria_noise_share
    perceived = batch.potential() * np.exp(noise * draws[:, 2])
    measured = batch.measured

    burden = np.log(np.where(measured, batch.quota, 1.0) / perceived)
    median = _masked_median(burden, measured)
    fairness = -np.abs(burden - median[:, None])
    fairness_change = m.fairness_weight * (fairness + m.fairness_tolerance)

    beat = np.nan_to_num(batch.last_attainment, nan=0.0) > 1.0
    team_rise = np.divide(
        batch.team_quota,
        previous_team_quota,
        out=np.ones_like(batch.team_quota),
        where=previous_team_quota > 0,
    )
    own_rise = np.divide(
        batch.quota,
        previous_quota,
        out=np.ones_like(batch.quota),
        where=previous_quota > 0,
    )
    excess = np.maximum(own_rise / team_rise[:, None] - 1.0, 0.0)
    ratchet_change = -m.ratchet_cost * excess / RATCHET_UNIT
    ratchet_change = np.where(same_rep & beat, ratchet_change, 0.0)

    change = np.where(measured, fairness_change + ratchet_change, 0.0)
    return np.clip(batch.morale + change, 0.0, 1.0)


def on_revision(batch, changed: np.ndarray, triggered: np.ndarray) -> np.ndarray:
    """Return morale after a mid-period quota revision (target volatility)."""
    m = batch.scenario.morale
    discount = np.where(triggered, m.triggered_change_discount, 0.0)[:, None]
    cost = m.volatility_cost * (1.0 - discount)
    return np.clip(batch.morale - np.where(changed, cost, 0.0), 0.0, 1.0)


def relative_quota_change(
    previous_quota, previous_team_quota, quota, team_quota, same_rep
) -> np.ndarray:
    """Return each rep's absolute change in quota share since last period (R, N).

    Shares remove the team-level change, so an equal split of a growing target
    scores 0. NaN where the seat had a different rep or no quota.
    """
    old = np.divide(
        previous_quota,
        previous_team_quota[:, None],
        out=np.zeros_like(previous_quota),
        where=previous_team_quota[:, None] > 0,
    )
    new = np.divide(
        quota,
        team_quota[:, None],
        out=np.zeros_like(quota),
        where=team_quota[:, None] > 0,
    )
    change = np.abs(np.divide(new, old, out=np.ones_like(new), where=old > 0) - 1.0)
    return np.where(same_rep & (old > 0), change, np.nan)


def _masked_median(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.nan_to_num(masked_median(values, mask), nan=0.0)
