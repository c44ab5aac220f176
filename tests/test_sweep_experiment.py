"""Experiment files: defaults, overrides and one-line errors naming the key path."""

import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from sim.errors import QuotaLabError, StrategyError
from sim.metrics import RUN_METRICS
from sim.sweep import ExperimentError, load_experiment
from strategies import builtin_names

FACTOR = """
[factors.growth]
setting = "quota.target_growth"
low = 0.0
high = 0.4
levels = 9
"""


def write(tmp_path, text, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_one_key_file_takes_documented_defaults(tmp_path):
    experiment = load_experiment(write(tmp_path, "seed = 0\n"))
    assert experiment.name == "experiment"
    assert experiment.strategies == tuple(builtin_names())
    assert experiment.baseline == "history_based"
    assert experiment.replications == 100
    assert experiment.seed == 0
    assert experiment.months == 36
    assert experiment.factors == ()
    assert experiment.design.method == "full_factorial"
    assert experiment.run_metrics == RUN_METRICS
    assert experiment.monthly_metrics == ()
    assert str(experiment.default_folder()) == "results/experiment"


def test_base_layers_file_inline_settings(tmp_path):
    (tmp_path / "scenario.toml").write_text(
        "[pay]\ncap = 3.0\n[team]\nseats = 12\n", encoding="utf-8"
    )
    path = write(
        tmp_path,
        """
        [base]
        file = "scenario.toml"
        [base.team]
        seats = 9
        """,
    )
    experiment = load_experiment(path)
    assert experiment.base.pay.cap == 3.0  # from the file
    assert experiment.base.team.seats == 9  # inline wins over the file
    assert experiment.base_sources["file"] == str(tmp_path / "scenario.toml")


def test_base_team_data_sets_seats(tmp_path):
    data = ROOT / "tests" / "data" / "generic-team"
    path = write(tmp_path, f'[base]\nteam_data = "{data}"\n')
    experiment = load_experiment(path)
    assert experiment.base.team.seats >= 1
    assert experiment.base.team.productivity
    assert experiment.base_sources["team_format"] == "generic"
    assert experiment.provenance


def test_quick_applies_overrides_and_defaults(tmp_path):
    path = write(
        tmp_path,
        """
        replications = 50
        months = 60
        strategies = ["equal_split", "history_based", "dynamic"]
        [factors.growth]
        setting = "quota.target_growth"
        low = 0.0
        high = 0.4
        levels = 9
        [quick]
        replications = 3
        strategies = ["equal_split", "history_based"]
        """,
    )
    full = load_experiment(path)
    quick = load_experiment(path, quick=True)
    assert full.replications == 50
    assert quick.replications == 3
    assert quick.months == 12  # the default: min(months, 12)
    assert quick.factors[0].levels == 3  # the default: min(levels, 3)
    assert quick.strategies == ("equal_split", "history_based")
    assert str(quick.default_folder()) == "results/experiment-quick"


def test_quick_sample_default_keeps_power_of_two(tmp_path):
    path = write(
        tmp_path,
        FACTOR + '[design]\nmethod = "sobol"\nsamples = 256\n',
    )
    assert load_experiment(path).design.samples == 256
    assert load_experiment(path, quick=True).design.samples == 8


def test_sha256_changes_with_text(tmp_path):
    first = load_experiment(write(tmp_path, "seed = 1\n"))
    second = load_experiment(write(tmp_path, "seed = 2\n"))
    assert first.sha256 != second.sha256
    assert len(first.sha256) == 64


BAD_FILES = [
    (
        "[factors.growth]\nsetting = 'quota.target_growth'\nlow = 0.2\nhigh = 0.1\n",
        "factors.growth.high: must be greater than factors.growth.low (got 0.1 <= 0.2)",
    ),
    (
        "[factors.growth]\nsetting = 'quota.target_growth'\nlow = 0.0\nhigh = 5.0\n",
        "factors.growth.high: quota.target_growth must be between -0.5 and 2.0",
    ),
    ("[factors.x]\nsetting = 'quota.nope'\nvalues = [1]\n", "factors.x.setting"),
    ("[factors.x]\nsetting = 'pay.cap'\n", "factors.x: give either values"),
    (
        "[factors.x]\nsetting = 'pay.cap'\nvalues = [2.0, 2.0]\n",
        "factors.x.values: must not repeat a value",
    ),
    (
        "[factors.x]\nsetting = 'team.seats'\nvalues = [5.5]\n",
        "factors.x.values: must be whole numbers",
    ),
    (
        "[factors.a]\nsetting = 'pay.cap'\nvalues = [2.0]\n"
        "[factors.b]\nsetting = 'pay.cap'\nvalues = [3.0]\n",
        "factors.b.setting: is already varied by factors.a",
    ),
    (
        "[factors.x]\nsetting = 'pay.cap'\nlow = 2\nhigh = 3\n"
        "distribution = 'normalish'\n",
        "factors.x.distribution: must be one of uniform, loguniform, triangular",
    ),
    (
        "[factors.x]\nsetting = 'pay.cap'\nlow = 2\nhigh = 3\n"
        "distribution = 'triangular'\nmode = 4\n",
        "factors.x.mode: must lie between",
    ),
    ("replications = 0\n", "replications: must be >= 1 (got 0)"),
    ("months = 'long'\n", "months: must be a whole number >= 1"),
    ("seed = -1\n", "seed: must be >= 0"),
    ("colour = 'red'\n", "colour: unknown key; valid: name"),
    ("strategies = []\n", "strategies: must be a non-empty list"),
    ("baseline = 'dynamic'\nstrategies = ['equal_split']\n", "baseline: must be one"),
    ("[design]\nmethod = 'random'\n", "design.method: must be one of full_factorial"),
    (
        FACTOR + "[design]\nmethod = 'sobol'\nsamples = 10\n",
        "design.samples: must be a power of 2",
    ),
    ("[design]\nsamples = 10\n", "design.samples: only applies to sampled designs"),
    (
        FACTOR + "[design]\nmethod = 'morris'\nlevels = 3\n",
        "design.levels: must be even",
    ),
    ("[metrics]\nrun = ['speed']\n", "metrics.run: unknown name"),
    ("[metrics]\nmonthly = ['revenue', 'revenue']\n", "metrics.monthly: must not"),
    ("[base.pay]\ncap = 0.5\n", "base.pay.cap: must be 0 (no cap) or above 1.0"),
    ("[base.weather]\nrain = 1\n", "base.weather: unknown key"),
    ("[base]\nfile = 'missing.toml'\n", "base.file: scenario file not found"),
    ("[base]\nteam_format = 'generic'\n", "base.team_format: only applies"),
    ("[quick]\nreplications = 0\n", "quick.replications: must be >= 1"),
    ("[quick]\npoints = 3\n", "quick.points: unknown key"),
    ("[output]\nfolder = ''\n", "output.folder: must be a non-empty string"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_file_names_key_and_value(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path, quick=True)
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_unknown_strategy_names_key(tmp_path):
    path = write(tmp_path, "strategies = ['equal_split', 'coin_flip']\n")
    with pytest.raises(StrategyError) as caught:
        load_experiment(path)
    assert "strategies: unknown strategy 'coin_flip'" in str(caught.value)


def test_cross_field_rule_checked_per_point(tmp_path):
    path = write(
        tmp_path,
        """
        [factors.low]
        setting = "market.account_loss_low"
        values = [0.1, 0.25]
        [factors.high]
        setting = "market.account_loss_high"
        values = [0.2, 0.4]
        """,
    )
    from sim.sweep import resolve_design

    with pytest.raises(QuotaLabError) as caught:
        resolve_design(load_experiment(path))
    message = str(caught.value)
    assert "factors: design point 2 (market.account_loss_low = 0.25, " in message
    assert "market.account_loss_high = 0.2) gives an invalid scenario" in message


def test_cli_error_is_one_line_exit_2(tmp_path):
    path = write(tmp_path, FACTOR.replace("high = 0.4", "high = -0.1"))
    result = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "factors.growth.high" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("text", ["", "  \n\t\n"])
def test_empty_file_rejected(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert str(caught.value) == f"FILE: {path} is empty; see docs/experiments.md"


def test_folder_as_file_rejected(tmp_path):
    with pytest.raises(ExperimentError) as caught:
        load_experiment(tmp_path)
    assert str(caught.value) == (
        f"FILE: {tmp_path} is a folder, not an experiment file; give a TOML file"
    )


def test_quick_larger_than_full_warns(tmp_path, caplog):
    path = write(
        tmp_path,
        """
        replications = 4
        months = 6

        [quick]
        replications = 10
        months = 3
        """,
    )
    with caplog.at_level("WARNING", logger="sim"):
        load_experiment(path, quick=True)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "[quick] makes the quick run larger than the full run" in message
    assert "replications 10 > 4" in message
    assert "months" not in message


def test_quick_smaller_than_full_silent(tmp_path, caplog):
    path = write(tmp_path, "replications = 40\n\n[quick]\nreplications = 3\n")
    with caplog.at_level("WARNING", logger="sim"):
        load_experiment(path, quick=True)
    assert caplog.records == []
