"""Tests for calibrating a scenario from data: estimates, fit, backtest, commands.

Estimators are checked on teams with a known result: sales simulated by the model
with stated settings, or written by formula (a seasonal profile, a ramp, a quota
rule). The commands run as real processes on the shipped AdventureWorks sample
and on the hand-made exports in ``tests/data``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

from sim.calibration import calibrate, estimate_scenario, run_backtest
from sim.calibration.history import build_panel, last_complete_month
from sim.calibration.policy import estimate_policy
from sim.calibration.simulate import simulate_panels
from sim.errors import DataError
from sim.scenario import SECTIONS, Scenario
from sim.teamdata import ADVENTUREWORKS_SAMPLE, TeamData, read_team
from strategies.builtin import HistoryBased

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
REPLICATIONS = 20


def team_from_panel(sales: np.ndarray, start: str = "2020-01") -> TeamData:
    """Turn a (reps, months) array into a TeamData with one sale per rep-month."""
    months = pd.period_range(start, periods=sales.shape[1], freq="M")
    rows = [
        (f"r{rep}", months[t].to_timestamp(), float(sales[rep, t]))
        for rep in range(sales.shape[0])
        for t in range(sales.shape[1])
        if np.isfinite(sales[rep, t])
    ]
    frame = pd.DataFrame(rows, columns=["rep_id", "date", "amount"])
    return TeamData(sales=frame, roster=None, quotas=None, source="made", format="x")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


# Estimators with known results


def test_noise_recovered_from_simulated_team():
    scenario = Scenario().replace(
        {
            "team.seats": 40,
            "team.warmup_months": 0,
            "sales.noise_sigma": 0.25,
            "market.territory_sigma": 0.0,
            "attrition.base_hazard": 0.0,
            "attrition.review_exit_probability": 0.0,
        }
    )
    simulated = simulate_panels(scenario, HistoryBased(), 1, 36, seed=3)
    cells = int(np.isfinite(simulated.sales[0]).sum())

    estimated = estimate_scenario(team_from_panel(simulated.sales[0])).scenario

    # The sampling error of a log-sd from n cells is about sigma / sqrt(2 n),
    # 0.005 here. The bound is four of those plus 0.02 for the effort variation
    # that the estimate also absorbs (0.016 at these settings and seed).
    tolerance = 4 * 0.25 / math.sqrt(2 * cells) + 0.02
    assert abs(estimated.sales.noise_sigma - 0.25) < tolerance


def test_no_persistence_without_territory_shocks():
    rng = np.random.default_rng(7)
    sales = 1000 * np.exp(0.3 * rng.standard_normal((30, 36)))

    estimates = estimate_scenario(team_from_panel(sales))

    assert estimates.scenario.market.territory_sigma == 0.0
    assert "no persistent component" in estimates.provenance["market.territory_rho"]


def test_season_profile_recovered_and_rotated():
    profile = np.array([0.8, 0.9, 1.0, 1.0, 1.0, 1.1, 0.9, 0.9, 1.0, 1.1, 1.1, 1.2])
    months = 36
    calendar = np.arange(months) % 12
    sales = np.tile(1000 * profile[calendar], (10, 1))

    estimates = estimate_scenario(team_from_panel(sales, start="2020-01"))
    estimated = np.array(estimates.scenario.market.season_profile)

    # The run starts in January 2023, the month after the history ends.
    expected = profile / profile.mean()
    np.testing.assert_allclose(estimated, expected, atol=1e-3)
    assert estimates.scenario.market.growth_per_year == pytest.approx(0.0, abs=1e-6)


def test_season_profile_rotation_follows_as_of():
    profile = np.linspace(0.7, 1.3, 12)
    sales = np.tile(1000 * profile[np.arange(36) % 12], (8, 1))

    estimates = estimate_scenario(team_from_panel(sales), as_of="2022-05")
    estimated = np.array(estimates.scenario.market.season_profile)

    # With as_of May, the first simulated month is June (index 5).
    expected = np.roll(profile / profile.mean(), -5)
    np.testing.assert_allclose(estimated, expected, atol=1e-3)


def test_short_history_keeps_season_default():
    sales = np.full((5, 10), 1000.0)

    estimates = estimate_scenario(team_from_panel(sales))

    assert estimates.scenario.market.season_profile == []
    assert estimates.provenance["market.season_profile"].startswith("default:")
    assert estimates.provenance["market.growth_per_year"].startswith("default:")


def test_growth_recovered():
    growth = 0.2
    monthly = (1 + growth) ** (np.arange(36) / 12)
    sales = np.tile(1000 * monthly, (6, 1))

    estimates = estimate_scenario(team_from_panel(sales))

    assert estimates.scenario.market.growth_per_year == pytest.approx(growth, abs=1e-3)


def test_ramp_recovered_from_hires():
    ramp_months, lag = 6.0, 1.0
    months = pd.period_range("2020-01", periods=30, freq="M")
    rows, roster = [], []
    for rep, hired in enumerate([0, 0, 0, 6, 8, 10]):
        for t in range(hired, 30):
            tenure = t - hired
            share = min(max((tenure - lag) / (ramp_months - lag), 0.0), 1.0)
            rows.append((f"r{rep}", months[t].to_timestamp(), 1000 * share + 1e-9))
        roster.append((f"r{rep}", months[hired].to_timestamp(), pd.NaT, "", ""))
    sales = pd.DataFrame(rows, columns=["rep_id", "date", "amount"])
    roster = pd.DataFrame(
        roster, columns=["rep_id", "hire_date", "exit_date", "team", "territory"]
    )
    roster["exit_date"] = roster["exit_date"].astype("datetime64[ns]")
    team = TeamData(sales=sales, roster=roster, quotas=None, source="x", format="x")

    estimates = estimate_scenario(team)

    assert estimates.scenario.sales.ramp_months == pytest.approx(ramp_months, abs=0.25)
    assert "3 hires" in estimates.provenance["sales.ramp_months"]


def test_attrition_from_exit_dates():
    team = read_team(DATA / "generic-team")
    estimates = estimate_scenario(team)
    rep_months = int(np.isfinite(estimates.panel.sales).sum())

    assert estimates.scenario.attrition.base_hazard == pytest.approx(
        1 / rep_months, abs=1e-5
    )
    assert "1 exit" in estimates.provenance["attrition.base_hazard"]


def test_policy_weights_recovered():
    rng = np.random.default_rng(11)
    beat, miss = 0.7, 0.2
    reps, periods = 12, 10
    quota = np.full((reps, periods), 3000.0)
    sales = np.zeros((reps, periods))
    for p in range(periods):
        sales[:, p] = quota[:, p] * rng.uniform(0.6, 1.4, reps)
        if p + 1 < periods:
            weight = np.where(sales[:, p] > quota[:, p], beat, miss)
            quota[:, p + 1] = 1.1 * (weight * sales[:, p] + (1 - weight) * quota[:, p])
    # Spread each quarter evenly over its three months.
    monthly_sales = np.repeat(sales / 3, 3, axis=1)
    monthly_quota = np.repeat(quota / 3, 3, axis=1)

    policy = estimate_policy(monthly_sales, monthly_quota, 3, 0)

    assert policy.weight_after_beat == pytest.approx(beat, abs=1e-6)
    assert policy.weight_after_miss == pytest.approx(miss, abs=1e-6)
    assert policy.note.startswith("data:")


def test_policy_default_without_quotas():
    policy = estimate_policy(np.ones((3, 12)), None, 3, 0)

    assert policy.weight_after_beat == HistoryBased.weight_after_beat
    assert policy.note.startswith("default:")


def test_partial_last_month_dropped():
    dates = pd.to_datetime(["2024-01-03", "2024-02-10", "2024-03-06"])
    sales = pd.DataFrame({"rep_id": "r1", "date": dates, "amount": 1.0})
    team = TeamData(sales=sales, roster=None, quotas=None, source="x", format="x")

    month, note = last_complete_month(team)
    panel = build_panel(team)

    assert str(month) == "2024-02"
    assert "incomplete" in note
    assert [str(m) for m in panel.months] == ["2024-01", "2024-02"]


def test_monthly_bookings_keep_last_month():
    dates = pd.to_datetime(["2024-01-01", "2024-02-01"])
    sales = pd.DataFrame({"rep_id": "r1", "date": dates, "amount": 1.0})
    team = TeamData(sales=sales, roster=None, quotas=None, source="x", format="x")

    assert last_complete_month(team) == (pd.Period("2024-02", "M"), None)


def test_deal_statistics_observed():
    team = read_team(DATA / "maven-crm", "maven_crm")
    observed = estimate_scenario(team).observed

    assert observed["win_rate"] == pytest.approx(3 / 4)
    assert observed["cycle_days_won_median"] == 24
    assert observed["cycle_days_lost_median"] == 7


def test_bad_as_of_rejected():
    team = read_team(ADVENTUREWORKS_SAMPLE, "adventureworks")

    with pytest.raises(DataError, match="as_of 2030-01 is outside the history"):
        estimate_scenario(team, as_of="2030-01")


# The calibrated scenario


def test_provenance_covers_every_setting():
    provenance = estimate_scenario(
        read_team(ADVENTUREWORKS_SAMPLE, "adventureworks")
    ).provenance
    settings = {
        f"{section}.{name}"
        for section, cls in SECTIONS.items()
        for name in (cls.__dataclass_fields__)
    }

    missing = settings - set(provenance)
    assert not missing
    assert all(v.startswith(("data: ", "default: ")) for v in provenance.values())


def test_scenario_file_loads(tmp_path):
    result = calibrate(
        ADVENTUREWORKS_SAMPLE, "adventureworks", replications=5, backtest=False
    )
    path = tmp_path / "scenario.toml"
    result.save_scenario(path)

    loaded = Scenario.load(path)

    assert loaded == result.scenario
    assert "[provenance]" in path.read_text()


# Fit and backtest


@pytest.fixture(scope="module")
def sample_calibration():
    return calibrate(
        ADVENTUREWORKS_SAMPLE, "adventureworks", replications=REPLICATIONS, seed=1
    )


def test_fit_table_shape(sample_calibration):
    fit = sample_calibration.fit

    assert list(fit.columns) == [
        "statistic",
        "description",
        "settings",
        "observed",
        "simulated",
        "low",
        "high",
        "inside",
    ]
    assert (fit["low"] <= fit["simulated"]).all()
    assert (fit["simulated"] <= fit["high"]).all()


def test_fit_observed_values_from_history(sample_calibration):
    fit = sample_calibration.fit.set_index("statistic")
    panel = sample_calibration.estimates.panel

    assert fit.loc["sales_per_rep_month", "observed"] == pytest.approx(
        np.nanmean(panel.sales[:, -12:])
    )
    assert 0 <= fit.loc["share_at_quota", "observed"] <= 1


def test_fit_reproducible():
    first = calibrate(ADVENTUREWORKS_SAMPLE, "adventureworks", replications=4, seed=5)
    second = calibrate(ADVENTUREWORKS_SAMPLE, "adventureworks", replications=4, seed=5)
    other = calibrate(ADVENTUREWORKS_SAMPLE, "adventureworks", replications=4, seed=6)

    pd.testing.assert_frame_equal(first.fit, second.fit)
    assert not first.fit["simulated"].equals(other.fit["simulated"])


def test_backtest_holds_back_a_third(sample_calibration):
    backtest = sample_calibration.backtest

    assert str(backtest.as_of) == "2013-05"
    assert len(backtest.months) == 12
    assert len(backtest.periods) == 4
    assert 0.0 <= backtest.period_coverage <= 1.0
    assert backtest.total["actual"] == pytest.approx(backtest.months["actual"].sum())


def test_backtest_stops_at_as_of():
    result = calibrate(
        ADVENTUREWORKS_SAMPLE, "adventureworks", replications=2, as_of="2014-02"
    )

    assert str(result.backtest.as_of) == "2013-03"
    assert result.backtest.months["period"].iloc[-1] == "2014-02"


def test_backtest_too_short_rejected():
    team = team_from_panel(np.full((3, 4), 100.0))

    with pytest.raises(DataError, match="backtest: the history has 4 complete months"):
        run_backtest(team, replications=2)


def test_report_folder(sample_calibration, tmp_path):
    folder = sample_calibration.write_report(tmp_path / "fit")
    text = (folder / "fit.md").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())

    assert "## Fit" in text
    assert "## Backtest" in text
    assert (folder / "figures" / "fit.png").is_file()
    assert (folder / "figures" / "backtest.png").is_file()
    assert manifest["replications"] == REPLICATIONS
    assert manifest["root_seed"] == 1


# Commands


def test_calibrate_command_feeds_compare(tmp_path):
    scenario = tmp_path / "aw.toml"
    done = run_cli(
        "calibrate",
        str(ADVENTUREWORKS_SAMPLE),
        "--format",
        "adventureworks",
        "-o",
        str(scenario),
        "--replications",
        "5",
        "--no-figures",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Backtest (calibrated to 2013-05" in done.stdout
    assert (tmp_path / "aw-fit" / "fit.md").is_file()

    compared = run_cli(
        "compare",
        "--scenario",
        str(scenario),
        "--strategies",
        "history_based,equal_split",
        "--replications",
        "3",
        "--months",
        "6",
        "--workers",
        "1",
        "--no-figures",
        "--quiet",
        "--out",
        str(tmp_path / "compare"),
        cwd=tmp_path,
    )
    assert compared.returncode == 0, compared.stderr
    manifest = json.loads((tmp_path / "compare" / "manifest.json").read_text())
    assert manifest["scenario"]["team"]["seats"] == 14


def test_calibrate_command_on_export(tmp_path):
    done = run_cli(
        "calibrate",
        str(EXPORTS / "mapped.csv"),
        "--columns",
        "rep_id=Seller,amount=Deal value,date=Won on,stage=Result",
        "-o",
        str(tmp_path / "s.toml"),
        "--replications",
        "3",
        "--no-backtest",
        "--no-figures",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    # The last deal closes on 9 February, so February is incomplete and dropped;
    # in January only s-1 won a deal, so one rep has a seat.
    assert Scenario.load(tmp_path / "s.toml").team.seats == 1
    assert "dropped 2024-02" in (tmp_path / "s-fit" / "fit.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "nope"], "--format: unknown format 'nope'; valid: "),
        (["--format", "adventureworks", "--columns", "rep_id=A"], "--columns: "),
        (["--format", "salesforce", "--rates", "EUR=x"], "--rates: entry 'EUR=x'"),
        (["--format", "deals"], "--columns: required with --format deals"),
    ],
)
def test_calibrate_option_errors(tmp_path, args, message):
    done = run_cli(
        "calibrate", str(EXPORTS / "refunds.csv"), "-o", "s.toml", *args, cwd=tmp_path
    )

    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.toml").exists()


def test_calibrate_data_error_one_line(tmp_path):
    done = run_cli(
        "calibrate",
        str(EXPORTS / "currencies.csv"),
        "--format",
        "salesforce",
        "-o",
        "s.toml",
        cwd=tmp_path,
    )

    assert done.returncode == 2
    assert "currencies.csv: amounts are in 2 currencies" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "s.toml").exists()
    assert not (tmp_path / "s-fit").exists()


def test_import_command_pseudonymizes(tmp_path):
    out = tmp_path / "imported"
    done = run_cli(
        "import",
        str(EXPORTS / "salesforce_amounts.csv"),
        "--format",
        "salesforce",
        "--pseudonymize",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr

    sales = pd.read_csv(out / "sales.csv", dtype={"rep_id": str})
    written = "".join(path.read_text() for path in out.iterdir() if path.is_file())
    assert sorted(p.name for p in out.iterdir()) == [
        "deals.csv",
        "manifest.json",
        "notes.txt",
        "sales.csv",
    ]
    assert sales["rep_id"].str.startswith("p-").all()
    assert "Ana Lima" not in written
    assert read_team(out).sales["amount"].sum() == pytest.approx(7484.75)


def test_import_adventureworks_one_row_per_order(tmp_path):
    out = tmp_path / "aw"
    done = run_cli(
        "import",
        str(ADVENTUREWORKS_SAMPLE),
        "--format",
        "adventureworks",
        "-o",
        str(out),
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr

    sales = pd.read_csv(out / "sales.csv", parse_dates=["date"])
    original = read_team(ADVENTUREWORKS_SAMPLE, "adventureworks")
    assert len(sales) == len(original.sales)
    assert (sales["date"].dt.day == 1).all()


def test_import_rejects_full_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.txt").write_text("x")

    done = run_cli(
        "import", str(DATA / "generic-team"), "-o", str(tmp_path / "out"), cwd=tmp_path
    )

    assert done.returncode == 2
    assert "already exists and is not empty" in done.stderr


# The public data sets


@pytest.mark.shared_data
def test_full_adventureworks_matches_sample():
    full = calibrate(
        shared_data("adventureworks-oltp-sales"),
        "adventureworks",
        replications=5,
        backtest=False,
    )
    sample = calibrate(
        ADVENTUREWORKS_SAMPLE, "adventureworks", replications=5, backtest=False
    )

    pd.testing.assert_frame_equal(full.fit, sample.fit)


@pytest.mark.shared_data
def test_maven_pipeline_calibrates():
    result = calibrate(
        shared_data("maven-crm-sales-opportunities"), "maven_crm", replications=5
    )

    assert result.scenario.team.seats == 30
    assert result.estimates.observed["win_rate"] == pytest.approx(0.6315, abs=1e-4)
    assert str(result.backtest.as_of) == "2017-09"
    assert len(result.backtest.months) == 3


def test_default_target_far_from_trend_warns(tmp_path, caplog):
    import numpy as np
    import pandas as pd

    from sim.calibration import calibrate

    rng = np.random.default_rng(0)
    rows = []
    for rep in range(6):
        for month in range(24):
            date = pd.Timestamp(2022, 1, 1) + pd.DateOffset(months=month)
            amount = 10_000 * 0.98**month * np.exp(0.2 * rng.standard_normal())
            rows.append((f"r{rep}", date.strftime("%Y-%m-%d"), round(amount, 2)))
    folder = tmp_path / "team"
    folder.mkdir()
    pd.DataFrame(rows, columns=["rep_id", "date", "amount"]).to_csv(
        folder / "sales.csv", index=False
    )
    with caplog.at_level("WARNING", logger="sim.calibration"):
        result = calibrate(folder, replications=5, backtest=False)
    messages = [record.getMessage() for record in caplog.records]
    warnings = [message for message in messages if "target_growth" in message]
    assert result.estimates.scenario.market.growth_per_year < 0
    assert len(warnings) == 1
    assert "stays at its default 0.10" in warnings[0]


def test_import_generic_day_first_option(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "sales.csv").write_text(
        "rep_id,date,amount\nA,05/01/2023,100\nB,06/02/2023,200\nA,07/03/2023,100\n"
    )
    out = tmp_path / "imported"
    done = run_cli("import", str(team), "--day-first", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    sales = pd.read_csv(out / "sales.csv")
    assert list(sales["date"]) == ["2023-01-05", "2023-02-06", "2023-03-07"]
