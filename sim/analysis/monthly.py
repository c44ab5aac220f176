"""Monthly series of a sweep, summarised one Parquet part at a time.

Monthly files are the largest part of a sweep (runs x months rows), so they are
never loaded whole. Each part is reduced to count, mean and sum of squared
deviations per strategy, point, month and metric; the parts' moments are then
combined exactly with the pairwise update of Chan, Golub & LeVeque (1983), so the
result equals a summary of all rows at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sim.analysis.folder import SweepFolder
from sim.analysis.summary import t_interval

KEYS = ["strategy", "point", "month", "metric"]


def monthly_summary(
    folder: SweepFolder,
    metrics: Sequence[str],
    points: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Return per strategy, point, month and metric the mean with its 95% interval.

    Args:
        folder: the sweep folder.
        metrics: monthly metric names.
        points: design points to keep; None keeps all.

    Raises:
        OptionError: if the sweep kept no monthly series or lacks a metric.
    """
    columns = ["strategy", "point", "replication", "month", *metrics]
    moments = (
        _part_moments(part, metrics, points) for part in folder.monthly_parts(columns)
    )
    table = combine_moments(moments)
    sd = np.sqrt(table["m2"] / (table["count"] - 1).where(table["count"] > 1))
    table["ci_low"], table["ci_high"] = t_interval(table["count"], table["mean"], sd)
    table = table.rename(columns={"count": "replications"})
    order = {name: i for i, name in enumerate(folder.strategies)}
    table = table.sort_values(
        ["strategy", "point", "metric", "month"],
        key=lambda c: c.map(order) if c.name == "strategy" else c,
        kind="stable",
    )
    return table[[*KEYS, "mean", "ci_low", "ci_high", "replications"]].reset_index(
        drop=True
    )


def combine_moments(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Combine per-part ``count``, ``mean`` and ``m2`` into one row per group.

    For groups a and b with ``delta = mean_b - mean_a``, the combined sum of
    squared deviations is ``m2_a + m2_b + delta**2 * n_a * n_b / (n_a + n_b)``;
    summed over any number of parts this is
    ``sum(m2_i) + sum(n_i * (mean_i - mean)**2)``.
    """
    frame = pd.concat(list(parts), ignore_index=True)
    grouped = frame.groupby(KEYS, observed=True, sort=False)
    count = grouped["count"].transform("sum")
    mean = (frame["mean"] * frame["count"]).groupby(
        [frame[k] for k in KEYS], observed=True, sort=False
    ).transform("sum") / count
    frame = frame.assign(
        between=frame["count"] * (frame["mean"] - mean) ** 2, total_mean=mean
    )
    combined = frame.groupby(KEYS, observed=True, sort=False).agg(
        count=("count", "sum"),
        mean=("total_mean", "first"),
        within=("m2", "sum"),
        between=("between", "sum"),
    )
    combined["m2"] = combined["within"] + combined["between"]
    return combined.drop(columns=["within", "between"]).reset_index()


def _part_moments(
    part: pd.DataFrame, metrics: Sequence[str], points: Sequence[int] | None
) -> pd.DataFrame:
    if points is not None:
        part = part[part["point"].isin(points)]
    frame = part.melt(
        id_vars=["strategy", "point", "replication", "month"],
        value_vars=list(metrics),
        var_name="metric",
        value_name="value",
    ).dropna(subset=["value"])
    grouped = frame.groupby(KEYS, observed=True, sort=False)["value"]
    moments = grouped.agg(["count", "mean", "var"])
    # A group of one value has no spread; pandas gives NaN variance for it.
    moments["m2"] = (moments.pop("var") * (moments["count"] - 1)).fillna(0.0)
    return moments.reset_index()
