"""Designs: the combinations of factor values (design points) a sweep runs.

``full_factorial`` crosses every level of every factor. The sampled designs draw
points on the unit hypercube ``[0, 1)^D`` from a generator seeded by the experiment's
root seed, then map each column to its factor's values:

- ``latin_hypercube``: McKay, Beckman & Conover (1979), via ``scipy.stats.qmc``;
- ``sobol``: Saltelli's extension of Sobol' sequences (Saltelli 2002; Saltelli et
  al. 2010), via SALib, for first- and total-order indices;
- ``morris``: elementary-effect trajectories (Morris 1991; Campolongo, Cariboni &
  Saltelli 2007), via SALib.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import ScenarioError
from sim.scenario import Scenario
from sim.sweep.experiment import Experiment, ExperimentError, Factor

# Spawn key of the design's generator under the root seed. Replication i uses the
# one-element key (i,), so a two-element key can never coincide with a replication.
DESIGN_SPAWN_KEY = (0x5EED, 0)

SEED_SCHEME = (
    "replication i: numpy SeedSequence(root_seed, spawn_key=(i,)), the same at every "
    "design point and for every strategy; sampled designs: "
    f"SeedSequence(root_seed, spawn_key={DESIGN_SPAWN_KEY})"
)


@dataclass(frozen=True)
class Design:
    """The resolved design of an experiment.

    Attributes:
        method: the design method.
        factors: the varied settings, in column order.
        points: one row per design point (index 0 .. P-1), one column per factor
            named by its setting's dotted path.
        unit_points: the sample on ``[0, 1]^D`` a sampled design was drawn from,
            shape (P, D); ``None`` for ``full_factorial``.
        parameters: the method's parameters (sample size, levels, second order).
    """

    method: str
    factors: tuple[Factor, ...]
    points: pd.DataFrame
    unit_points: np.ndarray | None
    parameters: dict[str, Any]

    def __len__(self) -> int:
        return len(self.points)

    @property
    def settings(self) -> list[str]:
        """The factors' dotted setting paths, in column order."""
        return [factor.setting for factor in self.factors]

    def values(self, point: int) -> dict[str, Any]:
        """Return ``{setting: value}`` at one design point, as plain Python values."""
        # Column by column: a row of mixed columns would turn whole numbers to floats.
        return {
            setting: _plain(self.points[setting].iat[point])
            for setting in self.settings
        }

    def frame(self) -> pd.DataFrame:
        """Return the design table: ``point`` and one column per factor."""
        frame = self.points.copy()
        frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
        return frame.reset_index(drop=True)

    def salib_problem(self) -> dict[str, Any]:
        """Return the SALib problem of the unit sample (names are setting paths)."""
        return {
            "num_vars": len(self.factors),
            "names": self.settings,
            "bounds": [[0.0, 1.0]] * len(self.factors),
        }

    def describe(self) -> dict[str, Any]:
        """Return the design as plain data for the manifest."""
        unit = None if self.unit_points is None else self.unit_points.tolist()
        return {
            "method": self.method,
            "parameters": dict(self.parameters),
            "factors": [factor.describe() for factor in self.factors],
            "point_count": len(self),
            "columns": self.settings,
            "points": [
                [_plain(v) for v in row]
                for row in self.points.itertuples(index=False, name=None)
            ],
            "unit_points": unit,
            "salib_problem": self.salib_problem(),
        }


def design_rng(root_seed: int) -> np.random.Generator:
    """Return the generator sampled designs draw from under ``root_seed``."""
    return np.random.default_rng(
        np.random.SeedSequence(root_seed, spawn_key=DESIGN_SPAWN_KEY)
    )


def resolve_design(experiment: Experiment) -> Design:
    """Build the design points of an experiment and check each is a valid scenario.

    Raises:
        ExperimentError: a sampled design has no factors, or a design point breaks a
            rule between settings (such as a low bound above a high bound).
    """
    spec = experiment.design
    factors = experiment.factors
    source = str(experiment.path)
    parameters: dict[str, Any] = {}
    unit = None

    if spec.method == "full_factorial":
        points = full_factorial(factors)
    else:
        if not factors:
            raise ExperimentError(
                source, "factors", {}, f"the {spec.method} design needs a factor"
            )
        rng = design_rng(experiment.seed)
        dimensions = len(factors)
        parameters["samples"] = spec.samples
        if spec.method == "latin_hypercube":
            unit = latin_hypercube(dimensions, spec.samples, rng)
        elif spec.method == "sobol":
            unit = sobol(dimensions, spec.samples, spec.second_order, rng)
            parameters["second_order"] = spec.second_order
        else:
            unit = morris(dimensions, spec.samples, spec.levels, rng)
            parameters["levels"] = spec.levels
        points = map_unit_sample(factors, unit)

    design = Design(spec.method, factors, points, unit, parameters)
    check_points(experiment.base, design, source)
    return design


def factor_levels(factor: Factor) -> list:
    """Return a factor's levels in a full factorial design.

    A range gives ``levels`` evenly spaced values from ``low`` to ``high`` inclusive,
    with evenly spaced logarithms for ``loguniform``. Whole-number settings are
    rounded, and repeats after rounding are dropped.
    """
    if not factor.is_range:
        return list(factor.values)
    if factor.distribution == "loguniform":
        grid = np.geomspace(factor.low, factor.high, factor.levels)
    else:
        grid = np.linspace(factor.low, factor.high, factor.levels)
    if factor.integer:
        return list(dict.fromkeys(int(round(v)) for v in grid))
    return [float(v) for v in grid]


def full_factorial(factors: tuple[Factor, ...]) -> pd.DataFrame:
    """Return every combination of the factors' levels, the last factor fastest.

    With no factors the design has one point, the base scenario.
    """
    levels = [factor_levels(factor) for factor in factors]
    rows = list(itertools.product(*levels))
    columns = [factor.setting for factor in factors]
    return _typed_frame(factors, rows, columns)


def latin_hypercube(
    dimensions: int, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Return a Latin hypercube sample of shape (samples, dimensions) on [0, 1)."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=dimensions, rng=rng).random(samples)


def sobol(
    dimensions: int, samples: int, second_order: bool, rng: np.random.Generator
) -> np.ndarray:
    """Return Saltelli's sample for Sobol' indices on [0, 1).

    The shape is (samples * (dimensions + 2), dimensions), or
    (samples * (2 dimensions + 2), dimensions) with ``second_order``, in the row
    order ``SALib.analyze.sobol`` expects. ``samples`` is a power of 2.
    """
    from SALib.sample import sobol as salib_sobol

    problem = _unit_problem(dimensions)
    return salib_sobol.sample(
        problem,
        samples,
        calc_second_order=second_order,
        scramble=True,
        seed=_int_seed(rng),
    )


def morris(
    dimensions: int, trajectories: int, levels: int, rng: np.random.Generator
) -> np.ndarray:
    """Return Morris trajectories on the ``levels``-point grid of [0, 1].

    The shape is (trajectories * (dimensions + 1), dimensions), in the row order
    ``SALib.analyze.morris`` expects.
    """
    from SALib.sample import morris as salib_morris

    problem = _unit_problem(dimensions)
    return salib_morris.sample(
        problem, trajectories, num_levels=levels, seed=_int_seed(rng)
    )


def map_unit_sample(factors: tuple[Factor, ...], unit: np.ndarray) -> pd.DataFrame:
    """Map a unit sample (P, D) to factor values, one column per factor."""
    columns = [factor.setting for factor in factors]
    mapped = [to_values(factor, unit[:, j]) for j, factor in enumerate(factors)]
    rows = list(zip(*mapped, strict=True)) if mapped else [()] * len(unit)
    return _typed_frame(factors, rows, columns)


def to_values(factor: Factor, unit: np.ndarray) -> list:
    """Map unit draws in [0, 1] to one factor's values.

    A ``values`` factor is categorical: value ``k`` of ``n`` for a draw in
    ``[k/n, (k+1)/n)``, and the last value for a draw of exactly 1 (Morris grids
    reach 1). A range uses its distribution's inverse distribution function.
    """
    unit = np.asarray(unit, dtype=float)
    if not factor.is_range:
        count = len(factor.values)
        index = np.minimum((unit * count).astype(int), count - 1)
        return [factor.values[i] for i in index]

    low, high = factor.low, factor.high
    if factor.distribution == "loguniform":
        values = np.exp(np.log(low) + unit * (np.log(high) - np.log(low)))
    elif factor.distribution == "triangular":
        peak = (factor.mode - low) / (high - low)
        values = stats.triang(c=peak, loc=low, scale=high - low).ppf(unit)
    else:
        values = low + unit * (high - low)
    if factor.integer:
        return [int(round(v)) for v in values]
    return [float(v) for v in values]


def check_points(base: Scenario, design: Design, source: str) -> None:
    """Reject a design point that does not give a valid scenario."""
    for point in range(len(design)):
        values = design.values(point)
        try:
            base.replace(values)
        except ScenarioError as error:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
            raise ExperimentError(
                source,
                "factors",
                error.value,
                f"design point {point} ({shown}) gives an invalid scenario: "
                f"{error.field} {error.expected}",
            ) from None


def _typed_frame(factors, rows, columns) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(len(rows)))
    # One dtype per column, so every Parquet part file has the same schema.
    for factor in factors:
        column = factor.setting
        if factor.values is not None and isinstance(factor.values[0], str):
            frame[column] = frame[column].astype(object)
        elif factor.integer:
            frame[column] = frame[column].astype(np.int64)
        else:
            frame[column] = frame[column].astype(np.float64)
    return frame


def _unit_problem(dimensions: int) -> dict[str, Any]:
    return {
        "num_vars": dimensions,
        "names": [f"x{j}" for j in range(dimensions)],
        "bounds": [[0.0, 1.0]] * dimensions,
    }


def _int_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
