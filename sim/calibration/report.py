"""Write a calibration's fit report: ``fit.md``, CSV tables, figures and a manifest.

The folder is written under a temporary name and renamed when complete, so a
folder with a ``manifest.json`` is always finished.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.output import base_manifest, staged_folder, write_json

if TYPE_CHECKING:
    from sim.calibration import Calibration

logger = logging.getLogger(__name__)


def format_fit(result: Calibration) -> str:
    """Return the fit table and the backtest summary as plain text."""
    table = result.fit[["statistic", "observed", "simulated", "low", "high", "inside"]]
    lines = [table.to_string(index=False, float_format=_number)]
    lines.append(_fit_summary(result.fit))
    if result.backtest is not None:
        lines.append(_backtest_summary(result.backtest))
    return "\n".join(lines)


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"


def _fit_summary(fit: pd.DataFrame) -> str:
    judged = fit[fit["inside"].notna()]
    inside = int(judged["inside"].astype(bool).sum())
    misses = judged.loc[~judged["inside"].astype(bool), "statistic"].tolist()
    text = (
        f"Fit: {inside} of {len(judged)} observed statistics lie inside the central "
        "90% of simulated replications"
    )
    return text + (f"; outside: {', '.join(misses)}." if misses else ".")


def _backtest_summary(backtest) -> str:
    total = backtest.total
    return (
        f"Backtest (calibrated to {backtest.as_of}, {len(backtest.months)} months "
        f"held back): team sales {total['actual']:,.0f} actual, "
        f"{total['predicted']:,.0f} predicted [{total['low']:,.0f}, "
        f"{total['high']:,.0f}] ({backtest.total_error:+.1%}); 90% intervals "
        f"cover {backtest.period_coverage:.0%} of {len(backtest.periods)} periods "
        f"and {backtest.month_coverage:.0%} of {len(backtest.months)} months; "
        f"CV across reps {backtest.spread['actual']:.3f} actual, "
        f"{backtest.spread['predicted']:.3f} predicted "
        f"[{backtest.spread['low']:.3f}, {backtest.spread['high']:.3f}]."
    )


def write_report(
    result: Calibration,
    folder: Path,
    figures: bool = True,
    manifest_extra: dict[str, Any] | None = None,
) -> Path:
    """Write the report folder; it must not exist or be empty."""
    with staged_folder(folder) as staging:
        result.fit.to_csv(staging / "fit.csv", index=False)
        if result.backtest is not None:
            result.backtest.periods.to_csv(
                staging / "backtest_periods.csv", index=False
            )
            result.backtest.months.to_csv(staging / "backtest_months.csv", index=False)
        figure_files = _figures(result, staging / "figures") if figures else []
        (staging / "fit.md").write_text(
            _markdown(result, figure_files), encoding="utf-8"
        )
        manifest = base_manifest("calibrate")
        manifest.update(
            {
                "replications": result.replications,
                "root_seed": result.seed,
                "seed_scheme": (
                    "numpy SeedSequence(root_seed, spawn_key=(replication,))"
                ),
                "as_of": str(result.estimates.as_of),
                "scenario": result.scenario.to_dict(),
                "provenance": result.provenance,
                "policy": {
                    "weight_after_beat": result.estimates.policy.weight_after_beat,
                    "weight_after_miss": result.estimates.policy.weight_after_miss,
                },
                "notes": list(result.team.notes) + list(result.estimates.panel.notes),
                **(manifest_extra or {}),
            }
        )
        write_json(staging / "manifest.json", manifest)
    logger.info("fit report written to %s", folder)
    return folder


def _markdown(result: Calibration, figure_files: list[str]) -> str:
    estimates = result.estimates
    team = result.team
    lines = [
        "# Calibration fit report",
        "",
        f"Source: `{Path(team.source).name}` ({team.format}); history "
        f"{estimates.panel.months[0]} to {estimates.as_of} "
        f"({len(estimates.panel.months)} months, {len(estimates.panel.rep_ids)} reps); "
        f"{result.replications} simulated replications, root seed {result.seed}.",
        "",
        "## What was read",
        "",
    ]
    notes = list(team.notes) + list(estimates.panel.notes)
    lines += [f"- {note}" for note in notes] or ["- nothing dropped or changed"]

    lines += [
        "",
        "## Estimated settings",
        "",
        "| setting | value | how |",
        "|---|---|---|",
    ]
    scenario = result.scenario.to_dict()
    for key, note in result.provenance.items():
        if not note.startswith("data") or "." not in key:
            continue
        section, _, name = key.partition(".")
        value = scenario.get(section, {}).get(name, "")
        lines.append(f"| `{key}` | {_short(value)} | {note[6:]} |")
    defaults = sum(
        1 for note in result.provenance.values() if note.startswith("default")
    )
    lines += [
        "",
        f"{defaults} settings keep their defaults; the scenario file's "
        "`[provenance]` table lists each with its reason.",
        "",
        "## Fit",
        "",
        "The calibrated team simulated over the same number of months under the "
        "estimated historical quota policy. `low` and `high` bound the central 90% "
        "of replications.",
        "",
        "| statistic | observed | simulated | low | high | inside | informs |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result.fit.itertuples(index=False):
        if pd.isna(row.inside):
            inside = "-"
        else:
            inside = "yes" if row.inside else "**no**"
        lines.append(
            f"| {row.statistic} | {_number(row.observed)} | {_number(row.simulated)} "
            f"| {_number(row.low)} | {_number(row.high)} | {inside} | {row.settings} |"
        )
    lines += ["", _fit_summary(result.fit), ""]
    lines += _observed_only(estimates.observed)
    if result.backtest is not None:
        lines += _backtest_section(result.backtest)
    if figure_files:
        lines += ["", "## Figures", ""]
        lines += [f"![{name}](figures/{name})" for name in figure_files]
    return "\n".join(lines) + "\n"


def _short(value: object) -> str:
    if isinstance(value, list):
        shown = ", ".join(f"{v:.3g}" for v in value[:4])
        return f"[{shown}{', ...' if len(value) > 4 else ''}] ({len(value)} values)"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _observed_only(observed: dict[str, float]) -> list[str]:
    if not observed:
        return []
    lines = [
        "## Observed, not modelled",
        "",
        "The model has no lumpy deals, stages or sales cycles, so these are "
        "reported for reference only.",
        "",
        "| statistic | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {_number(value)} |" for key, value in observed.items()]
    return [*lines, ""]


def _backtest_section(backtest) -> list[str]:
    lines = [
        "## Backtest",
        "",
        f"Calibrated on the history to {backtest.as_of} and simulated over the "
        f"{len(backtest.months)} held-back months. Actual team sales include every "
        "rep who sold; the simulation keeps the "
        f"{backtest.headcount['simulated_seats']} seats of the calibration month "
        "and refills vacancies "
        f"(actual reps selling: {backtest.headcount['actual_first_month']} in the "
        f"first and {backtest.headcount['actual_last_month']} in the last held-back "
        "month).",
        "",
        "| period | actual | predicted | low | high | inside |",
        "|---|---|---|---|---|---|",
    ]
    for row in backtest.periods.itertuples(index=False):
        lines.append(
            f"| {row.period} | {_number(row.actual)} | {_number(row.predicted)} "
            f"| {_number(row.low)} | {_number(row.high)} | "
            f"{'yes' if row.inside else '**no**'} |"
        )
    return [*lines, "", _backtest_summary(backtest), ""]


def _figures(result: Calibration, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir()
    written = []
    fit = result.fit[result.fit["observed"].notna() & result.fit["simulated"].notna()]
    if not fit.empty:
        figure, axis = plt.subplots(figsize=(7, 0.5 * len(fit) + 1.2))
        scale = fit["simulated"].abs().where(fit["simulated"].abs() > 0, 1.0)
        positions = np.arange(len(fit))
        axis.hlines(positions, fit["low"] / scale, fit["high"] / scale, lw=6, alpha=0.4)
        axis.plot(
            fit["simulated"] / scale, positions, "|", ms=14, label="simulated mean"
        )
        axis.plot(fit["observed"] / scale, positions, "o", label="observed")
        axis.set_yticks(positions, fit["statistic"])
        axis.set_xlabel("relative to the simulated mean")
        axis.legend(loc="lower right")
        axis.set_title("Fit: observed against the central 90% of replications")
        figure.tight_layout()
        figure.savefig(folder / "fit.png", dpi=110)
        plt.close(figure)
        written.append("fit.png")

    if result.backtest is not None:
        months = result.backtest.months
        figure, axis = plt.subplots(figsize=(7, 3.5))
        x = np.arange(len(months))
        axis.fill_between(
            x, months["low"], months["high"], alpha=0.3, label="90% interval"
        )
        axis.plot(x, months["predicted"], label="predicted median")
        axis.plot(x, months["actual"], "o-", label="actual")
        axis.set_xticks(x, months["period"], rotation=45, ha="right")
        axis.set_ylabel("team sales per month")
        axis.legend()
        axis.set_title(f"Backtest from {result.backtest.as_of}")
        figure.tight_layout()
        figure.savefig(folder / "backtest.png", dpi=110)
        plt.close(figure)
        written.append("backtest.png")
    return written
