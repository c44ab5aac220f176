"""How reps choose effort in response to their quota.

Two rules, selected by ``effort.rule``:

``expectancy``
    For a grid of effort levels from ``effort.floor`` to ``effort.ceiling`` the rep
    weighs expected variable pay under the actual plan, plus a morale-weighted value
    of reaching quota, against a convex effort cost that rises with fatigue, and
    picks the best level for the rest of the period. Giving up far from quota,
    coasting under a cap, pacing under bonuses and, with ratchet foresight, effort
    withholding all follow from the plan (Oliver 1974; Chung, Steenburgh & Sudhir
    2014; Weitzman 1980; Misra & Nair 2011).

``piecewise``
    An inverted U in difficulty ``d = required run-rate / expected run-rate``
    (Kumar, Goreczny & Maurer 2018): coasting when easy, a peak near
    ``peak_difficulty``, falling to the give-up floor beyond ``give_up_difficulty``.
    Much cheaper; for very large sweeps.

Reps know their own expected run-rate (territory, skill, ramp, season, market), but
not the month's luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.payplan import PayCurve
from sim.scenario import EffortSettings


@dataclass
class EffortInputs:
    """Inputs of a rep's effort choice, as arrays of shape (R, N)."""

    done: np.ndarray  # attainment so far this period
    expected_rest: np.ndarray  # expected rest-of-period sales at effort 1 / quota
    rest_sigma: np.ndarray  # log-sd of rest-of-period sales
    months_left_share: np.ndarray | float  # share of the period still ahead
    morale: np.ndarray
    fatigue: np.ndarray
    pass_through: float  # how much of extra sales the quota rule passes on
    commitment: float = 1.0  # goal-commitment multiplier (progress feedback)


def choose_effort(
    inputs: EffortInputs, settings: EffortSettings, curve: PayCurve, beta: float
) -> np.ndarray:
    """Return each rep's effort for this month, shape (R, N)."""
    if settings.rule == "piecewise":
        return _piecewise(inputs, settings)
    return _expectancy(inputs, settings, curve, beta)


def effort_grid(settings: EffortSettings) -> np.ndarray:
    """Return the effort levels the expectancy rule compares."""
    return np.linspace(settings.floor, settings.ceiling, settings.grid_points)


def _expectancy(inputs, settings, curve, beta):
    grid = effort_grid(settings)
    scale = grid**beta  # (G,)
    base = np.maximum(inputs.expected_rest, 1e-300)
    mean = base[..., None] * scale  # (R, N, G)
    # log(mean) = log(base) + beta * log(grid): one log over (R, N), not (R, N, G).
    log_mean = np.log(base)[..., None] + beta * np.log(grid)
    sigma = np.asarray(inputs.rest_sigma)
    sigma = sigma[..., None] if sigma.ndim else sigma
    done = inputs.done[..., None]
    pay, chance = curve.expected_payout(done, mean, sigma, log_mean=log_mean)

    share = (
        np.asarray(inputs.months_left_share)[..., None]
        if np.ndim(inputs.months_left_share)
        else inputs.months_left_share
    )
    commitment = settings.goal_commitment * inputs.commitment
    goal = commitment * inputs.morale[..., None] * chance
    cost = settings.cost * 0.5 * grid**2 * (1.0 + inputs.fatigue[..., None]) * share
    ratchet = (
        settings.ratchet_foresight * inputs.pass_through * (done + mean)
        if settings.ratchet_foresight and inputs.pass_through
        else 0.0
    )
    utility = pay + goal - cost - ratchet
    return grid[np.argmax(utility, axis=-1)]


def _piecewise(inputs, settings):
    s = settings
    remaining = np.maximum(1.0 - inputs.done, 0.0)
    expected = np.maximum(inputs.expected_rest, 1e-12)
    difficulty = remaining / expected

    rising = s.coast_effort + (s.peak_effort - s.coast_effort) * (
        (difficulty - s.easy_difficulty) / (s.peak_difficulty - s.easy_difficulty)
    )
    falling = s.peak_effort + (s.floor - s.peak_effort) * (
        (difficulty - s.peak_difficulty) / (s.give_up_difficulty - s.peak_difficulty)
    )
    effort = np.where(difficulty < s.easy_difficulty, s.coast_effort, rising)
    effort = np.where(difficulty > s.peak_difficulty, falling, effort)
    effort = np.where(difficulty > s.give_up_difficulty, s.floor, effort)

    # Mid-period give-up: little chance of reaching quota even at normal effort.
    sigma = np.maximum(inputs.rest_sigma, 1e-9)
    with np.errstate(divide="ignore"):
        z = (np.log(expected) - np.log(np.maximum(remaining, 1e-300))) / sigma
    chance = np.where(remaining <= 0, 1.0, ndtr(z - 0.5 * sigma))
    effort = np.where(chance < s.give_up_probability, s.floor, effort)
    return np.clip(effort, s.floor, s.ceiling)
