import numpy as np
import pytest

from sim.engine import TeamBatch
from sim.errors import StrategyError
from sim.observation import HIDDEN_STATE, ManagerView
from sim.rng import replication_seeds
from sim.scenario import Scenario
from strategies import (
    REGISTRY,
    Strategy,
    WeightedStrategy,
    builtin_names,
    get_strategy,
    register,
)

# High attrition and over-assignment so views contain vacancies and new hires.
CONTRACT_SCENARIO = Scenario().replace(
    {
        "team.seats": 12,
        "team.warmup_months": 0,
        "attrition.base_hazard": 0.08,
        "quota.over_assignment": 0.05,
    }
)


def period_start_view(
    strategy_name: str, seed: int = 5
) -> tuple[TeamBatch, ManagerView]:
    batch = TeamBatch(
        CONTRACT_SCENARIO, get_strategy(strategy_name), replication_seeds(seed, 6), 24
    )
    for _ in range(15):  # ends after month 15, so month 15 starts a quarter
        batch.step()
    return batch, batch.view(month_in_period=0)


@pytest.mark.parametrize("name", builtin_names())
def test_strategy_contract(name):
    batch, view = period_start_view(name)
    quota = get_strategy(name).allocate(view)
    assert (~view.active).any(), "the view should contain vacant seats"
    assert quota.shape == view.active.shape
    assert np.isfinite(quota).all()
    assert (quota >= 0).all()
    assert (quota[~view.active] == 0).all()
    np.testing.assert_allclose(quota.sum(axis=1), view.team_quota, rtol=1e-9)
    target = batch.annual_target * batch.season[:3].sum() / 12.0
    np.testing.assert_allclose(view.team_quota, target * 1.05, rtol=1e-9)


@pytest.mark.parametrize("name", builtin_names())
def test_strategy_deterministic_under_seed(name):
    _, first = period_start_view(name, seed=9)
    _, second = period_start_view(name, seed=9)
    _, other = period_start_view(name, seed=10)
    a = get_strategy(name).allocate(first)
    b = get_strategy(name).allocate(second)
    c = get_strategy(name).allocate(other)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_registry_documents_every_strategy():
    expected = {
        "equal_split",
        "history_based",
        "capability_weighted",
        "dynamic",
        "territory_potential",
    }
    assert expected <= set(REGISTRY)
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert len((cls.__doc__ or "").strip()) > 40, (
            f"{name} needs a rule in its docstring"
        )


def test_view_hides_true_state():
    _, view = period_start_view("equal_split")
    names = {f for f in ManagerView.__dataclass_fields__}
    for hidden in HIDDEN_STATE:
        assert hidden not in names
    assert not hasattr(view, "batch")
    with pytest.raises(ValueError):
        view.skill_belief[0, 0] = 5.0


@pytest.mark.parametrize("name", builtin_names())
def test_quotas_ignore_hidden_state(name):
    batch, _ = period_start_view(name)
    before = get_strategy(name).allocate(batch.view(month_in_period=0))
    batch.skill = batch.skill * 3.0
    batch.morale = np.zeros_like(batch.morale)
    batch.log_potential = batch.log_potential + 1.0
    batch.fatigue = batch.fatigue + 2.0
    after = get_strategy(name).allocate(batch.view(month_in_period=0))
    np.testing.assert_array_equal(before, after)


def test_equal_split_on_identical_reps_gives_identical_attainment():
    identical = Scenario().replace(
        {
            "team.seats": 8,
            "team.warmup_months": 0,
            "team.skill_sigma": 0.0,
            "team.potential_sigma": 0.0,
            "team.tenure_months": [60.0] * 8,
            "team.morale_sd": 0.0,
            "market.territory_sigma": 0.0,
            "market.account_loss_probability": 0.0,
            "sales.noise_sigma": 0.0,
            "morale.noise": 0.0,
            "morale.fairness_noise": 0.0,
            "attrition.base_hazard": 0.0,
            "attrition.review_exit_probability": 0.0,
        }
    )
    batch = TeamBatch(
        identical, get_strategy("equal_split"), replication_seeds(1, 3), 12
    ).run()
    periods = np.stack(batch.recorder.attainment)  # (periods, R, N)
    spread = periods.max(axis=2) - periods.min(axis=2)
    assert periods.shape == (4, 3, 8)
    assert np.isfinite(periods).all()
    assert spread.max() < 1e-9 * periods.max()


class LastYearShare(WeightedStrategy):
    """Quota in proportion to each seat's sales over the last 12 months."""

    name = "last_year_share"

    def weights(self, view):
        return view.sales_history[:, :, -12:].sum(axis=2)


def last_year_weights(view):
    """Quota in proportion to last year's sales, as a plain function."""
    return view.sales_history[:, :, -12:].sum(axis=2)


def test_user_strategy_by_path_class_and_function():
    by_class = get_strategy("tests.test_strategies:LastYearShare")
    by_function = get_strategy("tests.test_strategies:last_year_weights")
    _, view = period_start_view("equal_split")
    a = by_class.allocate(view)
    b = by_function.allocate(view)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a.sum(axis=1), view.team_quota)
    assert by_function.name == "tests.test_strategies:last_year_weights"


def test_register_requires_name_and_docstring():
    class Nameless(Strategy):
        """Has a rule but no name."""

    class Undocumented(Strategy):
        name = "undocumented"

    with pytest.raises(ValueError, match="non-empty 'name'"):
        register(Nameless)
    with pytest.raises(ValueError, match="docstring"):
        register(Undocumented)
    assert "undocumented" not in REGISTRY


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("peanut_butter", "unknown strategy 'peanut_butter'; valid: equal_split"),
        ("no_such_module:thing", "cannot import module 'no_such_module'"),
        ("strategies:NoSuchThing", "has no attribute 'NoSuchThing'"),
        ("strategies:REGISTRY", "neither a Strategy class nor a weights function"),
    ],
)
def test_bad_strategy_names(spec, fragment):
    with pytest.raises(StrategyError) as caught:
        get_strategy(spec)
    assert fragment in str(caught.value)


def test_dynamic_logs_every_change_and_keeps_team_quota():
    batch = TeamBatch(
        CONTRACT_SCENARIO, get_strategy("dynamic"), replication_seeds(2, 4), 12
    )
    totals = []
    for _ in range(12):
        start_total = batch.quota.sum(axis=1).copy()
        batch.step()
        if (batch.month - 1) % 3 != 0:  # quotas were not reset in that month
            totals.append((start_total, batch.quota.sum(axis=1)))
    assert batch.change_log, "dynamic should revise quotas at least once in a year"
    triggers = {entry[-1] for entry in batch.change_log}
    assert triggers <= {"market", "vacancy", "pace"}
    for before, after in totals[1:]:
        np.testing.assert_allclose(before, after, rtol=1e-9)
