import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, shared_data

from sim.compare import run_comparison
from sim.metrics import RUN_METRICS
from sim.scenario import Scenario
from strategies import builtin_names

SMALL = ["--replications", "6", "--months", "12", "--workers", "1", "--no-figures"]


def quotalab(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


def test_one_and_two_workers_identical():
    scenario = Scenario().replace({"team.seats": 8})
    names = ["equal_split", "dynamic"]
    one = run_comparison(scenario, names, replications=6, months=12, seed=3, workers=1)
    two = run_comparison(scenario, names, replications=6, months=12, seed=3, workers=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.monthly, two.monthly)
    pd.testing.assert_frame_equal(one.changes, two.changes)
    assert len(one.runs) == 12


def test_summary_intervals_and_paired_differences():
    scenario = Scenario().replace({"team.seats": 8})
    result = run_comparison(
        scenario,
        ["history_based", "equal_split"],
        replications=20,
        months=12,
        seed=1,
        baseline="history_based",
    )
    summary = result.summary.set_index("strategy")
    for metric in RUN_METRICS:
        for name in ("history_based", "equal_split"):
            low, mean, high = (
                summary.loc[name, f"{metric}_{k}"]
                for k in ("ci_low", "mean", "ci_high")
            )
            if pd.notna(low):
                assert low <= mean <= high, metric
    differences = result.differences.set_index("strategy")
    assert differences.loc["history_based", "revenue_mean"] == 0.0
    runs = result.runs.pivot(index="replication", columns="strategy", values="revenue")
    paired = (runs["equal_split"] - runs["history_based"]).mean()
    assert differences.loc["equal_split", "revenue_mean"] == pytest.approx(paired)


def test_compare_writes_complete_folder(tmp_path):
    out = tmp_path / "run"
    done = quotalab(
        "compare",
        "--out",
        str(out),
        "--strategies",
        "equal_split,history_based",
        "--replications",
        "5",
        "--months",
        "12",
        "--workers",
        "1",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert "completion_rate" in done.stdout
    assert "Paired difference against history_based" in done.stdout
    for name in (
        "summary.csv",
        "runs.parquet",
        "monthly.parquet",
        "manifest.json",
        "changes.csv",
        "figures/headlines.png",
        "figures/attainment.png",
    ):
        assert (out / name).is_file(), name
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["strategy"]) == ["equal_split", "history_based"]
    assert {
        "completion_rate_mean",
        "completion_rate_ci_low",
        "completion_rate_ci_high",
    } <= set(summary)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 10
    assert runs["seed"].nunique() == 5
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["root_seed"] == 0
    assert len(manifest["replication_seeds"]) == 5
    assert manifest["versions"]["mesa"]
    assert "commit" in manifest["git"]
    assert manifest["scenario"]["quota"]["target_growth"] == pytest.approx(0.10)
    assert not list(tmp_path.glob(".*partial*"))


def test_same_seed_identical_files(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        done = quotalab("compare", "--out", str(out), "--seed", "7", *SMALL, "--quiet")
        assert done.returncode == 0, done.stderr
        outputs.append(out)
    for name in ("summary.csv", "differences.csv", "changes.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), (
            name
        )
    for name in ("runs.parquet", "monthly.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(outputs[0] / name), pd.read_parquet(outputs[1] / name)
        )
    other = tmp_path / "c"
    assert (
        quotalab(
            "compare", "--out", str(other), "--seed", "8", *SMALL, "--quiet"
        ).returncode
        == 0
    )
    assert (other / "summary.csv").read_bytes() != (
        outputs[0] / "summary.csv"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["--strategies", "peanut_butter"],
            "unknown strategy 'peanut_butter'; valid: equal_split",
        ),
        (["--replications", "0"], "--replications: must be >= 1 (got 0)"),
        (
            ["--replications", "many"],
            "--replications: must be a whole number (got 'many')",
        ),
        (["--months", "-3"], "--months: must be >= 1 (got -3)"),
        (
            ["--team", "tests/data/generic-team", "--format", "salesforce2"],
            "unknown format 'salesforce2'",
        ),
        (["--team", "no/such/folder"], "no/such/folder"),
        (["--scenario", "no_such.toml"], "--scenario: file not found"),
        (
            ["--baseline", "dynamic", "--strategies", "equal_split"],
            "--baseline: 'dynamic' is not among",
        ),
        (["--format", "adventureworks"], "--format: only applies with --team"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, args, fragment):
    out = tmp_path / "out"
    done = quotalab("compare", "--out", str(out), *SMALL, *args)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "[pay]\nthreshold = 2.0\n",
            "pay.threshold: must be between 0.0 and 0.99 (got 2.0)",
        ),
        ("[team]\nseats = 'ten'\n", "team.seats: must be a whole number (got 'ten')"),
    ],
)
def test_bad_scenario_file_exit_2(tmp_path, text, fragment):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    out = tmp_path / "out"
    done = quotalab("compare", "--out", str(out), "--scenario", str(scenario), *SMALL)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert str(scenario) in done.stderr
    assert not out.exists()


def test_existing_output_folder_rejected(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = quotalab("compare", "--out", str(out), *SMALL)
    assert done.returncode == 2
    assert "already exists and is not empty" in done.stderr
    assert (out / "keep.txt").read_text() == "mine"


def test_empty_sales_file_rejected(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "sales.csv").write_text("rep_id,date,amount\n")
    done = quotalab(
        "compare", "--team", str(team), "--out", str(tmp_path / "out"), *SMALL
    )
    assert done.returncode == 2
    assert "sales.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_compare_on_shipped_adventureworks_sample(tmp_path):
    out = tmp_path / "aw"
    done = quotalab(
        "compare",
        "--team",
        "sim/data/adventureworks-sample",
        "--format",
        "adventureworks",
        "--out",
        str(out),
        *SMALL,
    )
    assert done.returncode == 0, done.stderr
    assert "From the data" in done.stderr
    assert "team.seats: data: 14 reps" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["team"]["seats"] == 14
    assert manifest["provenance"]["team.productivity"].startswith("data: ")
    for name in ("Blythe", "Jiang", "Ansman"):
        assert name not in done.stdout + done.stderr
        assert name not in (out / "manifest.json").read_text()


@pytest.mark.shared_data
def test_compare_on_adventureworks_public_data(tmp_path):
    path = shared_data("adventureworks-oltp-sales")
    out = tmp_path / "aw"
    done = quotalab(
        "compare",
        "--team",
        str(path),
        "--format",
        "adventureworks",
        "--out",
        str(out),
        *SMALL,
    )
    assert done.returncode == 0, done.stderr
    assert "From the data" in done.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    # Without --strategies, compare runs every registered built-in.
    assert set(runs["strategy"]) == set(builtin_names())
    assert (runs["revenue"] > 0).all()


def test_short_horizon_runs(tmp_path):
    out = tmp_path / "short"
    done = quotalab(
        "compare",
        "--out",
        str(out),
        "--months",
        "6",
        "--replications",
        "3",
        "--workers",
        "1",
        "--no-figures",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["annual_median_attainment"].isna().all()
    assert runs["median_attainment"].notna().all()


BAD_STRATEGIES = '''
import numpy as np
from strategies import WeightedStrategy

class Negative(WeightedStrategy):
    """Negative weights."""
    name = "negative"
    def weights(self, view):
        return -np.ones(view.active.shape)

class WrongShape(WeightedStrategy):
    """Weights of the wrong shape."""
    name = "wrong_shape"
    def weights(self, view):
        return np.ones(3)
'''


@pytest.mark.parametrize(
    ("attribute", "name", "fragment"),
    [
        (
            "Negative",
            "negative",
            "weights must be finite and >= 0 on occupied seats (got -1.0",
        ),
        ("WrongShape", "wrong_shape", "weights have shape (3,); expected"),
    ],
)
def test_bad_user_strategy_named(tmp_path, attribute, name, fragment):
    (tmp_path / "bad_rules.py").write_text(BAD_STRATEGIES)
    out = tmp_path / "out"
    done = quotalab(
        "compare",
        "--strategies",
        f"equal_split,bad_rules:{attribute}",
        "--out",
        str(out),
        *SMALL,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert f"strategy '{name}'" in done.stderr
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
