import math

import pytest

from sim.errors import ScenarioError
from sim.scenario import SECTIONS, Scenario, describe_settings


def test_defaults_are_valid_and_documented():
    scenario = Scenario()
    rows = describe_settings()
    assert scenario.quota.target_growth == pytest.approx(0.10)
    assert scenario.pay.base_share == pytest.approx(0.60)
    assert len(rows) > 60
    for row in rows:
        assert row["unit"] is not None, row["setting"]
        assert row["source"], f"{row['setting']} has no source"


def test_toml_round_trip(tmp_path):
    changed = Scenario().replace(
        {"pay.cap": 2.5, "team.seats": 12, "quota.period": "annual"}
    )
    path = tmp_path / "scenario.toml"
    changed.save(path, provenance={"team.seats": "data: test"})
    loaded = Scenario.load(path)
    assert loaded == changed
    assert loaded.pay.cap == 2.5
    assert loaded.quota.period == "annual"


def test_partial_file_keeps_defaults(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text("[pay]\naccelerator = 2\n")
    loaded = Scenario.load(path)
    assert loaded.pay.accelerator == 2.0
    assert isinstance(loaded.pay.accelerator, float)
    assert loaded.team == Scenario().team


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "[pay]\nthreshold = 1.5\n",
            "pay.threshold: must be between 0.0 and 0.99 (got 1.5)",
        ),
        ("[pay]\nthreshold = 'high'\n", "pay.threshold: must be a number (got 'high')"),
        ("[team]\nseats = 2.5\n", "team.seats: must be a whole number (got 2.5)"),
        ("[team]\nseats = 0\n", "team.seats: must be between 1 and 100000 (got 0)"),
        ("[pay]\nbonus = 1\n", "pay.bonus: unknown setting; valid: ote_per_year"),
        ("[payplan]\nx = 1\n", "payplan: unknown section; valid: team, market"),
        (
            "[quota]\nperiod = 'weekly'\n",
            "quota.period: must be one of monthly, quarterly",
        ),
        ("[pay]\ncap = 0.8\n", "pay.cap: must be 0 (no cap) or above 1.0 (got 0.8)"),
        ("[team]\nwarmup_months = 6\n", "team.warmup_months: must be a multiple of 12"),
        ("[team]\nseats = 3\nproductivity = [1.0, 2.0]\n", "team.productivity"),
        ("[team\n", "invalid TOML"),
        ("seats = 10\n", "seats: setting outside any section; put it under one of"),
    ],
)
def test_bad_values_name_field_and_value(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        Scenario.load(tmp_path / "nope.toml")


def test_non_finite_rejected():
    with pytest.raises(ScenarioError, match="finite"):
        Scenario().replace({"market.growth_per_year": math.inf})


def test_every_section_in_dict():
    data = Scenario().to_dict()
    assert set(data) == set(SECTIONS)
    assert Scenario.from_dict(data) == Scenario()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"stability.revision_interval": 3},
            "stability.revision_interval: must be below the quota period (3 months",
        ),
        (
            {"manager.coaching_capacity": 3, "tracking.alert_pace": 0.4},
            "tracking.write_off_pace: must be below tracking.alert_pace (0.4)",
        ),
    ],
)
def test_levers_that_cannot_act_rejected(changes, fragment):
    with pytest.raises(ScenarioError) as caught:
        Scenario().replace(changes)
    assert fragment in str(caught.value)


def test_lever_reach_allows_annual_revisions():
    scenario = Scenario().replace(
        {"quota.period": "annual", "stability.revision_interval": 3}
    )
    assert scenario.stability.revision_interval == 3
