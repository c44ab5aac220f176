"""Sweep analysis on small sweep folders built from the real batched engine.

The fixture writes a folder in the sweep storage layout (manifest.json,
design.parquet, runs/ and monthly/ part files), with each (strategy, point) split
over two part files so that every reader must combine parts. Expected values are
recomputed here from the raw rows with ``sim.compare.confidence_interval``.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from sim.analysis import (
    SweepFolder,
    analyse_sweep,
    factor_effect,
    factor_grid,
    format_report,
    monthly_summary,
    write_report,
)
from sim.analysis.monthly import combine_moments
from sim.compare import confidence_interval
from sim.engine import TeamBatch
from sim.errors import DataError, OptionError
from sim.metrics import RUN_METRICS
from sim.rng import replication_seeds
from sim.scenario import Scenario
from strategies import get_strategy

STRATEGIES = ["history_based", "equal_split", "capability_weighted"]
FACTORS = {"quota.target_growth": [0.0, 0.2, 0.4], "pay.cap": [1.5, 3.0]}
REPLICATIONS = 8
MONTHS = 12
MONTHLY_KEPT = ["completion_rate", "morale"]


def build_sweep_folder(
    folder,
    factors=FACTORS,
    strategies=STRATEGIES,
    replications=REPLICATIONS,
    months=MONTHS,
    status="complete",
):
    """Write a full-factorial sweep folder by running TeamBatch at every point."""
    base = Scenario().replace({"team.seats": 10, "team.warmup_months": 0})
    names = list(factors)
    points = list(itertools.product(*factors.values()))
    design = pd.DataFrame(points, columns=names)
    design.insert(0, "point", np.arange(len(points)))
    seeds = replication_seeds(7, replications)
    (folder / "runs").mkdir(parents=True)
    (folder / "monthly").mkdir()
    design.to_parquet(folder / "design.parquet", index=False)

    task = 0
    half = replications // 2
    for name in strategies:
        for point, values in enumerate(points):
            scenario = base.replace(dict(zip(names, values, strict=True)))
            for start, stop in ((0, half), (half, replications)):
                batch = TeamBatch(
                    scenario, get_strategy(name), seeds[start:stop], months
                ).run()
                runs = pd.DataFrame(
                    {
                        "strategy": name,
                        "point": point,
                        "replication": np.arange(start, stop),
                        "seed": seeds[start:stop],
                    }
                )
                for factor, value in zip(names, values, strict=True):
                    runs[factor] = value
                metrics = batch.recorder.run_metrics()
                for metric in RUN_METRICS:
                    runs[metric] = metrics[metric]
                runs.to_parquet(folder / "runs" / f"part-{task:05d}.parquet")

                count = stop - start
                monthly = pd.DataFrame(
                    {
                        "strategy": name,
                        "point": point,
                        "replication": np.repeat(np.arange(start, stop), months),
                        "month": np.tile(np.arange(months), count),
                    }
                )
                for metric in MONTHLY_KEPT:
                    monthly[metric] = batch.recorder.monthly[metric].reshape(-1)
                monthly.to_parquet(folder / "monthly" / f"part-{task:05d}.parquet")
                task += 1

    expected = len(strategies) * len(points) * replications
    manifest = {
        "experiment": {"path": "fixture.toml", "sha256": "0" * 64},
        "design": {"method": "full_factorial", "factors": names},
        "strategies": list(strategies),
        "baseline": strategies[0],
        "replications": replications,
        "months": months,
        "root_seed": 7,
        "expected_runs": expected,
        "completed_runs": expected if status == "complete" else expected // 2,
        "status": status,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    return build_sweep_folder(tmp_path_factory.mktemp("sweep") / "sweep")


@pytest.fixture(scope="module")
def raw_runs(sweep_folder):
    return pd.concat(
        pd.read_parquet(p) for p in sorted((sweep_folder / "runs").glob("*.parquet"))
    )


@pytest.fixture(scope="module")
def analysis(sweep_folder):
    return analyse_sweep(sweep_folder)


def test_folder_reads_only_named_columns(sweep_folder):
    runs = SweepFolder.open(sweep_folder).runs(["strategy", "revenue"])
    assert list(runs.columns) == ["strategy", "revenue"]
    points = len(list(itertools.product(*FACTORS.values())))
    assert len(runs) == len(STRATEGIES) * points * REPLICATIONS


def test_folder_lists_metrics_and_factors(sweep_folder):
    folder = SweepFolder.open(sweep_folder)
    assert folder.factors == list(FACTORS)
    assert folder.run_metrics == list(RUN_METRICS)
    assert folder.monthly_metrics == MONTHLY_KEPT
    assert folder.strategies == STRATEGIES


def test_strategy_summary_averages_points_per_replication(analysis, raw_runs):
    for name in STRATEGIES:
        subset = raw_runs[raw_runs["strategy"] == name]
        per_replication = subset.groupby("replication")["revenue"].mean()
        mean, low, high = confidence_interval(per_replication.to_numpy())
        row = analysis.summary.query("strategy == @name and metric == 'revenue'")
        assert len(row) == 1
        assert row["mean"].iloc[0] == pytest.approx(mean, rel=1e-12)
        assert row["ci_low"].iloc[0] == pytest.approx(low, rel=1e-12)
        assert row["ci_high"].iloc[0] == pytest.approx(high, rel=1e-12)
        assert row["replications"].iloc[0] == REPLICATIONS


def test_point_summary_matches_each_point(analysis, raw_runs):
    table = analysis.points[analysis.points["metric"] == "morale"]
    assert len(table) == len(STRATEGIES) * 6
    for _, row in table.iterrows():
        subset = raw_runs[
            (raw_runs["strategy"] == row["strategy"])
            & (raw_runs["point"] == row["point"])
        ]
        mean, low, high = confidence_interval(subset["morale"].to_numpy())
        assert row["mean"] == pytest.approx(mean, rel=1e-12)
        assert row["ci_low"] == pytest.approx(low, rel=1e-12)
        assert row["ci_high"] == pytest.approx(high, rel=1e-12)
        growth = subset["quota.target_growth"].iloc[0]
        assert row["quota.target_growth"] == growth


def test_paired_differences_pair_replications(analysis, raw_runs):
    base = raw_runs[raw_runs["strategy"] == "history_based"].set_index(
        ["point", "replication"]
    )
    other = raw_runs[raw_runs["strategy"] == "equal_split"].set_index(
        ["point", "replication"]
    )
    gap = (
        (other["completion_rate"] - base["completion_rate"])
        .groupby("replication")
        .mean()
    )
    mean, low, high = confidence_interval(gap.to_numpy())
    row = analysis.differences.query(
        "strategy == 'equal_split' and metric == 'completion_rate'"
    )
    assert row["mean"].iloc[0] == pytest.approx(mean, rel=1e-10)
    assert row["ci_low"].iloc[0] == pytest.approx(low, rel=1e-10)
    assert row["ci_high"].iloc[0] == pytest.approx(high, rel=1e-10)

    baseline_rows = analysis.differences[
        analysis.differences["strategy"] == "history_based"
    ]
    assert (baseline_rows["mean"] == 0).all()


def test_point_differences_match_each_point(analysis, raw_runs):
    table = analysis.point_differences.query(
        "strategy == 'capability_weighted' and metric == 'revenue'"
    )
    assert len(table) == 6
    for row in table.itertuples():
        at_point = raw_runs[raw_runs["point"] == row.point]
        base = at_point[at_point["strategy"] == "history_based"].set_index(
            "replication"
        )["revenue"]
        other = at_point[at_point["strategy"] == "capability_weighted"].set_index(
            "replication"
        )["revenue"]
        mean, low, high = confidence_interval((other - base).to_numpy())
        assert row.mean == pytest.approx(mean, rel=1e-10)
        assert row.ci_low == pytest.approx(low, rel=1e-10)
        assert row.ci_high == pytest.approx(high, rel=1e-10)


def test_winners_pick_best_mean(analysis):
    points = analysis.points
    for row in analysis.winners.itertuples():
        means = points[
            (points["point"] == row.point) & (points["metric"] == row.metric)
        ].set_index("strategy")["mean"]
        lower_is_better = row.metric in ("attrition_rate", "regretted_attrition")
        best = means.idxmin() if lower_is_better else means.idxmax()
        assert row.winner == best, (row.point, row.metric)
        assert row.runner_up != row.winner
        assert row.winner_mean == pytest.approx(means[best])
        # Paired margin: the mean of the paired differences equals the
        # difference of the means.
        assert row.margin == pytest.approx(means[best] - means[row.runner_up])
        excludes_zero = row.margin_ci_low > 0 or row.margin_ci_high < 0
        assert row.clear == excludes_zero


def test_winners_skip_metrics_without_direction(analysis):
    assert "revenue" in set(analysis.winners["metric"])
    assert "median_attainment" in set(analysis.winners["metric"])
    counts = analysis.win_counts.groupby("metric")["points"].sum()
    assert (counts == 6).all()


def test_monthly_summary_combines_parts(sweep_folder):
    folder = SweepFolder.open(sweep_folder)
    table = monthly_summary(folder, ["morale"])
    raw = pd.concat(
        pd.read_parquet(p) for p in sorted((sweep_folder / "monthly").glob("*.parquet"))
    )
    for row in table.sample(20, random_state=1).itertuples():
        values = raw[
            (raw["strategy"] == row.strategy)
            & (raw["point"] == row.point)
            & (raw["month"] == row.month)
        ]["morale"].to_numpy()
        mean, low, high = confidence_interval(values)
        assert row.replications == REPLICATIONS
        assert row.mean == pytest.approx(mean, rel=1e-10)
        assert row.ci_low == pytest.approx(low, rel=1e-9)
        assert row.ci_high == pytest.approx(high, rel=1e-9)


def test_combine_moments_equals_direct():
    rng = np.random.default_rng(3)
    values = rng.normal(5.0, 2.0, size=101)
    cuts = [0, 1, 30, 31, 80, 101]
    parts = []
    for start, stop in itertools.pairwise(cuts):
        chunk = values[start:stop]
        parts.append(
            pd.DataFrame(
                {
                    "strategy": ["a"],
                    "point": [0],
                    "month": [0],
                    "metric": ["m"],
                    "count": [len(chunk)],
                    "mean": [chunk.mean()],
                    "m2": [((chunk - chunk.mean()) ** 2).sum()],
                }
            )
        )
    combined = combine_moments(parts)
    assert combined["count"].iloc[0] == len(values)
    assert combined["mean"].iloc[0] == pytest.approx(values.mean(), rel=1e-12)
    expected_m2 = ((values - values.mean()) ** 2).sum()
    assert combined["m2"].iloc[0] == pytest.approx(expected_m2, rel=1e-12)


def test_factor_effect_averages_other_factors(analysis, raw_runs):
    effect = factor_effect(
        analysis.runs, ["revenue"], analysis.design, "quota.target_growth", STRATEGIES
    )
    assert len(effect) == len(STRATEGIES) * 3
    row = effect.query("strategy == 'equal_split' and level == 0.2")
    subset = raw_runs[
        (raw_runs["strategy"] == "equal_split")
        & (raw_runs["quota.target_growth"] == 0.2)
    ]
    mean, low, high = confidence_interval(
        subset.groupby("replication")["revenue"].mean().to_numpy()
    )
    assert row["mean"].iloc[0] == pytest.approx(mean, rel=1e-12)
    assert row["ci_low"].iloc[0] == pytest.approx(low, rel=1e-12)
    assert row["ci_high"].iloc[0] == pytest.approx(high, rel=1e-12)


def test_factor_effect_bins_sampled_factor():
    design = pd.DataFrame({"point": np.arange(40), "x": np.linspace(0.0, 1.0, 40)})
    runs = pd.DataFrame(
        {
            "strategy": "a",
            "point": np.repeat(design["point"], 3),
            "replication": np.tile(np.arange(3), 40),
            "y": np.repeat(design["x"], 3) * 2.0,
        }
    )
    effect = factor_effect(runs, ["y"], design, "x", ["a"], max_levels=4)
    assert len(effect) == 4
    assert np.allclose(effect["mean"], 2.0 * effect["level"])


def test_factor_grid_covers_both_factors(analysis):
    grid = factor_grid(
        analysis.runs, "morale", analysis.design, "quota.target_growth", "pay.cap"
    )
    assert len(grid) == len(STRATEGIES) * 6
    assert (grid["runs"] == REPLICATIONS).all()


def test_unknown_factor_names_valid_ones(analysis):
    with pytest.raises(OptionError, match="valid: quota.target_growth, pay.cap"):
        factor_effect(analysis.runs, ["revenue"], analysis.design, "nope", STRATEGIES)


def test_incomplete_sweep_needs_partial(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "running",
        factors={"quota.target_growth": [0.1]},
        strategies=["equal_split", "history_based"],
        replications=4,
        status="running",
    )
    with pytest.raises(OptionError, match="not complete"):
        analyse_sweep(folder)
    partial = analyse_sweep(folder, partial=True)
    # The manifest names the experiment's baseline, the first strategy here.
    assert partial.baseline == "equal_split"


def test_bad_inputs_name_the_value(tmp_path, sweep_folder):
    with pytest.raises(OptionError, match="is not a folder"):
        SweepFolder.open(tmp_path / "missing")
    with pytest.raises(OptionError, match="no manifest.json"):
        SweepFolder.open(tmp_path)
    with pytest.raises(OptionError, match="--metrics: nonsense not kept"):
        analyse_sweep(sweep_folder, metrics=["nonsense"])
    with pytest.raises(OptionError, match="--baseline: 'dynamic' is not a strategy"):
        analyse_sweep(sweep_folder, baseline="dynamic")


def test_duplicate_runs_are_rejected(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "dup",
        factors={"quota.target_growth": [0.1]},
        strategies=["equal_split", "history_based"],
        replications=4,
    )
    first = folder / "runs" / "part-00000.parquet"
    (folder / "runs" / "part-99999.parquet").write_bytes(first.read_bytes())
    with pytest.raises(DataError, match="duplicate runs"):
        analyse_sweep(folder)


def test_format_report_lists_every_metric(analysis):
    text = format_report(analysis)
    assert "3 strategies x 6 points x 8 replications = 144 runs" in text
    for metric in analysis.metrics:
        assert f"  {metric}" in text
    assert "Paired difference against history_based" in text
    assert "Design points won" in text


def test_write_report_replaces_only_reports(analysis, tmp_path):
    out = write_report(analysis, tmp_path / "report")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["quotalab_command"] == "report"
    for name in manifest["files"]:
        assert (out / name).is_file(), name
    assert "figures/effect_quota_target_growth.png" in manifest["files"]
    assert "figures/heatmap_completion_rate.png" in manifest["files"]
    assert "figures/winners_completion_rate.png" in manifest["files"]
    assert "monthly.csv" in manifest["files"]

    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["strategy"]) == set(STRATEGIES)

    # A second report replaces the first; a folder of other files is rejected.
    write_report(analysis, out, figures=False)
    assert not (out / "figures").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(OptionError, match="not a QuotaLab report"):
        write_report(analysis, other)
    assert (other / "notes.txt").read_text() == "keep me"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_report_command_writes_folder(sweep_folder, tmp_path):
    out = tmp_path / "cli-report"
    result = run_cli(
        "report", str(sweep_folder), "--out", str(out), "--metrics", "revenue,morale"
    )
    assert result.returncode == 0, result.stderr
    assert "Mean over the design points" in result.stdout
    assert "  revenue" in result.stdout
    assert (out / "manifest.json").is_file()
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(set(summary["metric"])) == ["morale", "revenue"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "no/such/folder"], "FOLDER: no/such/folder is not a folder"),
        (["report", "sim"], "has no manifest.json"),
        (["report", "{sweep}", "--metrics", "bogus"], "--metrics: bogus not kept"),
        (["report", "{sweep}", "--baseline", "bogus"], "--baseline: 'bogus'"),
    ],
)
def test_report_command_errors_are_one_line(sweep_folder, args, message):
    args = [a.replace("{sweep}", str(sweep_folder)) for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_effect_figure_draws_categorical_factor():
    from sim.analysis.figures import plot_factor_effect

    design = pd.DataFrame({"point": [0, 1], "quota.period": ["quarterly", "annual"]})
    runs = pd.DataFrame(
        {
            "strategy": "a",
            "point": [0, 0, 1, 1],
            "replication": [0, 1, 0, 1],
            "morale": [0.5, 0.6, 0.7, 0.8],
        }
    )
    effect = factor_effect(runs, ["morale"], design, "quota.period", ["a"])
    figure = plot_factor_effect(effect, "quota.period", ["morale"], ["a"])
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert labels == ["quarterly", "annual"]
    line = figure.axes[0].get_lines()[0]
    assert list(line.get_ydata()) == pytest.approx([0.55, 0.75])


def test_few_replications_warn_once(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "few",
        factors={"quota.target_growth": [0.1]},
        strategies=["equal_split", "history_based"],
        replications=2,
    )
    text = format_report(analyse_sweep(folder))
    warnings = [line for line in text.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: only 2 replications per design point, so the 95% intervals "
        "are unreliable (use at least 10)"
    ]


def test_enough_replications_no_warning(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "enough",
        factors={"quota.target_growth": [0.1]},
        strategies=["equal_split", "history_based"],
        replications=10,
    )
    analysis = analyse_sweep(folder)
    assert analysis.interval_warning is None
    assert "Warning:" not in format_report(analysis)


def test_baseline_report_draws_monthly_series(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "baseline",
        factors={},
        strategies=["equal_split", "history_based"],
        replications=2,
    )
    out = write_report(analyse_sweep(folder), tmp_path / "report")
    assert [p.name for p in (out / "figures").iterdir()] == ["monthly.png"]


def test_baseline_without_monthly_has_no_figures(tmp_path):
    folder = build_sweep_folder(
        tmp_path / "baseline",
        factors={},
        strategies=["equal_split", "history_based"],
        replications=2,
    )
    for part in (folder / "monthly").iterdir():
        part.unlink()
    out = write_report(analyse_sweep(folder), tmp_path / "report")
    assert not (out / "figures").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert not any(name.startswith("figures/") for name in manifest["files"])


def test_effect_figure_few_values_are_categories():
    from sim.analysis.figures import plot_factor_effect

    design = pd.DataFrame(
        {"point": [0, 1, 2], "market.downturn_start_month": [0, 12, 24]}
    )
    runs = pd.DataFrame(
        {
            "strategy": "a",
            "point": [0, 0, 1, 1, 2, 2],
            "replication": [0, 1, 0, 1, 0, 1],
            "revenue": [1.0e7, 1.2e7, 2.0e7, 2.2e7, 3.0e7, 3.2e7],
        }
    )
    factor = "market.downturn_start_month"
    effect = factor_effect(runs, ["revenue"], design, factor, ["a"])
    axes = plot_factor_effect(effect, factor, ["revenue"], ["a"]).axes[0]
    labels = [tick.get_text() for tick in axes.get_xticklabels()]
    assert labels == ["0", "12", "24"]
    assert list(axes.get_lines()[0].get_xdata()) == [0.0, 1.0, 2.0]
    assert axes.get_ylabel() == "revenue (millions)"
    assert axes.yaxis.get_major_formatter()(2.5e7, 0) == "25"


def test_sensitivity_figure_labels_x_axis():
    from sim.analysis.figures import plot_sensitivity

    indices = pd.DataFrame(
        {
            "strategy": "a",
            "response": "level",
            "metric": "revenue",
            "factor": ["x", "x"],
            "index": ["S1", "ST"],
            "estimate": [0.2, 0.4],
            "ci_low": [0.1, 0.3],
            "ci_high": [0.3, 0.5],
        }
    )
    axes = plot_sensitivity(indices, "revenue").axes[0]
    assert axes.get_xlabel() == "Sobol index (S1 first order, ST total), 0 to 1"


def test_format_report_spells_out_wins(analysis):
    text = format_report(analysis)
    lines = [line for line in text.splitlines() if " of them clearly" in line]
    assert len(lines) == len(analysis.win_counts["metric"].unique())
    for line in lines:
        assert " won " in line
        assert "/" not in line


def test_report_help_shows_single_percent():
    result = run_cli("report", "--help")
    assert result.returncode == 0
    assert "95% confidence" in " ".join(result.stdout.split())
    assert "%%" not in result.stdout
