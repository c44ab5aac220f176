"""Mechanisms of the management levers (sim/levers.py)."""

import numpy as np
import pytest

from sim.engine import TeamBatch
from sim.levers import UNSTATED, coaching_response, team_percentile
from sim.payplan import PayCurve
from sim.rng import replication_seeds
from sim.scenario import PaySettings, Scenario
from strategies import get_strategy

SMALL = {"team.seats": 12, "team.warmup_months": 0}

# Identical, fully ramped reps who never leave, on territories that never move:
# differences between runs come from the lever alone.
STILL = {
    **SMALL,
    "team.tenure_months": [60.0] * 12,
    "market.territory_sigma": 0.0,
    "market.account_loss_probability": 0.0,
    "attrition.base_hazard": 0.0,
    "attrition.review_exit_probability": 0.0,
}


def batch_for(changes, strategy="history_based", seeds=None, months=24):
    scenario = Scenario().replace({**SMALL, **changes})
    seeds = seeds or replication_seeds(11, 6)
    return TeamBatch(scenario, get_strategy(strategy), seeds, months)


def run(changes, strategy="history_based", seeds=None, months=24):
    return batch_for(changes, strategy, seeds, months).run()


def stepped(changes, steps, strategy="history_based", seeds=None):
    batch = batch_for(changes, strategy, seeds)
    for _ in range(steps):
        batch.step()
    return batch


def paired_gap(a, b):
    """Return the mean of a - b over replications and four standard errors."""
    diff = np.asarray(a) - np.asarray(b)
    return diff.mean(), 4 * diff.std(ddof=1) / np.sqrt(diff.size)


@pytest.mark.parametrize(
    "changes",
    [
        {
            "transparency.criteria_published": True,
            "transparency.criteria_noise_share": 1.0,
        },
        {"transparency.rankings_published": True, "transparency.rank_morale_cost": 0.0},
        {"feedback.recognition_share": 0.2, "feedback.recognition_morale": 0.0},
        {
            "feedback.interval_months": 1,
            "feedback.commitment_gain": 0.0,
            "feedback.pace_morale_weight": 0.0,
        },
        {"discretion.favoured_share": 0.3, "discretion.favouritism": 0.0},
        {"profiling.skill_error": 0.0},
        {"development.long_term_target": 1.0},
        {"growth.skill_gain": 1.0},
    ],
    ids=lambda changes: ",".join(changes),
)
def test_neutral_lever_leaves_run_identical(changes):
    off = run({})
    on = run(changes)
    np.testing.assert_array_equal(off.sales_history, on.sales_history)
    np.testing.assert_array_equal(off.quota_history, on.quota_history)
    np.testing.assert_array_equal(off.morale, on.morale)


@pytest.mark.parametrize(
    "changes",
    [
        {"tracking.coaching_target": "random"},
        {"tracking.coaching_target": "most_to_gain", "tracking.alert_pace": 0.8},
        {"tracking.coaching_response": "uniform", "tracking.coaching_morale": 0.05},
    ],
    ids=lambda changes: ",".join(changes),
)
def test_tracking_without_coaching_capacity_changes_nothing(changes):
    off = run({"manager.coaching_capacity": 0})
    on = run({"manager.coaching_capacity": 0, **changes})
    np.testing.assert_array_equal(off.sales_history, on.sales_history)
    np.testing.assert_array_equal(off.morale, on.morale)


def expected_attainment_spread(changes):
    """Coefficient of variation of quota / (skill x potential) after a year."""
    batch = stepped({**STILL, **changes}, 13, strategy="capability_weighted")
    ratio = batch.quota / (batch.skill * batch.potential())
    return (ratio.std(axis=1) / ratio.mean(axis=1)).max()


def test_perfect_profiling_equalises_expected_attainment():
    perfect = {
        "profiling.skill_weight": 1.0,
        "profiling.skill_error": 0.0,
        "manager.potential_error": 0.0,
    }
    assert expected_attainment_spread(perfect) < 1e-9
    assert expected_attainment_spread({}) > 0.1


def test_profiling_error_spreads_expected_attainment():
    exact = {"profiling.skill_weight": 1.0, "manager.potential_error": 0.0}
    small = expected_attainment_spread({**exact, "profiling.skill_error": 0.1})
    large = expected_attainment_spread({**exact, "profiling.skill_error": 0.4})
    assert 0 < small < large


def test_coaching_response_peaks_in_middle():
    percentile = np.array([0.0, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0])
    response = coaching_response(percentile)
    np.testing.assert_allclose(response, [0, 0, 1 / 3, 1, 1, 1, 1 / 3, 0], atol=1e-12)


def test_team_percentile_ranks_within_mask():
    values = np.array([[3.0, 1.0, 2.0, 9.0]])
    mask = np.array([[True, True, True, False]])
    percentile = team_percentile(values, mask)
    np.testing.assert_allclose(percentile[0, :3], [1.0, 0.0, 0.5])
    assert np.isnan(percentile[0, 3])


def coach_everyone(response):
    return stepped(
        {
            **STILL,
            "manager.coaching_capacity": 12,
            "manager.coaching_effect": 0.2,
            "tracking.alert_pace": 2.0,
            "tracking.write_off_pace": 0.0,
            "tracking.coaching_response": response,
        },
        1,
    )


def test_middle_response_skips_skill_extremes():
    middle = coach_everyone("middle")
    uniform = coach_everyone("uniform")
    assert middle.coached.sum() > 0.8 * middle.coached.size
    np.testing.assert_array_equal(uniform.coaching, np.where(uniform.coached, 0.2, 0))
    percentile = team_percentile(middle.skill, middle.active)
    expected = np.where(middle.coached, 0.2 * coaching_response(percentile), 0.0)
    np.testing.assert_allclose(middle.coaching, expected)
    top = percentile == 1.0
    assert (middle.coached & top).any()
    assert (middle.coaching[top] == 0.0).all()


def test_untracked_coaching_reaches_reps_ahead_of_pace():
    def coached_paces(target):
        batch = batch_for(
            {"manager.coaching_capacity": 4, "tracking.coaching_target": target},
            seeds=replication_seeds(4, 20),
        )
        paces = []
        for _ in range(6):
            batch.step()
            elapsed = batch._season_share_elapsed(
                batch.clock - 1, (batch.clock - 1) % 3 + 1
            )
            pace = batch.period_sales / (
                np.where(batch.measured, batch.quota, 1) * elapsed
            )
            paces.append(pace[batch.coached & batch.measured])
        return np.concatenate(paces)

    tracked = coached_paces("behind_pace")
    untracked = coached_paces("random")
    assert tracked.size and (tracked < 1.0).all()
    assert (untracked >= 1.0).any()


def test_unexplained_revisions_cost_morale():
    seeds = replication_seeds(5, 30)
    unexplained = run({"stability.revision_interval": 1}, seeds=seeds)
    free = run(
        {"stability.revision_interval": 1, "morale.volatility_cost": 0.0}, seeds=seeds
    )
    fixed = run({}, seeds=seeds)
    triggers = {entry[-1] for entry in unexplained.change_log}
    assert UNSTATED in triggers
    assert not fixed.change_log
    gap, tolerance = paired_gap(
        free.recorder.run_metrics()["morale"],
        unexplained.recorder.run_metrics()["morale"],
    )
    assert gap > tolerance


def test_required_trigger_blocks_unstated_revisions():
    batch = run({"stability.revision_interval": 1, "stability.require_trigger": True})
    triggers = {entry[-1] for entry in batch.change_log}
    assert triggers <= {"market", "vacancy", "pace"}
    assert triggers, "some trigger should fire in two years of six teams"


def test_revisions_keep_team_quota():
    batch = batch_for({"stability.revision_interval": 1})
    for month in range(12):
        start_total = batch.quota.sum(axis=1).copy()
        batch.step()
        if month % 3:  # quotas are set anew at each quarter start
            np.testing.assert_allclose(batch.quota.sum(axis=1), start_total, rtol=1e-9)


def test_published_criteria_raise_morale():
    seeds = replication_seeds(8, 30)
    noisy = {"morale.fairness_noise": 0.5}
    hidden = run(noisy, seeds=seeds)
    published = run(
        {
            **noisy,
            "transparency.criteria_published": True,
            "transparency.criteria_noise_share": 0.0,
        },
        seeds=seeds,
    )
    gap, tolerance = paired_gap(
        published.recorder.run_metrics()["morale"],
        hidden.recorder.run_metrics()["morale"],
    )
    assert gap > tolerance


def test_published_rankings_cost_low_ranked_morale():
    cost = 0.05
    off = stepped({}, 3)
    on = stepped(
        {
            "transparency.rankings_published": True,
            "transparency.rank_morale_cost": cost,
        },
        3,
    )
    attainment = off.last_attainment
    valid = np.isfinite(attainment)
    percentile = team_percentile(np.nan_to_num(attainment), valid)
    shame = np.clip(1 - 2 * np.nan_to_num(percentile, nan=1.0), 0, 1)
    expected = np.where(valid, np.maximum(off.morale - cost * shame, 0.0), off.morale)
    np.testing.assert_allclose(on.morale, expected, atol=1e-12)
    assert (on.morale < off.morale).any()


def test_recognition_raises_top_morale_only():
    off = stepped({}, 3)
    on = stepped(
        {"feedback.recognition_share": 0.25, "feedback.recognition_morale": 0.04}, 3
    )
    gain = on.morale - off.morale
    rows = np.arange(gain.shape[0])
    best = np.nanargmax(off.last_attainment, axis=1)
    assert (gain[rows, best] > 0).all()
    counted = np.isfinite(off.last_attainment).sum(axis=1)
    assert ((gain > 0).sum(axis=1) <= np.round(0.25 * counted)).all()
    assert (gain >= 0).all()


def test_feedback_raises_commitment_and_effort():
    off = stepped({}, 2)
    on = stepped(
        {
            "feedback.interval_months": 1,
            "feedback.commitment_gain": 1.0,
            "feedback.pace_morale_weight": 0.0,
        },
        2,
    )
    assert (on.effort >= off.effort).all()
    assert (on.effort > off.effort).any()


def test_development_lifts_potential_by_its_stock():
    developing = {"development.base_share": 0.2, "development.long_term_target": 1.0}
    off = run({})
    on = run(developing)
    stock = on.levers.development_stock
    assert (stock > 0).any()
    yield_ = on.scenario.development.potential_yield
    np.testing.assert_allclose(on.log_potential - off.log_potential, yield_ * stock)


def test_long_term_target_keeps_development_up():
    seeds = replication_seeds(3, 10)
    short = run({"development.base_share": 0.2}, seeds=seeds)
    both = run(
        {"development.base_share": 0.2, "development.long_term_target": 1.0},
        seeds=seeds,
    )
    assert both.levers.development_stock.mean() > short.levers.development_stock.mean()


def test_development_cuts_closing_sales_at_first():
    off = stepped({}, 1)
    on = stepped(
        {"development.base_share": 0.2, "development.long_term_target": 1.0}, 1
    )
    assert on.sales_history[..., 12].sum() < off.sales_history[..., 12].sum()


def test_favoured_seats_get_lower_quota_shares():
    changes = {"discretion.favoured_share": 0.4, "discretion.favouritism": 0.2}
    off = stepped(STILL, 1)
    on = stepped({**STILL, **changes}, 1)
    favoured = on.levers.favoured
    assert favoured.any()
    assert (~favoured).any()
    np.testing.assert_allclose(on.quota.sum(axis=1), off.quota.sum(axis=1))
    ratio = on.quota / off.quota
    for r in range(ratio.shape[0]):
        if favoured[r].any() and (~favoured[r]).any():
            relative = ratio[r, favoured[r]].mean() / ratio[r, ~favoured[r]].mean()
            assert relative == pytest.approx(np.exp(-0.2))


def test_manager_noise_spreads_quotas_and_keeps_team_total():
    off = stepped(STILL, 1)
    on = stepped({**STILL, "discretion.adjustment_noise": 0.3}, 1)
    np.testing.assert_allclose(on.quota.sum(axis=1), off.quota.sum(axis=1))
    assert not np.allclose(on.quota, off.quota)


def test_review_moves_quota_towards_reps_who_beat_it():
    batch = stepped({"review.correction_rate": 0.5}, 3)
    attainment = batch.last_attainment
    factor = batch.levers.review_factor
    valid = np.isfinite(attainment)
    for r in range(attainment.shape[0]):
        order = np.argsort(attainment[r, valid[r]])
        assert np.all(np.diff(factor[r, valid[r]][order]) >= -1e-12)


def test_review_lowers_attainment_spread_under_equal_split():
    seeds = replication_seeds(21, 30)
    plain = run({}, "equal_split", seeds, months=36)
    reviewed = run({"review.correction_rate": 0.5}, "equal_split", seeds, months=36)
    gap, tolerance = paired_gap(
        plain.recorder.run_metrics()["attainment_cv"],
        reviewed.recorder.run_metrics()["attainment_cv"],
    )
    assert gap > tolerance


def test_stretch_assignments_grow_developing_skill():
    tenure = [8.0, 10.0, 12.0, 30.0, 40.0, 60.0] * 2
    still = {**STILL, "team.tenure_months": tenure}
    off = stepped(still, 12)
    on = stepped({**still, "growth.stretch": 0.3, "growth.skill_gain": 0.2}, 12)
    developing = np.asarray(tenure) < 24
    grown = on.skill / off.skill
    assert (grown[:, developing] > 1.0).all()
    np.testing.assert_allclose(grown[:, ~developing], 1.0)


def test_truthful_forecasts_give_capability_quotas():
    honest = {
        **STILL,
        "participation.truth_telling_grid": True,
        "participation.forecast_noise": 0.0,
    }
    truthful = stepped(honest, 1, strategy="participatory")
    ratio = truthful.quota / (truthful.skill * truthful.potential())
    assert (ratio.std(axis=1) / ratio.mean(axis=1)).max() < 1e-9

    sandbagged = stepped(
        {**STILL, "participation.forecast_noise": 0.0}, 1, strategy="participatory"
    )
    ratio = sandbagged.quota / (sandbagged.skill * sandbagged.potential())
    assert (ratio.std(axis=1) / ratio.mean(axis=1)).min() > 0.01


def test_tiered_curve_pays_by_rep_tiers():
    pay = PaySettings(threshold=0.5, accelerator=1.5)
    threshold = np.array([[0.6, 0.8]])
    excellence = np.array([[1.5, 1.2]])
    curve = PayCurve.with_tiers(pay, threshold, excellence)
    np.testing.assert_allclose(curve.payout(np.array([[0.6, 0.8]])), [[0.0, 0.0]])
    np.testing.assert_allclose(curve.payout(np.array([[1.0, 1.0]])), [[1.0, 1.0]])
    # Above excellence the accelerator doubles.
    above = curve.payout(np.array([[2.0, 2.0]]))
    np.testing.assert_allclose(
        above, [[1 + 1.5 * 0.5 + 3.0 * 0.5, 1 + 1.5 * 0.2 + 3.0 * 0.8]]
    )


def test_tiered_expected_payout_matches_monte_carlo():
    pay = PaySettings()
    curve = PayCurve.with_tiers(pay, np.array([[0.7, 0.4]]), np.array([[1.6, 1.3]]))
    rng = np.random.default_rng(3)
    n = 200_000
    done, mean, sigma = np.array([[0.2, 0.5]]), np.array([[0.9, 0.6]]), 0.3
    draws = mean[..., None] * np.exp(
        sigma * rng.standard_normal((1, 2, n)) - sigma**2 / 2
    )
    simulated = np.stack(
        [curve.payout(done + draws[..., k]) for k in range(0, n, 1000)], axis=-1
    )
    exact, _ = curve.expected_payout(done[..., None], mean[..., None], sigma)
    # One in a thousand draws, so the tolerance uses n / 1000 samples.
    tolerance = 4 * simulated.std(axis=-1) / np.sqrt(simulated.shape[-1])
    assert (np.abs(exact[..., 0] - simulated.mean(axis=-1)) < tolerance).all()


def test_monthly_revisions_keep_team_quota():
    # Seed 1 with 60 replications includes a quarter in which every rep left
    # short of quota had gone, which once dropped a leaver's remainder.
    scenario = Scenario().replace({"stability.revision_interval": 1})
    batch = TeamBatch(
        scenario, get_strategy("history_based"), replication_seeds(1, 60), 36
    )
    while not batch.finished:
        start_of_period = batch.month % 3 == 0
        before = batch.quota.sum(axis=1).copy()
        batch.step()
        if not start_of_period:
            np.testing.assert_allclose(batch.quota.sum(axis=1), before, rtol=1e-9)
    assert batch.change_log


def test_levers_start_after_warm_up():
    # A lever is the policy under test: on and off must start from the same team.
    off = Scenario().replace({"team.seats": 12})
    on = off.replace({"development.base_share": 0.2, "manager.coaching_capacity": 3})
    seeds = replication_seeds(4, 6)
    batch_off = TeamBatch(off, get_strategy("history_based"), seeds, 12)
    batch_on = TeamBatch(on, get_strategy("history_based"), seeds, 12)
    np.testing.assert_array_equal(batch_on.annual_target, batch_off.annual_target)
    np.testing.assert_array_equal(batch_on.sales_history, batch_off.sales_history)
    assert batch_on.scenario == on
    batch_on.run()
    batch_off.run()
    assert not np.array_equal(batch_on.sales_history, batch_off.sales_history)
