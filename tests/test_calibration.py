"""The default scenario against industry figures.

Targets and ranges (share of reps at quota 0.25-0.70, median attainment 0.85-1.00,
annual turnover 10-40% with most of it voluntary, vacancy 2-3 months, ramp about
5 months) come from CSO Insights, the Alexander Group, RepVue and the Bridge Group;
docs/calibration.md lists them with the simulated figures. Each check allows four
standard errors of the replication mean beyond the range, so it fails only when the
model itself has moved out of range.
"""

import numpy as np
import pytest

from sim.compare import run_comparison
from sim.scenario import Scenario

REPLICATIONS = 60


@pytest.fixture(scope="module")
def default_runs():
    result = run_comparison(
        Scenario(), ["history_based"], replications=REPLICATIONS, months=36, seed=2024
    )
    return result.runs


def within(runs, metric, low, high):
    values = runs[metric].dropna().to_numpy()
    mean = values.mean()
    error = 4 * values.std(ddof=1) / np.sqrt(values.size)
    assert low - error <= mean <= high + error, (
        f"{metric} = {mean:.3f} outside [{low}, {high}]"
    )
    return mean


@pytest.mark.slow
def test_share_at_quota_in_range(default_runs):
    within(default_runs, "annual_share_at_quota", 0.25, 0.70)
    within(default_runs, "share_at_quota", 0.25, 0.70)


@pytest.mark.slow
def test_median_attainment_in_range(default_runs):
    within(default_runs, "annual_median_attainment", 0.85, 1.00)


@pytest.mark.slow
def test_attainment_right_skewed(default_runs):
    assert default_runs["attainment_skew"].mean() > 0.0


@pytest.mark.slow
def test_turnover_in_range_and_mostly_voluntary(default_runs):
    total = within(default_runs, "attrition_rate", 0.10, 0.40)
    voluntary = default_runs["voluntary_attrition"].mean()
    assert 0.5 <= voluntary / total <= 0.9


@pytest.mark.slow
def test_vacancy_in_range(default_runs):
    within(default_runs, "mean_vacancy_duration", 2.0, 3.0)
