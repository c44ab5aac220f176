"""Rules of the blend, participatory, tiered and equal_probability strategies.

The strategy contract (quotas sum to the team quota, ignore hidden state, are
deterministic under a seed) runs for them in tests/test_strategies.py.
"""

import dataclasses

import numpy as np
import pytest
from scipy.special import ndtri

from sim.payplan import PayCurve
from strategies import REGISTRY, get_strategy
from strategies.predictive import (
    Blend,
    EqualProbability,
    Tiered,
    predicted_log_sd,
    predicted_median,
)
from tests.test_strategies import period_start_view

NEW = ("blend", "participatory", "tiered", "equal_probability")


def test_new_strategies_registered():
    assert set(NEW) <= set(REGISTRY)


def test_equal_probability_equalises_predicted_chance():
    _, view = period_start_view("equal_probability")
    strategy = EqualProbability()
    quota = strategy.allocate(view)
    chance = strategy.chance_of_quota(view, quota)
    for r in range(view.replications):
        row = chance[r, view.active[r]]
        assert row.max() - row.min() < 1e-6
    np.testing.assert_allclose(quota.sum(axis=1), view.team_quota, rtol=1e-9)


def test_equal_probability_uses_one_z_per_team():
    """Every quota is median * exp(sd * z) with the same z within a team."""
    _, view = period_start_view("equal_probability")
    log_sd = predicted_log_sd(view)
    median = predicted_median(view, log_sd)
    quota = EqualProbability().allocate(view)
    active = view.active & (median > 0)
    ratio = np.log(np.where(active, quota, 1.0) / np.where(active, median, 1.0))
    for r in range(view.replications):
        z = ratio[r, active[r]] / log_sd[r, active[r]]
        assert np.ptp(z) < 1e-6


@pytest.mark.parametrize(
    ("alpha", "reference"), [(1.0, "history_based"), (0.0, "territory_potential")]
)
def test_blend_limits_match_its_parts(alpha, reference):
    _, view = period_start_view("blend")
    blend = Blend()
    blend.alpha = alpha
    np.testing.assert_allclose(
        blend.allocate(view), get_strategy(reference).allocate(view), rtol=1e-9
    )


def test_blend_lies_between_its_parts():
    _, view = period_start_view("blend")
    history = get_strategy("history_based").allocate(view)
    potential = get_strategy("territory_potential").allocate(view)
    blend = Blend().allocate(view)
    low = np.minimum(history, potential) - 1e-6
    high = np.maximum(history, potential) + 1e-6
    assert ((blend >= low) & (blend <= high)).all()


def test_participatory_follows_forecasts():
    _, view = period_start_view("participatory")
    assert view.forecast is not None
    quota = get_strategy("participatory").allocate(view)
    given = view.active & (view.forecast > 0)
    assert given.any()
    for r in range(view.replications):
        ratio = quota[r, given[r]] / view.forecast[r, given[r]]
        assert np.ptp(ratio) < 1e-9 * ratio.max()


def test_participatory_without_forecasts_splits_equally():
    _, view = period_start_view("participatory")
    view = dataclasses.replace(view, forecast=None)
    quota = get_strategy("participatory").allocate(view)
    np.testing.assert_allclose(quota, get_strategy("equal_split").allocate(view))


def test_tiers_bracket_quota():
    _, view = period_start_view("tiered")
    threshold, excellence = Tiered().pay_tiers(view)
    active = view.active
    assert (threshold[active] < 1.0).all()
    assert (excellence[active] > 1.0).all()
    # Chance 92.5% at threshold, 65% at target and 7.5% at excellence.
    log_sd = predicted_log_sd(view)
    at_target = ndtri(0.35)
    np.testing.assert_allclose(np.log(threshold), (ndtri(0.075) - at_target) * log_sd)
    np.testing.assert_allclose(np.log(excellence), (ndtri(0.925) - at_target) * log_sd)


def test_tiered_sets_pay_curve():
    batch, _ = period_start_view("tiered")
    batch.step()  # month 15 starts a quarter
    assert np.ndim(batch.curve.kinks[0]) == 2
    assert batch.curve is not batch.base_curve

    plain, _ = period_start_view("history_based")
    plain.step()
    assert plain.curve is plain.base_curve
    assert isinstance(plain.curve, PayCurve)
