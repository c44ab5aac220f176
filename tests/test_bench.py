import math

import pytest

from sim.bench import format_report, run_benchmark


@pytest.fixture(scope="module")
def quick_result():
    return run_benchmark(quick=True)


def test_quick_rows_positive(quick_result):
    rows = quick_result["rows"]
    engines = {row["engine"] for row in rows}

    assert len(rows) == 9
    assert engines == {
        "single",
        "batch",
        "batch_piecewise",
        "mesa_model",
        "mesa_example",
    }
    for row in rows:
        for key in ("rate", "step_seconds", "construct_seconds"):
            assert math.isfinite(row[key]), (row["label"], key)
            assert row[key] > 0, (row["label"], key)
    assert math.isfinite(quick_result["ratio"])
    assert quick_result["ratio"] > 0
    assert math.isfinite(quick_result["fast_rule_ratio"])
    assert quick_result["fast_rule_ratio"] > 0
    assert quick_result["target_met"] == (
        quick_result["ratio"] >= quick_result["target_ratio"]
    )


def test_quick_metadata(quick_result):
    env = quick_result["environment"]

    assert quick_result["quick"] is True
    assert quick_result["repeats"] == 2
    assert quick_result["timestamp"]
    for key in ("python", "numpy", "mesa", "platform", "cpu_count"):
        assert env[key], key


def test_report_lists_rows(quick_result):
    report = format_report(quick_result)

    assert report.startswith("| Run |")
    for row in quick_result["rows"]:
        assert row["label"] in report
    assert "BoltzmannWealth" in report
    assert f"{quick_result['ratio']:.2f}" in report


def test_repeats_validated():
    with pytest.raises(ValueError, match="repeats"):
        run_benchmark(quick=True, repeats=0)
