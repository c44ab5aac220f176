"""Global sensitivity indices of a sobol or morris sweep, with bootstrap intervals.

The design's points are the rows of the SALib sample, in point order, so the
response at point ``k`` is the model output for sample row ``k``. A response is the
mean of a run metric over the replications of one point, either for one strategy
(what drives the level of the metric) or as the paired difference against the
baseline strategy (what drives the ranking of strategies).

Sobol indices follow Saltelli (2002) and Saltelli et al. (2010) as implemented in
SALib (Herman & Usher 2017; Iwanaga, Usher & Herman 2022); their intervals come
from SALib's bootstrap over sample rows. Morris screening follows Morris (1991)
with the ``mu_star`` of Campolongo, Cariboni & Saltelli (2007), whose interval is
also a bootstrap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import DataError

logger = logging.getLogger(__name__)

SENSITIVITY_DESIGNS = ("sobol", "morris")

# Bootstrap resamples for the intervals; SALib's default is 100, which leaves the
# interval bounds themselves noticeably noisy.
RESAMPLES = 1000

# Smallest Sobol base sample N (rows per block of the Saltelli sample) the report
# analyses. NOTE: a rule of thumb, not a published bound. With smaller N the
# bootstrap intervals can be far wider than the [0, 1] range of the indices.
MIN_SOBOL_BASE = 16

COLUMNS = [
    "strategy",
    "response",
    "metric",
    "factor",
    "index",
    "estimate",
    "ci_low",
    "ci_high",
]


@dataclass(frozen=True)
class SalibDesign:
    """The inputs SALib needs to analyse a sweep's design.

    Attributes:
        method: ``"sobol"`` or ``"morris"``.
        problem: SALib problem dictionary (``num_vars``, ``names``, ``bounds``).
        samples: the sample matrix, one row per design point in point order.
        second_order: for sobol, whether the sample includes the rows for
            second-order indices.
        num_levels: for morris, the number of grid levels.
    """

    method: str
    problem: dict
    samples: np.ndarray
    second_order: bool = False
    num_levels: int = 4

    @property
    def base_samples(self) -> int:
        """Sobol base sample N, or the number of Morris trajectories."""
        dimensions = self.problem["num_vars"]
        if self.method == "sobol":
            block = 2 * dimensions + 2 if self.second_order else dimensions + 2
        else:
            block = dimensions + 1
        return len(self.samples) // block


def missing_points_reason(design: SalibDesign, runs: pd.DataFrame) -> str | None:
    """Return why indices cannot be computed from these runs, or None.

    Indices need a response at every design point for every strategy, which an
    unfinished sweep lacks.
    """
    points = len(design.samples)
    covered = runs.groupby("strategy")["point"].nunique()
    present = int(covered.min()) if not covered.empty else 0
    if present < points:
        return (
            f"the sweep has runs of every strategy at {present} of {points} design "
            "points, and indices need every point"
        )
    return None


def small_sample_reason(design: SalibDesign) -> str | None:
    """Return why a Sobol design is too small for meaningful indices, or None."""
    if design.method == "sobol" and design.base_samples < MIN_SOBOL_BASE:
        return (
            f"the sobol base sample is N = {design.base_samples}, below the "
            f"minimum of {MIN_SOBOL_BASE}; rerun with design.samples >= "
            f"{MIN_SOBOL_BASE}"
        )
    return None


def degenerate_reason(indices: pd.DataFrame) -> str | None:
    """Return why a table of indices has no usable intervals, or None.

    An interval is degenerate when a bound is not finite, or when a Sobol
    ``S1`` or ``ST`` interval is wider than 2, twice the [0, 1] range of the
    index, so it excludes nothing.
    """
    checked = indices[indices["index"].isin(["S1", "ST", "mu_star"])]
    if checked.empty:
        return None
    bounds = checked[["ci_low", "ci_high"]].to_numpy(dtype=float)
    if not np.isfinite(bounds).all():
        return "some bootstrap intervals are not finite"
    sobol = checked[checked["index"].isin(["S1", "ST"])]
    widest = float((sobol["ci_high"] - sobol["ci_low"]).max()) if len(sobol) else 0.0
    if widest > 2.0:
        return (
            f"the widest bootstrap interval spans {widest:.3g}, more than twice "
            "the [0, 1] range of a Sobol index"
        )
    return None


def design_method(manifest: dict) -> str | None:
    """Return the design name recorded in a sweep manifest, if any."""
    design = manifest.get("design")
    if isinstance(design, str):
        return design
    if isinstance(design, dict):
        for key in ("method", "type", "name", "kind"):
            if isinstance(design.get(key), str):
                return design[key]
    return None


def salib_design(manifest: dict, design: pd.DataFrame) -> SalibDesign | None:
    """Rebuild the SALib problem of a sobol or morris sweep; None for other designs.

    The sweep engine records ``design.salib_problem`` and the unit-hypercube sample
    ``design.unit_points`` (one row per point, in point order) in the manifest, so
    categorical and log-scaled factors are analysed on the scale they were sampled
    on. When those are missing, the factor values of ``design.parquet`` are the
    sample, and each factor's bounds are its smallest and largest value.

    Raises:
        DataError: if the recorded problem and the design disagree, or the number
            of points does not fit the method's sample layout.
    """
    method = design_method(manifest)
    if method not in SENSITIVITY_DESIGNS:
        return None
    recorded = manifest.get("design")
    recorded = recorded if isinstance(recorded, dict) else {}
    # The engine keeps the method's options (second_order, levels) under
    # design.parameters; a flat design table is read the same way.
    recorded = {**recorded, **(recorded.get("parameters") or {})}
    factors = [c for c in design.columns if c != "point"]
    problem = recorded.get("salib_problem") or recorded.get("problem") or {}
    if recorded.get("unit_points") is not None:
        samples = np.asarray(recorded["unit_points"], dtype=float)
    else:
        samples = _numeric_samples(design, factors)
    if samples.shape != (len(design), len(factors)):
        raise DataError(
            f"manifest design.unit_points has shape {samples.shape}, but the design "
            f"has {len(design)} points and {len(factors)} factors"
        )
    if problem.get("names") is not None and len(problem["names"]) != len(factors):
        raise DataError(
            f"manifest design.salib_problem names {problem['names']} do not match "
            f"the design's factor columns {factors}"
        )
    bounds = problem.get("bounds") or [
        [float(samples[:, i].min()), float(samples[:, i].max())]
        for i in range(len(factors))
    ]
    # Results are labelled by the design's column names (dotted setting paths),
    # the names a reader sees in every other table.
    salib_problem = {"num_vars": len(factors), "names": factors, "bounds": bounds}
    if problem.get("dists"):
        salib_problem["dists"] = problem["dists"]

    rows = len(design)
    dimensions = len(factors)
    if method == "sobol":
        second_order = _sobol_second_order(recorded, rows, dimensions)
        return SalibDesign(method, salib_problem, samples, second_order=second_order)

    levels = int(recorded.get("levels") or recorded.get("num_levels") or 4)
    if rows % (dimensions + 1):
        raise DataError(
            f"morris design has {rows} points, not a multiple of factors + 1 "
            f"({dimensions + 1}), so it is not a set of Morris trajectories"
        )
    return SalibDesign(method, salib_problem, samples, num_levels=levels)


def _numeric_samples(design: pd.DataFrame, factors: list[str]) -> np.ndarray:
    try:
        return design[factors].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            "the design has non-numeric factor values and the manifest records no "
            "design.unit_points, so the SALib sample cannot be rebuilt"
        ) from None


def point_responses(
    runs: pd.DataFrame,
    metric: str,
    strategies: Sequence[str],
    baseline: str | None,
    points: int,
) -> dict[tuple[str, str], np.ndarray]:
    """Return the response vectors, one per (strategy, response kind).

    ``("equal_split", "level")`` is the mean of ``metric`` over replications at each
    point; ``("equal_split", "difference")`` is the mean paired difference against
    ``baseline``. Each vector has one value per point, in point order.

    Raises:
        DataError: if a point has no finite value, as in an unfinished sweep.
    """
    wide = runs.pivot_table(
        index=["point", "replication"], columns="strategy", values=metric
    )
    responses: dict[tuple[str, str], np.ndarray] = {}
    expected = np.arange(points)
    for name in strategies:
        level = wide[name].groupby(level="point").mean().reindex(expected)
        responses[(name, "level")] = _complete(level, name, metric)
        if baseline is not None and name != baseline:
            gap = (wide[name] - wide[baseline]).groupby(level="point").mean()
            responses[(name, "difference")] = _complete(
                gap.reindex(expected), name, metric
            )
    return responses


def sensitivity_indices(
    design: SalibDesign,
    response: np.ndarray,
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Return the indices of one response with their 95% bootstrap intervals.

    Sobol gives ``S1`` and ``ST`` per factor (and ``S2`` per pair when the sample
    has second-order rows). Morris gives ``mu``, ``mu_star`` and ``sigma``; only
    ``mu_star`` has an interval.

    Returns:
        Columns ``factor``, ``index``, ``estimate``, ``ci_low``, ``ci_high``.
    """
    response = np.asarray(response, dtype=float)
    if design.method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(
            design.problem,
            response,
            calc_second_order=design.second_order,
            num_resamples=resamples,
            conf_level=0.95,
            seed=seed,
        )
        rows = _indexed_rows(result, design.problem["names"], ("S1", "ST"))
        if design.second_order:
            rows += _second_order_rows(result, design.problem["names"])
    else:
        from SALib.analyze import morris

        result = morris.analyze(
            design.problem,
            design.samples,
            response,
            num_resamples=resamples,
            conf_level=0.95,
            num_levels=design.num_levels,
            seed=seed,
        )
        rows = _indexed_rows(
            result, design.problem["names"], ("mu", "mu_star", "sigma")
        )
    return pd.DataFrame(
        rows, columns=["factor", "index", "estimate", "ci_low", "ci_high"]
    )


def sweep_sensitivity(
    design: SalibDesign,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    strategies: Sequence[str],
    baseline: str | None,
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Return sensitivity indices for every strategy, metric and response kind.

    NOTE: each response is a mean over a finite number of replications, so its
    simulation noise adds variance that no factor explains: first-order indices
    shrink towards zero and the sum of ``ST`` can exceed one when replications
    are few.
    """
    frames = []
    for metric in metrics:
        responses = point_responses(
            runs, metric, strategies, baseline, len(design.samples)
        )
        for (name, kind), values in responses.items():
            if not np.ptp(values) > 0:
                logger.info(
                    "skipping %s %s of %s: the response is constant", kind, metric, name
                )
                continue
            table = sensitivity_indices(design, values, resamples=resamples, seed=seed)
            table.insert(0, "strategy", name)
            table.insert(1, "response", kind)
            table.insert(2, "metric", metric)
            frames.append(table)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _sobol_second_order(recorded: dict, rows: int, dimensions: int) -> bool:
    """Return whether a Sobol sample has second-order rows, checking its size."""
    second = rows % (2 * dimensions + 2) == 0
    first = rows % (dimensions + 2) == 0
    for key in ("calc_second_order", "second_order"):
        if key in recorded:
            flag = bool(recorded[key])
            if not (second if flag else first):
                raise DataError(
                    f"sobol design has {rows} points, which does not fit "
                    f"{key} = {flag} with {dimensions} factors"
                )
            return flag
    if not (first or second):
        raise DataError(
            f"sobol design has {rows} points, a multiple of neither "
            f"factors + 2 ({dimensions + 2}) nor 2 * factors + 2 "
            f"({2 * dimensions + 2}), so it is not a Saltelli sample"
        )
    # NOTE: without a recorded flag a size that fits both layouts is read as
    # second order, the default of SALib's sobol sampler.
    return second


def _complete(values: pd.Series, strategy: str, metric: str) -> np.ndarray:
    missing = values.index[~np.isfinite(values.to_numpy())]
    if len(missing):
        raise DataError(
            f"{metric} of {strategy} has no finite value at {len(missing)} design "
            f"points (first: point {int(missing[0])}); sensitivity indices need "
            "every point of a finished sweep"
        )
    return values.to_numpy()


def _indexed_rows(result, names: list[str], indices: Sequence[str]) -> list[tuple]:
    rows = []
    for index in indices:
        estimates = np.asarray(result[index], dtype=float)
        conf_key = f"{index}_conf"
        half = (
            np.asarray(result[conf_key], dtype=float)
            if conf_key in result
            else np.full(len(names), np.nan)
        )
        for name, value, width in zip(names, estimates, half, strict=True):
            rows.append((name, index, value, value - width, value + width))
    return rows


def _second_order_rows(result, names: list[str]) -> list[tuple]:
    rows = []
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            value = float(result["S2"][i, j])
            width = float(result["S2_conf"][i, j])
            rows.append(
                (f"{first} x {names[j]}", "S2", value, value - width, value + width)
            )
    return rows
