"""Means, confidence intervals, paired differences and winners over a sweep's runs.

Every table is in long form, one row per group and metric, with ``mean``,
``ci_low``, ``ci_high`` (a two-sided 95% Student-t interval) and ``replications``,
the number of finite values behind the interval.

Replications are the independent units. Replication ``i`` uses the same seed at
every design point and under every strategy (common random numbers), so values of
one replication are correlated across points and strategies. Summaries over several
points therefore average within a replication first and take the interval over
replications, and differences between strategies are paired by point and
replication.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import DataError, OptionError

LEVEL = 0.95

# Metrics with an agreed direction, used to pick the winner at a design point.
# Metrics in neither set (for example attainment_skew or quota_changes) describe
# a plan rather than rank it, so a winner needs an explicit direction.
HIGHER_IS_BETTER = frozenset(
    {
        "completion_rate",
        "share_at_quota",
        "annual_share_at_quota",
        "median_attainment",
        "annual_median_attainment",
        "morale",
        "revenue",
    }
)
LOWER_IS_BETTER = frozenset(
    {
        "attrition_rate",
        "voluntary_attrition",
        "involuntary_attrition",
        "regretted_attrition",
        "morale_low_share",
        "vacancy_months",
        "mean_vacancy_duration",
        "ramp_months_lost",
        "cost_of_sales",
        "quota_burden_gini",
        "quota_volatility",
        "give_up_rate",
        "fatigue",
        "attainment_cv",
    }
)


def direction(metric: str) -> str | None:
    """Return ``"higher"`` or ``"lower"`` (the better side of a metric) or None."""
    if metric in HIGHER_IS_BETTER:
        return "higher"
    if metric in LOWER_IS_BETTER:
        return "lower"
    return None


def t_interval(
    count: np.ndarray, mean: np.ndarray, sd: np.ndarray, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Student-t interval ``mean ± t(level, n - 1) * sd / sqrt(n)``.

    Groups with fewer than two values get NaN bounds.
    """
    count = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.where(count > 1, count - 1, np.nan))
        half = t * np.asarray(sd, dtype=float) / np.sqrt(count)
    return mean - half, mean + half


def long_runs(runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Reshape run rows to ``strategy, point, replication, metric, value``."""
    frame = runs.melt(
        id_vars=["strategy", "point", "replication"],
        value_vars=list(metrics),
        var_name="metric",
        value_name="value",
    )
    frame["value"] = frame["value"].astype(float)
    return frame


def describe(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return mean, 95% interval and count of ``value`` for each group of ``keys``."""
    grouped = frame.groupby(keys, observed=True, sort=False)["value"]
    table = grouped.agg(["count", "mean", "std"]).reset_index()
    low, high = t_interval(table["count"], table["mean"], table["std"])
    table["ci_low"] = low
    table["ci_high"] = high
    table = table.rename(columns={"count": "replications"})
    return table[[*keys, "mean", "ci_low", "ci_high", "replications"]]


def strategy_summary(
    runs: pd.DataFrame, metrics: Sequence[str], strategies: Sequence[str]
) -> pd.DataFrame:
    """Return per strategy and metric the mean over the whole design.

    Each design point has equal weight: the metric is averaged over points within
    each replication, and the interval is taken over replications.
    """
    frame = long_runs(runs, metrics)
    per_replication = (
        frame.groupby(["strategy", "metric", "replication"], observed=True)["value"]
        .mean()
        .reset_index()
    )
    table = describe(per_replication, ["strategy", "metric"])
    points = runs.groupby("strategy", observed=True)["point"].nunique()
    table.insert(2, "points", table["strategy"].map(points).astype(int))
    return _in_order(table, strategies, metrics, ["strategy", "metric"])


def point_summary(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    design: pd.DataFrame,
    strategies: Sequence[str],
) -> pd.DataFrame:
    """Return per design point, strategy and metric the mean over replications.

    The factor values of each point are joined in after ``point``.
    """
    table = describe(long_runs(runs, metrics), ["point", "strategy", "metric"])
    table = _in_order(table, strategies, metrics, ["point", "strategy", "metric"])
    return design.merge(table, on="point", how="right")


def paired_differences(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    baseline: str,
    strategies: Sequence[str],
    design: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return paired differences against ``baseline``, over the design and by point.

    A difference is ``strategy - baseline`` on the same point and replication. The
    first table averages the differences over points within each replication; the
    second has one row per point, strategy and metric.

    Raises:
        OptionError: if ``baseline`` is not a strategy of the sweep.
    """
    if baseline not in strategies:
        raise OptionError(
            f"--baseline: {baseline!r} is not a strategy of this sweep; "
            f"valid: {', '.join(strategies)}"
        )
    wide = _by_strategy(runs, metrics)
    differences = wide.sub(wide[baseline], axis=0)
    frame = differences.stack(future_stack=True).rename("value").reset_index()

    per_replication = (
        frame.groupby(["strategy", "metric", "replication"], observed=True)["value"]
        .mean()
        .reset_index()
    )
    overall = describe(per_replication, ["strategy", "metric"])
    overall.insert(1, "baseline", baseline)
    overall = _in_order(overall, strategies, metrics, ["strategy", "metric"])

    by_point = describe(frame, ["point", "strategy", "metric"])
    by_point.insert(2, "baseline", baseline)
    by_point = _in_order(by_point, strategies, metrics, ["point", "strategy", "metric"])
    if design is not None:
        by_point = design.merge(by_point, on="point", how="right")
    return overall, by_point


def winners(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    design: pd.DataFrame | None = None,
    better: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Return which strategy is best at each design point, by metric.

    The winner has the best mean over replications and the runner-up the second
    best. ``margin`` is the paired difference winner minus runner-up with its 95%
    interval, and ``clear`` is true when that interval excludes zero.

    Args:
        runs: run rows with ``strategy``, ``point``, ``replication`` and metrics.
        metrics: metrics to rank on.
        design: design points to join factor values from.
        better: ``"higher"`` or ``"lower"`` per metric, overriding
            :func:`direction`.

    Raises:
        OptionError: if a metric has no known direction and none is given.
    """
    better = dict(better or {})
    for metric in metrics:
        better.setdefault(metric, direction(metric))
        if better[metric] not in ("higher", "lower"):
            raise OptionError(
                f"{metric}: no known better direction (got {better[metric]!r}); "
                "pass better={metric: 'higher' or 'lower'}"
            )
    wide = _by_strategy(runs, metrics)
    names = np.asarray(wide.columns)
    means = wide.groupby(level=["metric", "point"], observed=True).mean()
    sign = np.where(
        means.index.get_level_values("metric").map(better) == "higher", 1.0, -1.0
    )
    # NaN means rank last whatever the direction.
    score = np.nan_to_num(means.to_numpy() * sign[:, None], nan=-np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    table = means.index.to_frame(index=False)
    table["winner"] = names[order[:, 0]]
    table["winner_mean"] = means.to_numpy()[np.arange(len(means)), order[:, 0]]

    if len(names) < 2:
        table["runner_up"] = None
        for column in ("margin", "margin_ci_low", "margin_ci_high"):
            table[column] = np.nan
        table["clear"] = False
    else:
        table["runner_up"] = names[order[:, 1]]
        margin = _margins(wide, means.index, order)
        table = table.merge(margin, on=["metric", "point"], how="left")
        with np.errstate(invalid="ignore"):
            table["clear"] = (table["margin_ci_low"] > 0) | (
                table["margin_ci_high"] < 0
            )

    table["metric"] = pd.Categorical(table["metric"], categories=list(metrics))
    table = table.sort_values(["metric", "point"], kind="stable")
    table["metric"] = table["metric"].astype(str)
    if design is not None:
        table = design.merge(table, on="point", how="right")
    return table.reset_index(drop=True)


def win_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Count design points won per metric and strategy, and how many clearly."""
    counts = (
        table.groupby(["metric", "winner"], sort=False)
        .agg(points=("point", "size"), clear=("clear", "sum"))
        .reset_index()
        .rename(columns={"winner": "strategy"})
    )
    counts["clear"] = counts["clear"].astype(int)
    return counts


def factor_levels(values: pd.Series, max_levels: int) -> pd.Series:
    """Return the plotting level of each value of a factor.

    A factor with at most ``max_levels`` distinct values keeps them; a sampled
    factor (Latin hypercube, Sobol) is cut into ``max_levels`` bins of equal count,
    each labelled by the median of its values.
    """
    if values.nunique() <= max_levels:
        return values
    bins = pd.qcut(values, max_levels, duplicates="drop")
    return values.groupby(bins, observed=True).transform("median")


def factor_effect(
    runs: pd.DataFrame,
    metrics: Sequence[str],
    design: pd.DataFrame,
    factor: str,
    strategies: Sequence[str],
    max_levels: int = 12,
) -> pd.DataFrame:
    """Return per strategy the mean of each metric at each level of one factor.

    Points that share a level (other factors varying) are averaged within each
    replication, and the interval is taken over replications.

    Raises:
        OptionError: if ``factor`` is not a factor of the design.
    """
    _check_factor(design, factor)
    levels = factor_levels(design[factor], max_levels).rename("level")
    if not pd.api.types.is_numeric_dtype(levels):
        # Categorical values keep the order the experiment lists them in.
        levels = pd.Series(
            pd.Categorical(levels, categories=list(dict.fromkeys(levels))),
            name="level",
        )
    frame = long_runs(runs, metrics).merge(
        pd.concat([design["point"], levels], axis=1), on="point"
    )
    per_replication = (
        frame.groupby(["strategy", "metric", "level", "replication"], observed=True)[
            "value"
        ]
        .mean()
        .reset_index()
    )
    table = describe(per_replication, ["strategy", "metric", "level"])
    table.insert(2, "factor", factor)
    table = _in_order(table, strategies, metrics, ["strategy", "metric", "level"])
    return table


def factor_grid(
    runs: pd.DataFrame,
    metric: str,
    design: pd.DataFrame,
    x: str,
    y: str,
    max_levels: int = 12,
) -> pd.DataFrame:
    """Return the mean of ``metric`` per strategy over a grid of two factors.

    Columns: ``strategy``, ``x`` level, ``y`` level, ``mean``, ``runs``.

    Raises:
        OptionError: if ``x`` or ``y`` is not a factor of the design.
    """
    _check_factor(design, x)
    _check_factor(design, y)
    levels = pd.DataFrame(
        {
            "point": design["point"],
            x: factor_levels(design[x], max_levels),
            y: factor_levels(design[y], max_levels),
        }
    )
    frame = runs[["strategy", "point", metric]].merge(levels, on="point")
    return (
        frame.groupby(["strategy", x, y], observed=True)[metric]
        .agg(mean="mean", runs="count")
        .reset_index()
    )


def _by_strategy(runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Return values indexed by (metric, point, replication), one column each."""
    frame = long_runs(runs, metrics)
    keys = ["metric", "point", "replication", "strategy"]
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        first = frame.loc[duplicated, keys].iloc[0].to_dict()
        raise DataError(
            f"the run files contain {int(duplicated.sum())} duplicate runs, for "
            f"example {first}; the sweep folder is inconsistent"
        )
    return frame.set_index(keys)["value"].unstack("strategy")


def _margins(wide: pd.DataFrame, groups: pd.MultiIndex, order) -> pd.DataFrame:
    """Return the paired winner-minus-runner-up difference per metric and point."""
    position = pd.Series(np.arange(len(groups)), index=groups)
    row_group = position.reindex(wide.index.droplevel("replication")).to_numpy()
    values = wide.to_numpy()
    rows = np.arange(len(values))
    best = values[rows, order[row_group, 0]]
    second = values[rows, order[row_group, 1]]
    frame = wide.index.to_frame(index=False)[["metric", "point"]]
    frame["value"] = best - second
    table = describe(frame, ["metric", "point"])
    return table.rename(
        columns={
            "mean": "margin",
            "ci_low": "margin_ci_low",
            "ci_high": "margin_ci_high",
            "replications": "margin_replications",
        }
    ).drop(columns="margin_replications")


def _check_factor(design: pd.DataFrame, factor: str) -> None:
    if factor not in design.columns or factor == "point":
        valid = [c for c in design.columns if c != "point"]
        raise OptionError(
            f"factor: {factor!r} is not a factor of this sweep; "
            f"valid: {', '.join(valid) or 'none (a single design point)'}"
        )


def _in_order(
    table: pd.DataFrame,
    strategies: Sequence[str],
    metrics: Sequence[str],
    keys: list[str],
) -> pd.DataFrame:
    """Sort by the sweep's strategy order and the requested metric order."""
    rank = {
        "strategy": {name: i for i, name in enumerate(strategies)},
        "metric": {name: i for i, name in enumerate(metrics)},
    }
    sort_keys = []
    for key in keys:
        column = table[key]
        if key in rank:
            column = column.map(rank[key])
        elif isinstance(column.dtype, pd.CategoricalDtype):
            column = column.cat.codes
        sort_keys.append(column)
    order = np.lexsort([np.asarray(k) for k in reversed(sort_keys)])
    return table.iloc[order].reset_index(drop=True)
