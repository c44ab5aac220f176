"""Figures of a comparison: headline series over time and attainment distributions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

# Figures are built with matplotlib's object interface and saved directly, so
# writing results never changes the pyplot backend of the caller's session.

SERIES = (
    ("completion_rate", "Team completion (sales / target), monthly"),
    ("share_at_quota", "Share of reps at or above quota pace"),
    ("morale", "Mean morale (0-1)"),
    ("attrition_rate", "Exits, annualised rate (12-month rolling)"),
)


def plot_headlines(monthly: pd.DataFrame, strategies, path: Path) -> None:
    """Plot headline monthly series per strategy with 95% confidence bands."""
    fig = Figure(figsize=(11, 7))
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (metric, title) in zip(axes.flat, SERIES, strict=True):
        for name in strategies:
            frame = monthly[monthly["strategy"] == name]
            table = frame.pivot(index="replication", columns="month", values=metric)
            if metric == "attrition_rate":
                table = table.T.rolling(12, min_periods=1).mean().T
            mean, low, high = _band(table.to_numpy())
            months = table.columns.to_numpy() + 1
            ax.plot(months, mean, label=name, linewidth=1.5)
            ax.fill_between(months, low, high, alpha=0.2)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("month")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Headline metrics by strategy (mean and 95% CI over replications)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_attainment(attainment: pd.DataFrame, strategies, path: Path) -> None:
    """Plot the distribution of rep-period attainment per strategy."""
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots()
    data = [
        np.clip(
            attainment.loc[attainment["strategy"] == n, "attainment"].to_numpy(), 0, 3
        )
        for n in strategies
    ]
    data = [d if d.size else np.array([np.nan]) for d in data]
    ax.violinplot(data, showmedians=True)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(range(1, len(strategies) + 1), strategies, rotation=15)
    ax.set_ylabel("attainment (period sales / quota), clipped at 3")
    ax.set_title("Attainment distribution per strategy, all reps and periods")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _band(values: np.ndarray):
    count = np.isfinite(values).sum(axis=0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # One replication has no spread: its band is NaN, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        sd = np.nanstd(values, axis=0, ddof=1)
        half = (
            stats.t.ppf(0.975, np.maximum(count - 1, 1))
            * sd
            / np.sqrt(np.maximum(count, 1))
        )
    return mean, mean - half, mean + half
