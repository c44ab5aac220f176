import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.engine import TeamBatch
from sim.errors import ScenarioError
from sim.metrics import MONTHLY_METRICS, RUN_METRICS
from sim.model import AGENT_REPORTERS, RepAgent, SalesTeamModel
from sim.rng import replication_seeds
from sim.scenario import Scenario
from strategies import get_strategy

ROOT = Path(__file__).resolve().parents[1]

# Frequent exits and hires, so agents come and go within a short run.
CHURN = {"attrition__base_hazard": 0.06, "hiring__mean_vacancy_months": 1.5}


def run_to_end(model: SalesTeamModel) -> SalesTeamModel:
    while model.running:
        model.step()
    return model


def test_agents_follow_occupied_seats():
    model = SalesTeamModel(months=24, seed=11, **CHURN)
    seen_ids = {agent.unique_id for agent in model.agents}
    exits = 0

    for _ in range(24):
        model.step()
        active = model.batch.active[0]
        seats = {agent.seat for agent in model.agents}
        assert len(model.agents) == int(active.sum())
        assert all(isinstance(agent, RepAgent) for agent in model.agents)
        assert seats == set(np.flatnonzero(active).tolist())
        assert model.seats.count("vacant") == int((~active).sum())
        exits += int(model.batch.recorder.monthly["exits"][0, model.batch.month - 1])
        seen_ids |= {agent.unique_id for agent in model.agents}

    assert exits > 0, "the churn scenario should produce exits"
    assert len(seen_ids) > model.batch.seats, "new hires should get new agents"


def test_seat_statuses():
    model = SalesTeamModel(months=12, seed=3, **CHURN)
    run_to_end(model)

    assert len(model.seats) == model.batch.seats
    assert set(model.seats) <= {"vacant", "ramping", "active"}
    for agent in model.agents:
        assert model.seats[agent.seat] == agent.status
        assert agent.status in ("ramping", "active")


def test_running_stops_after_horizon():
    model = SalesTeamModel(months=6, seed=1)

    for month in range(1, 7):
        assert model.running
        model.step()
        assert model.batch.month == month

    assert model.batch.finished
    assert model.running, "the stop comes on the first step past the horizon"
    model.step()
    assert not model.running
    assert model.steps == 7
    assert model.batch.month == 6


def test_steps_past_horizon_are_noops():
    model = run_to_end(SalesTeamModel(months=4, seed=2))
    before = model.datacollector.get_model_vars_dataframe()
    agent_rows_before = len(model.datacollector.get_agent_vars_dataframe())
    agents_before = len(model.agents)

    model.step()
    model.step()

    after = model.datacollector.get_model_vars_dataframe()
    assert model.batch.month == 4
    assert not model.running
    assert len(model.agents) == agents_before
    assert len(before) == 5
    pd.testing.assert_frame_equal(before, after)
    assert len(model.datacollector.get_agent_vars_dataframe()) == agent_rows_before


def test_model_is_batch_of_one():
    strategy = "history_based"
    months = 18
    seeds = replication_seeds(2024, 5)
    model = run_to_end(SalesTeamModel(strategy=strategy, months=months, seed=seeds[2]))
    model_revenue = model.datacollector.get_model_vars_dataframe()["revenue"]

    alone = TeamBatch(Scenario(), get_strategy(strategy), [seeds[2]], months).run()
    batch = TeamBatch(Scenario(), get_strategy(strategy), seeds, months).run()

    expected = alone.recorder.monthly["revenue"][0]
    assert np.array_equal(model_revenue.to_numpy()[1:], expected)
    assert np.array_equal(batch.recorder.monthly["revenue"][2], expected)
    for name in MONTHLY_METRICS:
        assert np.array_equal(
            model.batch.recorder.monthly[name][0],
            batch.recorder.monthly[name][2],
            equal_nan=True,
        ), name


def test_model_vars_dataframe():
    model = run_to_end(SalesTeamModel(months=12, seed=4))
    frame = model.datacollector.get_model_vars_dataframe()

    assert list(frame.columns) == list(MONTHLY_METRICS)
    assert len(frame) == 13
    assert frame.iloc[0].isna().all(), "row 0 is collected before any month"
    assert frame["revenue"].iloc[1:].gt(0).all()
    assert frame["headcount"].iloc[1:].le(model.batch.seats).all()


def test_agent_vars_dataframe():
    model = run_to_end(SalesTeamModel(months=6, seed=4))
    frame = model.datacollector.get_agent_vars_dataframe()
    steps = frame.index.get_level_values("Step")

    assert list(frame.columns) == list(AGENT_REPORTERS)
    assert sorted(set(steps)) == list(range(7))
    assert (steps == 6).sum() == len(model.agents)
    assert frame["morale"].between(0, 1).all()
    assert frame["quota"].ge(0).all()


def test_run_metrics():
    model = SalesTeamModel(months=12, seed=8)

    with pytest.raises(RuntimeError, match="finished run"):
        model.run_metrics()
    metrics = run_to_end(model).run_metrics()

    assert list(metrics) == list(RUN_METRICS)
    assert all(isinstance(value, float) for value in metrics.values())
    monthly_revenue = model.batch.recorder.monthly["revenue"][0].sum()
    assert metrics["revenue"] == pytest.approx(monthly_revenue)


def test_batch_run_rows():
    rows = mesa.batch_run(
        SalesTeamModel,
        parameters={
            "strategy": ["equal_split", "dynamic"],
            "months": 24,
            "quota__target_growth": 0.08,
        },
        iterations=2,
        max_steps=12,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    last = frame[frame["Step"] == 12]

    assert frame["RunId"].nunique() == 4
    assert set(frame["strategy"]) == {"equal_split", "dynamic"}
    assert sorted(frame["Step"].unique()) == list(range(13))
    assert set(MONTHLY_METRICS) <= set(frame.columns)
    assert set(AGENT_REPORTERS) <= set(frame.columns)
    assert frame.loc[frame["Step"] == 0, "revenue"].isna().all()
    assert last["revenue"].gt(0).all()
    assert last["completion_rate"].notna().all()


def test_batch_run_step_alignment():
    rows = mesa.batch_run(
        SalesTeamModel,
        parameters={"strategy": "equal_split", "months": 24, "seed": 21},
        max_steps=12,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    reported = pd.DataFrame(rows).groupby("Step")["revenue"].first()
    model = SalesTeamModel(strategy="equal_split", months=24, seed=21)
    for _ in range(12):
        model.step()
    collected = model.datacollector.get_model_vars_dataframe()["revenue"]

    assert list(reported.index) == list(range(13))
    assert np.isnan(reported[0])
    assert np.array_equal(reported.to_numpy()[1:], collected.to_numpy()[1:13])


def test_batch_run_reports_final_month():
    parameters = {"months": 6, "seed": 3}
    every_step = mesa.batch_run(
        SalesTeamModel,
        parameters=parameters,
        max_steps=100,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    end_only = mesa.batch_run(
        SalesTeamModel,
        parameters=parameters,
        max_steps=100,
        number_processes=1,
        display_progress=False,
    )
    model = run_to_end(SalesTeamModel(**parameters))
    final_revenue = model.datacollector.get_model_vars_dataframe()["revenue"].iloc[-1]
    every_frame = pd.DataFrame(every_step)
    end_frame = pd.DataFrame(end_only)

    assert sorted(every_frame["Step"].unique()) == list(range(7))
    assert set(end_frame["Step"]) == {6}
    assert (end_frame["revenue"] == final_revenue).all()
    assert len(end_frame) == len(model.agents)


def test_same_seed_same_data():
    first = run_to_end(SalesTeamModel(months=12, seed=99))
    second = run_to_end(SalesTeamModel(months=12, seed=99))
    other = run_to_end(SalesTeamModel(months=12, seed=100))
    frame = first.datacollector.get_model_vars_dataframe()

    pd.testing.assert_frame_equal(
        frame, second.datacollector.get_model_vars_dataframe()
    )
    pd.testing.assert_frame_equal(
        first.datacollector.get_agent_vars_dataframe(),
        second.datacollector.get_agent_vars_dataframe(),
    )
    assert not frame.equals(other.datacollector.get_model_vars_dataframe())
    assert first.seed_used == 99


def test_seed_from_rng():
    unseeded = SalesTeamModel(months=3)
    from_rng = SalesTeamModel(months=3, rng=7)
    again = SalesTeamModel(months=3, rng=7)

    assert isinstance(unseeded.seed_used, int)
    assert 0 <= unseeded.seed_used < 2**63
    assert from_rng.seed_used == again.seed_used
    with pytest.raises(ValueError, match="seed"):
        SalesTeamModel(seed=1, rng=1)
    with pytest.raises(ValueError, match="non-negative"):
        SalesTeamModel(seed=-1)
    with pytest.raises(TypeError, match="int"):
        SalesTeamModel(seed=1.5)


def test_setting_overrides():
    model = SalesTeamModel(
        months=3, seed=1, quota__target_growth=0.12, team__seats=np.int64(40)
    )

    assert model.batch.scenario.quota.target_growth == 0.12
    assert model.batch.seats == 40
    with pytest.raises(TypeError, match="section__name"):
        SalesTeamModel(target_growth=0.1)
    with pytest.raises(ScenarioError, match="quota.no_such_setting"):
        SalesTeamModel(quota__no_such_setting=1)
    with pytest.raises(ValueError, match="months"):
        SalesTeamModel(months=0)


def test_agent_attributes_read_only():
    model = SalesTeamModel(months=3, seed=5)
    agent = next(iter(model.agents))
    names = (
        "skill",
        "territory_potential",
        "tenure",
        "morale",
        "fatigue",
        "effort",
        "quota",
        "period_sales",
        "seat",
        "status",
        "attainment_to_date",
    )

    for name in names:
        with pytest.raises(AttributeError):
            setattr(agent, name, 0.5)
    assert agent.morale == model.batch.morale[0, agent.seat]
    assert agent.skill == model.batch.skill[0, agent.seat]
    assert agent.territory_potential == model.batch.potential()[0, agent.seat]
    assert agent.period_sales == model.batch.period_sales[0, agent.seat]


def test_departed_agent_raises():
    model = SalesTeamModel(months=24, seed=11, **CHURN)
    agents = set(model.agents)

    while model.running and agents <= set(model.agents):
        model.step()
    departed = next(iter(agents - set(model.agents)))

    with pytest.raises(RuntimeError, match="has left the team"):
        _ = departed.morale
    assert departed.seat in range(model.batch.seats)


START_METHOD_SCRIPT = textwrap.dedent(
    """
    import multiprocessing
    import sys

    if sys.argv[1] != "unset":
        multiprocessing.set_start_method(sys.argv[1])
    before = multiprocessing.get_start_method(allow_none=True)
    import sim.model
    after = multiprocessing.get_start_method(allow_none=True)
    print(before, after, "mesa.batchrunner" in sys.modules)
    """
)


@pytest.mark.parametrize("start_method", ["unset", "fork", "forkserver"])
def test_import_keeps_start_method(start_method):
    available = multiprocessing.get_all_start_methods()
    if start_method != "unset" and start_method not in available:
        pytest.skip(f"start method {start_method!r} is not available here")

    # A fresh interpreter, because this test process has imported Mesa already.
    result = subprocess.run(
        [sys.executable, "-c", START_METHOD_SCRIPT, start_method],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after, imported = result.stdout.split()
    expected = "None" if start_method == "unset" else start_method

    assert imported == "True", "sim.model should import mesa.batchrunner"
    assert before == expected
    assert after == expected
