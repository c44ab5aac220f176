"""Sensitivity indices against functions with known indices.

The Ishigami function (Ishigami & Homma 1990) has analytic Sobol indices; a linear
function has exact Morris elementary effects. Sweep folders here hold synthetic
responses, so the checks cover the manifest, the point order and SALib together.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.analysis import analyse_sweep, format_report, salib_design, write_report
from sim.analysis.sensitivity import (
    SalibDesign,
    degenerate_reason,
    sensitivity_indices,
)
from sim.errors import DataError

# Ishigami with a = 7, b = 0.1 on [-pi, pi]^3: first-order and total indices.
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def ishigami(x: np.ndarray) -> np.ndarray:
    return (
        np.sin(x[:, 0])
        + 7 * np.sin(x[:, 1]) ** 2
        + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    )


def unit_problem(names):
    return {"num_vars": len(names), "names": names, "bounds": [[0, 1]] * len(names)}


def test_sobol_recovers_ishigami():
    names = ["x1", "x2", "x3"]
    unit = sobol_sample.sample(
        unit_problem(names), 2048, calc_second_order=False, seed=1
    )
    response = ishigami(-np.pi + 2 * np.pi * unit)
    design = SalibDesign("sobol", unit_problem(names), unit, second_order=False)
    table = sensitivity_indices(design, response, resamples=500, seed=2)

    for index, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        rows = table[table["index"] == index].set_index("factor").loc[names]
        half_width = (rows["ci_high"] - rows["ci_low"]).to_numpy() / 2
        assert (half_width > 0).all()
        # The bootstrap half-width is about 1.96 standard errors; allow three
        # half-widths so the check fails only on a real bias.
        error = np.abs(rows["estimate"].to_numpy() - truth)
        assert (error <= 3 * half_width).all(), (index, error, half_width)


def test_morris_gives_exact_linear_effects():
    names = ["a", "b", "c"]
    coefficients = np.array([5.0, -1.0, 0.0])
    unit = morris_sample.sample(unit_problem(names), 20, num_levels=4, seed=3)
    design = SalibDesign("morris", unit_problem(names), unit, num_levels=4)
    table = sensitivity_indices(design, unit @ coefficients, resamples=200, seed=4)

    mu = table[table["index"] == "mu"].set_index("factor").loc[names, "estimate"]
    mu_star = table[table["index"] == "mu_star"].set_index("factor").loc[names]
    sigma = table[table["index"] == "sigma"].set_index("factor").loc[names]
    assert np.allclose(mu.to_numpy(), coefficients)
    assert np.allclose(mu_star["estimate"].to_numpy(), np.abs(coefficients))
    assert np.allclose(sigma["estimate"].to_numpy(), 0.0, atol=1e-9)
    assert (mu_star["ci_low"] <= mu_star["estimate"] + 1e-12).all()


def write_sobol_folder(folder, base_samples=256, replications=6):
    """A sobol sweep folder whose strategy ``b`` differs from ``a`` only by x2."""
    factors = ["market.growth_per_year", "morale.pace_weight", "effort.cost"]
    problem = unit_problem(factors)
    unit = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=5)
    values = 0.1 + unit  # the factor scale does not matter to the indices
    design = pd.DataFrame(values, columns=factors)
    design.insert(0, "point", np.arange(len(unit)))

    rng = np.random.default_rng(6)
    frames = []
    for replication in range(replications):
        noise = rng.normal(0.0, 0.01, size=len(unit))
        level = ishigami(-np.pi + 2 * np.pi * unit) + noise
        for name, response in (("a", level), ("b", level + 4.0 * unit[:, 1])):
            frame = design.copy()
            frame.insert(0, "strategy", name)
            frame.insert(2, "replication", replication)
            frame["revenue"] = response
            frames.append(frame)
    runs = pd.concat(frames, ignore_index=True)

    (folder / "runs").mkdir(parents=True)
    design.to_parquet(folder / "design.parquet", index=False)
    half = len(runs) // 2
    runs.iloc[:half].to_parquet(folder / "runs" / "part-0.parquet", index=False)
    runs.iloc[half:].to_parquet(folder / "runs" / "part-1.parquet", index=False)
    manifest = {
        "design": {
            "method": "sobol",
            "parameters": {"samples": base_samples, "second_order": False},
            "salib_problem": problem,
            "unit_points": unit.tolist(),
        },
        "strategies": ["a", "b"],
        "expected_runs": len(runs),
        "completed_runs": len(runs),
        "status": "complete",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def sobol_folder(tmp_path_factory):
    return write_sobol_folder(tmp_path_factory.mktemp("sobol") / "sweep")


def test_sweep_difference_is_driven_by_its_factor(sobol_folder):
    analysis = analyse_sweep(sobol_folder, metrics=["revenue"], resamples=300)
    indices = analysis.sensitivity
    gap = indices[(indices["strategy"] == "b") & (indices["response"] == "difference")]
    total = gap[gap["index"] == "ST"].set_index("factor")["estimate"]
    assert total["morale.pace_weight"] == pytest.approx(1.0, abs=0.05)
    assert total["market.growth_per_year"] == pytest.approx(0.0, abs=0.05)
    assert total["effort.cost"] == pytest.approx(0.0, abs=0.05)

    # The level of strategy a is Ishigami plus noise averaged over replications.
    level = indices[(indices["strategy"] == "a") & (indices["response"] == "level")]
    first = level[level["index"] == "S1"].set_index("factor")
    widths = (first["ci_high"] - first["ci_low"]) / 2
    errors = np.abs(first["estimate"].to_numpy() - ISHIGAMI_S1)
    assert (errors <= 3 * widths.to_numpy() + 0.02).all(), errors

    # The baseline's difference with itself is constant, so it has no indices.
    assert not (
        (indices["strategy"] == "a") & (indices["response"] == "difference")
    ).any()


def test_report_draws_sensitivity_figures(sobol_folder, tmp_path):
    from sim.analysis import write_report

    analysis = analyse_sweep(sobol_folder, metrics=["revenue"], resamples=100)
    out = write_report(analysis, tmp_path / "report")
    assert (out / "sensitivity.csv").is_file()
    assert (out / "figures" / "sensitivity_revenue_level.png").is_file()
    assert (out / "figures" / "sensitivity_revenue_difference.png").is_file()


def test_sobol_size_must_fit_layout():
    design = pd.DataFrame({"point": np.arange(7), "x": np.linspace(0, 1, 7)})
    manifest = {"design": {"method": "sobol", "second_order": False}}
    with pytest.raises(DataError, match="does not fit second_order = False"):
        salib_design(manifest, design)


def test_morris_size_must_fit_trajectories():
    design = pd.DataFrame(
        {"point": np.arange(7), "x": np.linspace(0, 1, 7), "y": np.zeros(7)}
    )
    with pytest.raises(DataError, match="not a multiple of factors \\+ 1"):
        salib_design({"design": {"method": "morris"}}, design)


def test_other_designs_have_no_sensitivity():
    design = pd.DataFrame({"point": [0, 1], "x": [0.0, 1.0]})
    assert salib_design({"design": {"method": "full_factorial"}}, design) is None
    assert salib_design({"design": {"method": "latin_hypercube"}}, design) is None


def test_small_sobol_base_skips_section(tmp_path):
    folder = write_sobol_folder(tmp_path / "sweep", base_samples=8, replications=2)
    analysis = analyse_sweep(folder, metrics=["revenue"], resamples=50)
    assert analysis.sensitivity_note == (
        "Sensitivity section skipped: the sobol base sample is N = 8, below the "
        "minimum of 16; rerun with design.samples >= 16."
    )
    text = format_report(analysis)
    assert "Sensitivity (" not in text
    assert analysis.sensitivity_note in text.splitlines()
    out = write_report(analysis, tmp_path / "report")
    assert not list((out / "figures").glob("sensitivity_*"))


def keep_points(folder, points):
    """Rewrite a sweep folder as an unfinished one holding only ``points``."""
    parts = sorted((folder / "runs").glob("*.parquet"))
    runs = pd.concat(pd.read_parquet(part) for part in parts)
    for part in parts:
        part.unlink()
    runs[runs["point"] < points].to_parquet(folder / "runs" / "part-0.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "running"
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_partial_sobol_reports_present_points(tmp_path):
    folder = write_sobol_folder(tmp_path / "sweep", base_samples=32)
    keep_points(folder, 100)
    analysis = analyse_sweep(folder, metrics=["revenue"], partial=True, resamples=50)
    assert analysis.sensitivity is None
    assert sorted(analysis.points["point"].unique()) == list(range(100))
    assert "at 100 of 160 design points" in analysis.sensitivity_note


def test_partial_sobol_cli_exits_zero(tmp_path):
    folder = write_sobol_folder(tmp_path / "sweep", base_samples=32)
    keep_points(folder, 100)
    result = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(folder), "--partial"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Mean over the design points" in result.stdout
    skipped = [
        line for line in result.stdout.splitlines() if "Sensitivity section" in line
    ]
    assert len(skipped) == 1
    assert "at 100 of 160 design points" in skipped[0]


def test_wide_sobol_intervals_are_degenerate():
    table = pd.DataFrame(
        {
            "factor": ["x", "x"],
            "index": ["S1", "ST"],
            "estimate": [0.2, 0.5],
            "ci_low": [-0.1, -630.0],
            "ci_high": [0.5, 631.0],
        }
    )
    assert "spans 1.26e+03" in degenerate_reason(table)
    narrow = table.assign(ci_low=[0.1, 0.4], ci_high=[0.3, 0.6])
    assert degenerate_reason(narrow) is None
    infinite = narrow.assign(ci_high=[0.3, np.inf])
    assert degenerate_reason(infinite) == "some bootstrap intervals are not finite"
