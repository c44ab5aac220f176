"""Figures of a sweep: metric against a factor, two-factor heatmaps, sensitivity.

Each function takes a table from :mod:`sim.analysis.summary` or
:mod:`sim.analysis.sensitivity`, returns a :class:`matplotlib.figure.Figure` and
saves it when given a path. Figures use matplotlib's object interface, so drawing
them never changes the pyplot backend of the caller's session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

DPI = 110

# Metrics in currency units, whose axes are labelled in millions; the same set
# sim.output prints with an "M" suffix.
MONEY_METRICS = ("revenue", "pay_cost")

# A numeric factor with at most this many distinct values is drawn as
# categories, evenly spaced, because its values are often switches or
# settings (a downturn_start_month of 0 means no downturn) rather than a scale.
MAX_CATEGORIES = 5


def plot_factor_effect(
    effect: pd.DataFrame,
    factor: str,
    metrics: Sequence[str],
    strategies: Sequence[str],
    path: Path | None = None,
) -> Figure:
    """Plot each metric against one factor, a line per strategy with a 95% band.

    Args:
        effect: a table from :func:`sim.analysis.summary.factor_effect`.
        factor: the factor on the x axis.
        metrics: one panel per metric.
        strategies: one line per strategy, in this order.
        path: where to save the PNG; None only returns the figure.
    """
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    fig = Figure(figsize=(4.2 * columns, 3.3 * rows))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    # A categorical factor (values such as "quarterly") is drawn at positions
    # 0, 1, ... in its design order, labelled with the values.
    categories = None
    if isinstance(effect["level"].dtype, pd.CategoricalDtype):
        categories = list(effect["level"].cat.categories)
    elif not pd.api.types.is_numeric_dtype(effect["level"]):
        categories = list(dict.fromkeys(effect["level"]))
    elif effect["level"].nunique() <= MAX_CATEGORIES:
        categories = sorted(effect["level"].unique())
    for ax, metric in zip(axes, metrics, strict=False):
        subset = effect[effect["metric"] == metric]
        for name in strategies:
            line = subset[subset["strategy"] == name]
            if line.empty:
                continue
            if categories is None:
                line = line.sort_values("level")
                x = line["level"].to_numpy(dtype=float)
            else:
                x = line["level"].map(categories.index).to_numpy(dtype=float)
            ax.plot(x, line["mean"], marker="o", markersize=3, label=name)
            ax.fill_between(x, line["ci_low"], line["ci_high"], alpha=0.2)
        if categories is not None:
            labels = [_tick(value) for value in categories]
            ax.set_xticks(range(len(categories)), labels, fontsize=8)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel(factor)
        _label_values(ax.yaxis, metric)
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Metrics against {factor} (mean and 95% CI over replications)")
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_heatmaps(
    grid: pd.DataFrame,
    metric: str,
    x: str,
    y: str,
    strategies: Sequence[str],
    path: Path | None = None,
) -> Figure:
    """Plot the mean of a metric over two factors, one panel per strategy.

    All panels share one colour scale, so colours compare across strategies.

    Args:
        grid: a table from :func:`sim.analysis.summary.factor_grid`.
        metric: the metric the grid holds.
        x: factor on the horizontal axis.
        y: factor on the vertical axis.
        strategies: one panel per strategy, in this order.
        path: where to save the PNG; None only returns the figure.
    """
    columns = min(3, len(strategies))
    rows = math.ceil(len(strategies) / columns)
    # Constrained layout keeps each row's titles clear of the x labels above.
    fig = Figure(figsize=(4.2 * columns, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    low, high = grid["mean"].min(), grid["mean"].max()
    image = None
    for ax, name in zip(axes, strategies, strict=False):
        table = grid[grid["strategy"] == name].pivot(index=y, columns=x, values="mean")
        image = ax.imshow(
            table.to_numpy(),
            origin="lower",
            aspect="auto",
            vmin=low,
            vmax=high,
            cmap="viridis",
        )
        _label_axes(ax, table, x, y)
        ax.set_title(name, fontsize=10)
    # Only the first column keeps the y label, in every row.
    for index, ax in enumerate(axes):
        if index % columns:
            ax.set_ylabel("")
    for ax in axes[len(strategies) :]:
        ax.set_visible(False)
    if image is not None:
        colorbar = fig.colorbar(image, ax=list(axes[: len(strategies)]))
        _label_values(colorbar.ax.yaxis, metric)
    fig.suptitle(f"Mean {metric} over {x} and {y}")
    _save(fig, path)
    return fig


def plot_winner_map(
    winners: pd.DataFrame,
    metric: str,
    x: str,
    y: str,
    strategies: Sequence[str],
    path: Path | None = None,
) -> Figure:
    """Plot which strategy wins at each cell of two factors; hatch unclear wins.

    Cells are design points, so other factors must be fixed, as in a two-factor
    full factorial design. A win is clear when the paired 95% interval of the
    margin over the runner-up excludes zero.

    Args:
        winners: a table from :func:`sim.analysis.summary.winners` with the
            factor columns joined.
        metric: the metric the winners were picked on.
        x: factor on the horizontal axis.
        y: factor on the vertical axis.
        strategies: fixes each strategy's colour.
        path: where to save the PNG; None only returns the figure.
    """
    subset = winners[winners["metric"] == metric]
    code = {name: i for i, name in enumerate(strategies)}
    table = subset.pivot_table(
        index=y, columns=x, values="winner", aggfunc="first"
    ).map(code.get)
    clear = subset.pivot_table(index=y, columns=x, values="clear", aggfunc="first")
    palette = [f"C{i % 10}" for i in range(len(strategies))]

    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    ax.imshow(
        table.to_numpy(dtype=float),
        origin="lower",
        aspect="auto",
        cmap=ListedColormap(palette),
        vmin=-0.5,
        vmax=len(strategies) - 0.5,
    )
    for (row, col), is_clear in np.ndenumerate(clear.to_numpy(dtype=bool)):
        if not is_clear:
            ax.text(col, row, "?", ha="center", va="center", color="white")
    _label_axes(ax, table, x, y)
    ax.legend(
        handles=[Patch(color=palette[code[n]], label=n) for n in strategies],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    ax.set_title(f"Best strategy on {metric} ('?': not clear at 95%)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_sensitivity(
    indices: pd.DataFrame,
    metric: str,
    response: str = "level",
    path: Path | None = None,
) -> Figure:
    """Plot sensitivity indices per factor with 95% bootstrap intervals.

    One panel per strategy. Sobol results show ``S1`` and ``ST``; Morris results
    show ``mu_star``.

    Args:
        indices: a table from :func:`sim.analysis.sensitivity.sweep_sensitivity`.
        metric: the metric to show.
        response: ``"level"`` or ``"difference"`` (against the baseline).
        path: where to save the PNG; None only returns the figure.
    """
    subset = indices[(indices["metric"] == metric) & (indices["response"] == response)]
    subset = subset[subset["index"].isin(["S1", "ST", "mu_star"])]
    strategies = list(dict.fromkeys(subset["strategy"]))
    kinds = list(dict.fromkeys(subset["index"]))
    factors = list(dict.fromkeys(subset["factor"]))

    columns = min(3, max(len(strategies), 1))
    rows = max(math.ceil(len(strategies) / columns), 1)
    fig = Figure(figsize=(4.5 * columns, 0.5 * len(factors) * rows + 2.0))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    height = 0.8 / max(len(kinds), 1)
    positions = np.arange(len(factors))
    for ax, name in zip(axes, strategies, strict=False):
        for k, kind in enumerate(kinds):
            rows_of = (
                subset[(subset["strategy"] == name) & (subset["index"] == kind)]
                .set_index("factor")
                .reindex(factors)
            )
            estimate = rows_of["estimate"].to_numpy(dtype=float)
            error = np.abs(
                np.vstack(
                    [
                        estimate - rows_of["ci_low"].to_numpy(dtype=float),
                        rows_of["ci_high"].to_numpy(dtype=float) - estimate,
                    ]
                )
            )
            ax.barh(positions + k * height, estimate, height, xerr=error, label=kind)
        ax.set_yticks(positions + height * (len(kinds) - 1) / 2, factors, fontsize=8)
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_title(name, fontsize=10)
        if "mu_star" in kinds:
            _label_values(ax.xaxis, metric, prefix="mu_star of ")
        else:
            ax.set_xlabel("Sobol index (S1 first order, ST total), 0 to 1")
        ax.grid(alpha=0.3, axis="x")
    for ax in axes[len(strategies) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    what = metric if response == "level" else f"{metric}, difference to the baseline"
    fig.suptitle(f"Sensitivity of {what} (95% bootstrap CI)")
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_monthly(
    monthly: pd.DataFrame,
    metrics: Sequence[str],
    strategies: Sequence[str],
    point: int = 0,
    path: Path | None = None,
) -> Figure:
    """Plot each monthly metric over time at one design point, a line per strategy.

    Args:
        monthly: a table from :func:`sim.analysis.monthly.monthly_summary`.
        metrics: one panel per metric.
        strategies: one line per strategy, in this order.
        point: the design point to show.
        path: where to save the PNG; None only returns the figure.
    """
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    fig = Figure(figsize=(4.2 * columns, 3.3 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    at_point = monthly[monthly["point"] == point]
    for ax, metric in zip(axes, metrics, strict=False):
        subset = at_point[at_point["metric"] == metric]
        for name in strategies:
            line = subset[subset["strategy"] == name].sort_values("month")
            if line.empty:
                continue
            ax.plot(line["month"], line["mean"], label=name)
            ax.fill_between(line["month"], line["ci_low"], line["ci_high"], alpha=0.2)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("month")
        _label_values(ax.yaxis, metric)
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    fig.suptitle("Monthly metrics (mean and 95% CI over replications)")
    _save(fig, path)
    return fig


def _label_values(axis, metric: str, prefix: str = "") -> None:
    """Label a value axis with the metric, in millions for currency metrics."""
    if metric in MONEY_METRICS:
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1e6:,.3g}"))
        axis.set_label_text(f"{prefix}{metric} (millions)")
    else:
        axis.set_label_text(f"{prefix}{metric}")


def _label_axes(ax, table: pd.DataFrame, x: str, y: str) -> None:
    ax.set_xticks(range(table.shape[1]), [_tick(v) for v in table.columns], fontsize=8)
    ax.set_yticks(range(table.shape[0]), [_tick(v) for v in table.index], fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)


def _tick(value) -> str:
    return f"{value:.3g}" if isinstance(value, float | np.floating) else str(value)


def _save(fig: Figure, path: Path | None) -> None:
    if path is not None:
        fig.savefig(path, dpi=DPI)
