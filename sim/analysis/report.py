"""Analyse a sweep folder into tables, figures and a text summary.

:func:`analyse_sweep` returns every table as a pandas DataFrame;
:func:`write_report` writes them, with figures and a manifest, into a report
folder; :func:`format_report` renders the headline tables as text for the
``quotalab report`` command.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis import figures as draw
from sim.analysis.folder import SweepFolder
from sim.analysis.monthly import monthly_summary
from sim.analysis.sensitivity import (
    RESAMPLES,
    degenerate_reason,
    missing_points_reason,
    salib_design,
    small_sample_reason,
    sweep_sensitivity,
)
from sim.analysis.summary import (
    direction,
    factor_effect,
    factor_grid,
    paired_differences,
    point_summary,
    strategy_summary,
    win_counts,
    winners,
)
from sim.errors import OptionError
from sim.metrics import HEADLINE_METRICS
from sim.output import base_manifest, format_difference, format_interval, write_json

logger = logging.getLogger(__name__)

# A factor with at most this many distinct values is plotted level by level;
# a sampled factor is cut into this many bins of equal count.
MAX_LEVELS = 12

# Factors that get a metric-against-factor figure, in design column order.
MAX_EFFECT_FIGURES = 6

# Below this many replications per design point, t intervals over replications
# rest on a poor variance estimate and a very wide t quantile.
MIN_REPLICATIONS = 10


@dataclass
class SweepAnalysis:
    """Every table of a sweep report.

    Attributes:
        folder: the sweep folder.
        metrics: the run metrics analysed.
        strategies: strategy names in the experiment's order.
        baseline: strategy the paired differences are taken against.
        design: one row per design point: ``point`` and the factors.
        summary: per strategy and metric, the mean over the design with its 95%
            interval over replications.
        points: per design point, strategy and metric.
        differences: per strategy and metric, the paired difference against the
            baseline over the design.
        point_differences: the paired differences per design point.
        winners: per design point and metric, the best strategy, the runner-up
            and the paired margin between them.
        win_counts: design points won per metric and strategy.
        sensitivity: sobol or morris indices with bootstrap intervals; None for
            other designs and for sweeps missing design points.
        monthly: per strategy, point, month and metric; None when the sweep kept
            no monthly series of the analysed metrics.
        runs: the projected run rows the tables were built from.
        interval_warning: a warning when replications per point are too few
            for the 95% intervals to mean much; None otherwise.
        sensitivity_note: why the sensitivity section was skipped; None when
            it was not, or the design has no sensitivity indices.
    """

    folder: SweepFolder
    metrics: list[str]
    strategies: list[str]
    baseline: str
    design: pd.DataFrame
    summary: pd.DataFrame
    points: pd.DataFrame
    differences: pd.DataFrame
    point_differences: pd.DataFrame
    winners: pd.DataFrame
    win_counts: pd.DataFrame
    sensitivity: pd.DataFrame | None
    monthly: pd.DataFrame | None
    runs: pd.DataFrame
    interval_warning: str | None = None
    sensitivity_note: str | None = None

    @property
    def factors(self) -> list[str]:
        """Factor names of the design."""
        return [c for c in self.design.columns if c != "point"]


def analyse_sweep(
    folder: str | Path | SweepFolder,
    metrics: Sequence[str] | None = None,
    baseline: str | None = None,
    *,
    partial: bool = False,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> SweepAnalysis:
    """Summarise a sweep: means, paired differences, winners and sensitivity.

    Only the key columns and the named metrics are read from the run files, and
    monthly files are reduced one part at a time.

    Args:
        folder: a sweep output folder.
        metrics: run metrics to analyse; defaults to the headline metrics the
            sweep kept.
        baseline: strategy for paired differences; defaults to the experiment's
            baseline, else ``history_based`` when swept, else the first strategy.
        partial: analyse a sweep whose manifest is not ``complete``.
        resamples: bootstrap resamples of the sensitivity intervals.
        seed: seed of the bootstrap.

    Raises:
        OptionError: if the folder is not a finished sweep (unless ``partial``),
            a metric is not in the run files, or the baseline is not swept.
    """
    sweep = folder if isinstance(folder, SweepFolder) else SweepFolder.open(folder)
    if not sweep.complete and not partial:
        done, expected = sweep.run_counts
        raise OptionError(
            f"FOLDER: the sweep in {sweep.path} is not complete "
            f"(status {sweep.manifest.get('status')!r}, {done} of {expected} runs); "
            "finish it with quotalab sweep FILE --resume, or pass --partial"
        )
    available = sweep.run_metrics
    metrics = _choose_metrics(metrics, available)
    strategies = sweep.strategies
    if baseline is None:
        baseline = sweep.manifest.get("baseline")
    if baseline is None:
        baseline = "history_based" if "history_based" in strategies else strategies[0]
    if baseline not in strategies:
        raise OptionError(
            f"--baseline: {baseline!r} is not a strategy of this sweep; "
            f"valid: {', '.join(strategies)}"
        )

    runs = sweep.runs(["strategy", "point", "replication", *metrics])
    runs["strategy"] = runs["strategy"].astype(str)
    design = sweep.design
    logger.info(
        "analysing %d runs: %d strategies, %d points, metrics %s",
        len(runs),
        runs["strategy"].nunique(),
        runs["point"].nunique(),
        ", ".join(metrics),
    )

    differences, point_differences = paired_differences(
        runs, metrics, baseline, strategies, design
    )
    ranked = [m for m in metrics if direction(m)]
    winner_table = winners(runs, ranked, design) if ranked else pd.DataFrame()
    interval_warning = None
    replications = int(runs.groupby(["strategy", "point"]).size().min())
    if replications < MIN_REPLICATIONS:
        interval_warning = (
            f"Warning: only {replications} replications per design point, so the "
            f"95% intervals are unreliable (use at least {MIN_REPLICATIONS})"
        )

    sensitivity = None
    sensitivity_note = None
    salib = salib_design(sweep.manifest, design)
    if salib is not None:
        reason = missing_points_reason(salib, runs)
        if reason is None:
            sensitivity = sweep_sensitivity(
                salib,
                runs,
                metrics,
                strategies,
                baseline,
                resamples=resamples,
                seed=seed,
            )
            # The table is kept for sensitivity.csv, but the printed section
            # and the figures are skipped.
            reason = small_sample_reason(salib) or degenerate_reason(sensitivity)
        if reason is not None:
            sensitivity_note = f"Sensitivity section skipped: {reason}."

    monthly = None
    kept = [m for m in metrics if m in sweep.monthly_metrics]
    if kept:
        monthly = monthly_summary(sweep, kept)

    return SweepAnalysis(
        folder=sweep,
        metrics=metrics,
        strategies=strategies,
        baseline=baseline,
        design=design,
        summary=strategy_summary(runs, metrics, strategies),
        points=point_summary(runs, metrics, design, strategies),
        differences=differences,
        point_differences=point_differences,
        winners=winner_table,
        win_counts=win_counts(winner_table) if ranked else pd.DataFrame(),
        sensitivity=sensitivity,
        monthly=monthly,
        runs=runs,
        interval_warning=interval_warning,
        sensitivity_note=sensitivity_note,
    )


def write_report(
    analysis: SweepAnalysis, out_dir: str | Path | None = None, figures: bool = True
) -> Path:
    """Write the tables, figures and a manifest of an analysis; return the folder.

    The default folder is ``report/`` inside the sweep folder. A previous report
    there is replaced; any other non-empty folder is rejected. Files are written
    under a temporary name and moved into place when complete.

    Raises:
        OptionError: if ``out_dir`` contains files that are not a QuotaLab report.
    """
    out_dir = Path(out_dir) if out_dir is not None else analysis.folder.path / "report"
    _check_report_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent)
    )
    try:
        files = _write_tables(analysis, staging)
        if figures:
            files += _write_figures(analysis, staging / "figures")
        manifest = base_manifest("report")
        manifest.update(
            {
                "sweep_folder": str(analysis.folder.path),
                "sweep_status": analysis.folder.manifest.get("status"),
                "sweep_experiment_sha256": _experiment_hash(analysis.folder.manifest),
                "metrics": analysis.metrics,
                "strategies": analysis.strategies,
                "baseline": analysis.baseline,
                "interval_warning": analysis.interval_warning,
                "sensitivity_note": analysis.sensitivity_note,
                "files": sorted(files) + ["manifest.json"],
            }
        )
        # The manifest is written last: its presence marks a complete report.
        write_json(staging / "manifest.json", manifest)
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def format_report(analysis: SweepAnalysis) -> str:
    """Return the headline results as text: means, differences, wins, sensitivity."""
    runs = analysis.runs
    replications = runs["replication"].nunique()
    points = runs["point"].nunique()
    lines = [
        f"Sweep {analysis.folder.path}: {len(analysis.strategies)} strategies x "
        f"{points} points x {replications} replications = {len(runs):,} runs "
        f"({analysis.folder.manifest.get('status', 'unknown status')})",
    ]
    for factor in analysis.factors:
        values = analysis.design[factor]
        lines.append(
            f"  factor {factor}: {values.nunique()} values from "
            f"{values.min():.4g} to {values.max():.4g}"
        )
    if analysis.interval_warning:
        lines.append(analysis.interval_warning)
    lines += ["", "Mean over the design points [95% CI over replications]"]
    lines += _metric_blocks(analysis.summary, analysis.metrics, format_interval)
    lines += [
        "",
        f"Paired difference against {analysis.baseline} "
        "(percentages in points) [95% CI]",
    ]
    others = analysis.differences[analysis.differences["strategy"] != analysis.baseline]
    lines += _metric_blocks(others, analysis.metrics, format_difference)

    if not analysis.win_counts.empty and points > 1:
        lines += [
            "",
            "Design points won (clearly: the paired 95% CI of the margin over "
            "the runner-up excludes zero)",
        ]
        for metric, group in analysis.win_counts.groupby("metric", sort=False):
            wins = "; ".join(
                f"{row.strategy} won {_count(row.points, 'point')}, "
                f"{row.clear} of them clearly"
                for row in group.itertuples()
            )
            lines.append(f"  {metric}: {wins}")

    if analysis.sensitivity_note is None and _has_indices(analysis):
        lines += ["", *_sensitivity_lines(analysis)]
    if analysis.sensitivity_note:
        lines += ["", analysis.sensitivity_note]
    return "\n".join(lines)


def _has_indices(analysis: SweepAnalysis) -> bool:
    return analysis.sensitivity is not None and not analysis.sensitivity.empty


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _choose_metrics(metrics: Sequence[str] | None, available: list[str]) -> list[str]:
    if metrics is None:
        chosen = [m for m in HEADLINE_METRICS if m in available]
        return chosen or list(available)
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in available]
    if unknown or not metrics:
        raise OptionError(
            f"--metrics: {', '.join(unknown) or 'no metric given'} not kept by "
            f"this sweep; valid: {', '.join(available)}"
        )
    return metrics


def _metric_blocks(table: pd.DataFrame, metrics, render) -> list[str]:
    width = max((len(s) for s in table["strategy"]), default=8)
    lines = []
    for metric in metrics:
        lines.append(f"  {metric}")
        for row in table[table["metric"] == metric].itertuples():
            text = render(metric, row.mean, row.ci_low, row.ci_high)
            lines.append(f"    {row.strategy:<{width}}  {text}")
    return lines


def _sensitivity_lines(analysis: SweepAnalysis) -> list[str]:
    indices = analysis.sensitivity
    method = "sobol" if "ST" in set(indices["index"]) else "morris"
    index = "ST" if method == "sobol" else "mu_star"
    response = "difference" if (indices["response"] == "difference").any() else "level"
    against = f" against {analysis.baseline}" if response == "difference" else ""
    lines = [
        f"Sensitivity ({method} {index} of the {response}{against}, "
        "top 3 factors) [95% bootstrap CI]"
    ]
    chosen = indices[(indices["index"] == index) & (indices["response"] == response)]
    for metric in analysis.metrics:
        lines.append(f"  {metric}")
        for name, group in chosen[chosen["metric"] == metric].groupby(
            "strategy", sort=False
        ):
            top = group.sort_values("estimate", ascending=False).head(3)
            parts = ", ".join(
                f"{row.factor} {row.estimate:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}]"
                for row in top.itertuples()
            )
            lines.append(f"    {name}: {parts}")
    return lines


def _write_tables(analysis: SweepAnalysis, folder: Path) -> list[str]:
    tables = {
        "summary.csv": analysis.summary,
        "points.csv": analysis.points,
        "differences.csv": analysis.differences,
        "point_differences.csv": analysis.point_differences,
        "winners.csv": analysis.winners,
        "win_counts.csv": analysis.win_counts,
    }
    if analysis.sensitivity is not None:
        tables["sensitivity.csv"] = analysis.sensitivity
    if analysis.monthly is not None:
        tables["monthly.csv"] = analysis.monthly
    for name, table in tables.items():
        table.to_csv(folder / name, index=False)
    return list(tables)


def _write_figures(analysis: SweepAnalysis, folder: Path) -> list[str]:
    folder.mkdir()
    written = []
    for factor in analysis.factors[:MAX_EFFECT_FIGURES]:
        effect = factor_effect(
            analysis.runs,
            analysis.metrics,
            analysis.design,
            factor,
            analysis.strategies,
            MAX_LEVELS,
        )
        name = f"effect_{_file_stem(factor)}.png"
        draw.plot_factor_effect(
            effect, factor, analysis.metrics, analysis.strategies, folder / name
        )
        written.append(name)

    gridded = [
        f for f in analysis.factors if analysis.design[f].nunique() <= MAX_LEVELS
    ]
    if len(gridded) >= 2:
        x, y = gridded[:2]
        metric = analysis.metrics[0]
        grid = factor_grid(analysis.runs, metric, analysis.design, x, y, MAX_LEVELS)
        name = f"heatmap_{metric}.png"
        draw.plot_heatmaps(grid, metric, x, y, analysis.strategies, folder / name)
        written.append(name)
        if len(analysis.factors) == 2 and not analysis.winners.empty:
            ranked = analysis.winners["metric"].iloc[0]
            name = f"winners_{ranked}.png"
            draw.plot_winner_map(
                analysis.winners, ranked, x, y, analysis.strategies, folder / name
            )
            written.append(name)

    if analysis.sensitivity_note is None and _has_indices(analysis):
        for metric in analysis.metrics:
            for response in ("level", "difference"):
                selected = analysis.sensitivity[
                    (analysis.sensitivity["metric"] == metric)
                    & (analysis.sensitivity["response"] == response)
                ]
                if selected.empty:
                    continue
                name = f"sensitivity_{metric}_{response}.png"
                draw.plot_sensitivity(selected, metric, response, folder / name)
                written.append(name)

    # A design with factors gets effect figures, so only a one-point sweep gets
    # its monthly series over time.
    if analysis.monthly is not None and not analysis.factors:
        kept = list(dict.fromkeys(analysis.monthly["metric"]))
        name = "monthly.png"
        point = int(analysis.design["point"].iloc[0])
        draw.plot_monthly(
            analysis.monthly, kept, analysis.strategies, point, folder / name
        )
        written.append(name)

    if not written:
        folder.rmdir()
        logger.info(
            "no figures: the design has no factors and the sweep kept no monthly "
            "series of the analysed metrics"
        )
    return [f"figures/{name}" for name in written]


def _file_stem(factor: str) -> str:
    return factor.replace(".", "_").replace("/", "_")


def _experiment_hash(manifest: dict) -> str | None:
    experiment = manifest.get("experiment")
    if isinstance(experiment, dict):
        return experiment.get("sha256")
    return manifest.get("experiment_sha256")


def _check_report_dir(path: Path) -> None:
    if not path.exists():
        return
    if not path.is_dir():
        raise OptionError(f"--out: {path} exists and is not a folder")
    if not any(path.iterdir()) or _is_report(path):
        return
    raise OptionError(
        f"--out: {path} already contains files that are not a QuotaLab report; "
        "choose a new folder or remove it"
    )


def _is_report(path: Path) -> bool:
    import json

    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("quotalab_command") == "report"


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` (empty or a previous report) with ``staging``."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        out_dir.rename(old / out_dir.name)
    try:
        staging.rename(out_dir)
    except OSError as error:
        if old is not None:
            (old / out_dir.name).rename(out_dir)
        raise OptionError(
            f"--out: cannot move the report into {out_dir} ({error.strerror}); "
            "choose a new folder"
        ) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
