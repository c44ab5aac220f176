"""Simulate a calibrated team forward and reduce each replication to a sales panel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import TeamBatch
from sim.rng import replication_seeds
from sim.scenario import Scenario
from sim.team import PRIOR_MONTHS
from strategies.base import Strategy


@dataclass(frozen=True)
class SimulatedPanels:
    """Monthly sales and quotas of every seat in every replication.

    Attributes:
        sales: (replications, seats, months) net sales, NaN while a seat is
            vacant or its new rep has not sold yet.
        quota: (replications, seats, months) quota per month.
        attrition_rate: (replications,) annualised exits over mean headcount.
        seeds: the replication seeds.
    """

    sales: np.ndarray
    quota: np.ndarray
    attrition_rate: np.ndarray
    seeds: list[int]


def simulate_panels(
    scenario: Scenario,
    strategy: Strategy,
    replications: int,
    months: int,
    seed: int,
) -> SimulatedPanels:
    """Run ``replications`` teams for ``months`` months under ``strategy``."""
    seeds = replication_seeds(seed, replications)
    batch = TeamBatch(scenario, strategy, seeds, months).run()
    first = PRIOR_MONTHS + scenario.team.warmup_months
    sales = batch.sales_history[..., first : first + months]
    quota = batch.quota_history[..., first : first + months]
    # Simulated sales are lognormal and positive whenever a rep sells, so an exact
    # 0 marks a vacant seat or a new hire's lag months.
    sales = np.where(sales > 0, sales, np.nan)
    metrics = batch.recorder.run_metrics()
    return SimulatedPanels(sales, quota, np.asarray(metrics["attrition_rate"]), seeds)
