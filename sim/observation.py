"""The manager's view: what a strategy may observe, and nothing more.

A :class:`ManagerView` carries observable information only: sales and quota history,
tenure, current-period progress, the pipeline as reps report it, territory potential
with estimation error and a skill belief learned from sales. It holds no reference to
the engine, and its arrays are read-only copies of observable quantities only, so a
strategy cannot reach the true skill, true potential or morale of any rep.

Every array has a leading replication axis ``R`` and a seat axis ``N``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class ManagerView:
    """Observable state of a batch of teams at one decision point.

    Attributes:
        month: month index of the run (0 = first simulated month).
        month_in_period: months of the quota period already elapsed (0 at the start).
        months_in_period: length of the quota period in months.
        team_quota: (R,) team target for the period times one plus over-assignment.
        team_growth: planned team growth over last year's sales (share).
        active: (R, N) whether a rep holds the seat.
        tenure: (R, N) months the current rep has been in the seat.
        ramping: (R, N) whether the rep is still inside the ramp period.
        ramp_share: (R, N) expected share of full productivity over this period.
        sales_history: (R, N, H) monthly sales of each seat over the last H <= 24
            months, oldest first.
        quota_history: (R, N, H) monthly quota of each seat, same months.
        last_period_sales: (R, N) sales of the current rep in the last full period;
            NaN where the rep was not in the seat for all of it.
        last_period_quota: (R, N) quota of the current rep in that period; NaN where
            unknown.
        quota: (R, N) current quotas (the allocation being revised, mid-period).
        period_sales: (R, N) sales so far this period.
        season_share_elapsed: share of the period's seasonal weight already past.
        potential_estimate: (R, N) the manager's estimate of territory potential.
        skill_belief: (R, N) the manager's skill belief (population mean 1).
        pipeline: (R, N) pipeline as reported by reps (biased by sandbagging).
        market_index: (R,) the observable market regime multiplier of last month.
        market_index_at_start: (R,) the same at the start of the period.
        vacated: (R, N) seats whose rep left during this period.
        rng: one generator per replication, from the strategy's own stream.
        forecast: (R, N) each rep's own forecast of this period's sales at full
            productivity, as reported (sandbagged unless a truth-telling grid is
            used); ``None`` unless the strategy sets ``uses_forecast = True``.
    """

    month: int
    month_in_period: int
    months_in_period: int
    team_quota: np.ndarray
    team_growth: float
    active: np.ndarray
    tenure: np.ndarray
    ramping: np.ndarray
    ramp_share: np.ndarray
    sales_history: np.ndarray
    quota_history: np.ndarray
    last_period_sales: np.ndarray
    last_period_quota: np.ndarray
    quota: np.ndarray
    period_sales: np.ndarray
    season_share_elapsed: float
    potential_estimate: np.ndarray
    skill_belief: np.ndarray
    pipeline: np.ndarray
    market_index: np.ndarray
    market_index_at_start: np.ndarray
    vacated: np.ndarray
    rng: tuple
    forecast: np.ndarray | None = None

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, np.ndarray):
                # A read-only copy, so a strategy cannot write engine state.
                frozen = np.array(value, copy=True)
                frozen.setflags(write=False)
                object.__setattr__(self, spec.name, frozen)

    @property
    def replications(self) -> int:
        """Number of replications in the batch."""
        return self.active.shape[0]

    @property
    def seats(self) -> int:
        """Number of seats per team."""
        return self.active.shape[1]

    def normal(self, size: int | tuple = ()) -> np.ndarray:
        """Draw standard normals of shape (R, *size) from each replication's stream."""
        return np.stack([g.standard_normal(size) for g in self.rng])


# Names a view must never carry: the true state a manager cannot see.
HIDDEN_STATE = ("skill", "potential", "morale", "fatigue", "effort", "deviation")
