"""The shipped experiments: each loads, states its question and run time, and runs.

Every experiment runs in its ``--quick`` version and is analysed. The
quota_difficulty one also runs through the ``quotalab sweep`` and ``quotalab
report`` commands from a folder outside the project, as from a fresh clone.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

from sim.analysis import analyse_sweep
from sim.sweep import load_experiment, run_sweep

EXPERIMENT_DIR = ROOT / "experiments"
SHIPPED = (
    "baseline",
    "quota_difficulty",
    "ratchet",
    "market_shock",
    "sensitivity",
)


def test_every_shipped_experiment_is_present():
    found = {p.stem for p in EXPERIMENT_DIR.glob("*.toml")}
    missing = set(SHIPPED) - found
    assert not missing, f"missing from {EXPERIMENT_DIR}: {sorted(missing)}"


@pytest.mark.parametrize("name", SHIPPED)
def test_experiment_opens_with_its_question(name):
    text = (EXPERIMENT_DIR / f"{name}.toml").read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    prose = " ".join(header)
    assert len(prose.split()) >= 30, f"{name}: the opening comment is too short"
    assert "?" in prose, f"{name}: the opening comment asks no question"
    assert load_experiment(EXPERIMENT_DIR / f"{name}.toml").question


@pytest.mark.parametrize("name", SHIPPED)
def test_experiment_records_measured_run_time(name):
    text = (EXPERIMENT_DIR / f"{name}.toml").read_text(encoding="utf-8")
    full = re.search(r"^# Full run: (.+)$", text, re.MULTILINE)
    assert full, f"{name}: no '# Full run:' line"
    assert re.search(r"\d+(\.\d+)? (s|min)\b", full.group(1)), full.group(1)
    assert "CPU" in full.group(1), f"{name}: the run time names no machine"


@pytest.mark.parametrize("name", SHIPPED)
def test_quick_version_is_smaller(name):
    full = load_experiment(EXPERIMENT_DIR / f"{name}.toml")
    quick = load_experiment(EXPERIMENT_DIR / f"{name}.toml", quick=True)
    assert quick.replications <= full.replications
    assert quick.months <= full.months
    assert quick.replications < full.replications or quick.months < full.months


@pytest.mark.parametrize("name", SHIPPED)
def test_quick_experiment_runs_and_reports(name, tmp_path):
    experiment = load_experiment(EXPERIMENT_DIR / f"{name}.toml", quick=True)
    result = run_sweep(experiment, tmp_path / name, executor="serial", workers=1)
    assert result.completed_runs == result.expected_runs

    analysis = analyse_sweep(tmp_path / name, resamples=50)
    strategies = set(analysis.summary["strategy"])
    assert strategies == set(experiment.strategies)
    assert analysis.summary["mean"].notna().any()
    if experiment.design.method in ("sobol", "morris"):
        assert analysis.sensitivity is not None
        assert not analysis.sensitivity.empty
    else:
        assert analysis.sensitivity is None


def test_quota_difficulty_commands_from_outside_the_project(tmp_path):
    experiment = EXPERIMENT_DIR / "quota_difficulty.toml"
    sweep = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(experiment), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert sweep.returncode == 0, sweep.stderr
    folder = tmp_path / "results" / "quota_difficulty-quick"
    assert (folder / "manifest.json").is_file()

    report = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert report.returncode == 0, report.stderr
    assert "Paired difference against history_based" in report.stdout
    assert (folder / "report" / "summary.csv").is_file()
    figure = folder / "report" / "figures" / "effect_quota_target_growth.png"
    assert figure.is_file()
