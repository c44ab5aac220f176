"""Attrition and hiring: who leaves, when seats fill, who fills them.

Voluntary exits follow a monthly hazard

    h = h0 * exp(b_M (M0 - M) + b_W ln(W_out / W_exp) + b_F F + L)

where ``W_exp`` is the rep's expected pay under the current quota and ``W_out`` an
outside offer rising with skill (``skill ** elasticity``), so ratchets and caps reach
attrition through expected pay, and stars are the ones with somewhere to go.
Performance drives turnover about twice as strongly for salespeople as for other
staff (meta-analysis of 129 samples, UMass dissertation); involuntary exits model that
link directly: at each quarterly review, a rep past ramp whose trailing two-quarter
attainment is below the floor leaves with a set probability.

Regretted attrition counts voluntary exits from the top skill quintile of the team.
A vacant seat fills with probability ``1 / mean_vacancy_months`` at the end of each
month it was vacant (a geometric vacancy), with a new rep at tenure 0.
"""

from __future__ import annotations

import numpy as np

from sim.stats import masked_quantile
from sim.team import PRIOR_MONTHS

TOP_QUINTILE = 0.8

# Performance reviews: every quarter, on the trailing two quarters.
REVIEW_EVERY_MONTHS = 3
REVIEW_WINDOW_MONTHS = 6


def apply(batch, t, expected, draws, record) -> dict[str, np.ndarray]:
    """Draw voluntary exits and quarterly-review exits; return exit masks (R, N)."""
    s = batch.scenario
    a = s.attrition
    active = batch.active

    hazard = a.base_hazard * np.exp(
        a.morale_coefficient * (s.team.morale_mean - batch.morale)
        + a.pay_coefficient * _log_pay_gap(batch, expected)
        + a.fatigue_coefficient * batch.fatigue
        + a.labour_market
    )
    voluntary = active & (draws["quit"] < np.minimum(hazard, 1.0))

    involuntary = np.zeros_like(active)
    if (t + 1) % REVIEW_EVERY_MONTHS == 0:
        involuntary = _review_exits(batch, t, draws) & active & ~voluntary

    cutoff = masked_quantile(batch.skill, active, TOP_QUINTILE)
    regretted = voluntary & (batch.skill >= cutoff[:, None])

    leaving = voluntary | involuntary
    record.exits = leaving
    batch.active = active & ~leaving
    batch.measured = batch.measured & ~leaving
    batch.vacated |= leaving
    batch.vacancy_months = np.where(leaving, 0.0, batch.vacancy_months)
    return {"voluntary": voluntary, "involuntary": involuntary, "regretted": regretted}


def _log_pay_gap(batch, expected) -> np.ndarray:
    """ln(outside offer / expected pay), both relative to on-target earnings."""
    s = batch.scenario
    period_sales = expected * batch.period_months
    quota = np.where(batch.measured, batch.quota, np.nan)
    expected_attainment = np.nan_to_num(period_sales / quota, nan=1.0)
    expected_pay = s.pay.base_share + (1 - s.pay.base_share) * batch.curve.payout(
        expected_attainment
    )
    outside = batch.skill**s.attrition.outside_skill_elasticity
    return np.log(outside / np.maximum(expected_pay, 1e-3))


def _review_exits(batch, t, draws) -> np.ndarray:
    a = batch.scenario.attrition
    now = PRIOR_MONTHS + t + 1
    window = slice(now - REVIEW_WINDOW_MONTHS, now)
    sales = batch.sales_history[..., window].sum(axis=-1)
    quota = batch.quota_history[..., window].sum(axis=-1)
    attainment = np.divide(
        sales, quota, out=np.full_like(sales, np.inf), where=quota > 0
    )
    past_ramp = batch.tenure >= batch.scenario.sales.ramp_months + REVIEW_WINDOW_MONTHS
    return (
        past_ramp
        & (attainment < a.review_floor)
        & (draws["review"] < a.review_exit_probability)
    )


def hire(batch, draws, record) -> None:
    """Fill seats that were vacant this month, each with a geometric chance."""
    s = batch.scenario
    vacant_this_month = ~batch.active & ~record.exits
    batch.vacancy_months = np.where(
        vacant_this_month, batch.vacancy_months + 1, batch.vacancy_months
    )
    fill = vacant_this_month & (draws["fill"] < 1.0 / s.hiring.mean_vacancy_months)
    record.filled_vacancy_months = np.where(fill, batch.vacancy_months, 0.0)
    if not fill.any():
        return

    sigma = s.team.skill_sigma
    new_skill = np.exp(
        sigma * draws["hire_skill"] - 0.5 * sigma**2 + s.hiring.new_hire_skill_shift
    )
    new_morale = np.clip(
        s.team.morale_mean + s.team.morale_sd * draws["hire_morale"], 0.0, 1.0
    )
    batch.skill = np.where(fill, new_skill, batch.skill)
    batch.morale = np.where(fill, new_morale, batch.morale)
    batch.fatigue = np.where(fill, 0.0, batch.fatigue)
    batch.coaching = np.where(fill, 0.0, batch.coaching)
    # The tenure step at month end adds one for active reps; start new hires at -1
    # so they begin their first month at tenure 0.
    batch.tenure = np.where(fill, -1.0, batch.tenure)
    batch.joined = np.where(fill, PRIOR_MONTHS + batch.clock + 1, batch.joined)
    batch.skill_belief = np.where(fill, 1.0, batch.skill_belief)
    batch.last_attainment = np.where(fill, np.nan, batch.last_attainment)
    batch.measured = np.where(fill, False, batch.measured)
    batch.active = batch.active | fill
    batch.vacancy_months = np.where(fill, 0.0, batch.vacancy_months)
    batch.levers.on_hire(fill, batch.clock)
