"""Experiment files: a TOML file read into one frozen, validated :class:`Experiment`.

The format is specified in ``docs/experiments.md``. Every error names the file, the
key path (``factors.growth.high``), the value received and what is valid, and is
raised as an :class:`ExperimentError`, a :class:`~sim.errors.ScenarioError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import DataError, ScenarioError, StrategyError
from sim.metrics import MONTHLY_METRICS, RUN_METRICS
from sim.scenario import SECTIONS, Scenario

logger = logging.getLogger(__name__)

METHODS = ("full_factorial", "latin_hypercube", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "triangular")

# Default design sample size per method (docs/experiments.md, [design]).
DEFAULT_SAMPLES = {"latin_hypercube": 64, "sobol": 64, "morris": 10}
# Largest sample size --quick keeps when [quick] does not set one.
QUICK_SAMPLES = {"latin_hypercube": 8, "sobol": 8, "morris": 4}
DEFAULT_LEVELS = 5

TOP_KEYS = (
    "name",
    "question",
    "description",
    "strategies",
    "baseline",
    "replications",
    "seed",
    "months",
    "base",
    "factors",
    "design",
    "metrics",
    "output",
    "quick",
)
BASE_KEYS = ("file", "team_data", "team_format")
FACTOR_KEYS = ("setting", "values", "low", "high", "distribution", "mode", "levels")
DESIGN_KEYS = ("method", "samples", "second_order", "levels")
METRIC_KEYS = ("run", "monthly")
OUTPUT_KEYS = ("folder",)
QUICK_KEYS = ("replications", "months", "samples", "levels", "strategies")


class ExperimentError(ScenarioError):
    """A key of an experiment file is missing, of the wrong type or invalid.

    Attributes:
        field: key path in the file, for example ``factors.growth.high``.
        value: the value received.
        expected: what would be valid, in words.
        source: the experiment file.
    """

    def __init__(
        self, source: str, key: str, value: object, expected: str, got_text: str = ""
    ):
        super().__init__(key, value, expected, source)
        # A comparison such as ``0.1 <= 0.2`` in got_text reads better than a repr.
        got = got_text or repr(value)
        where = f"{source}: " if source else ""
        self.args = (f"{where}{key}: {expected} (got {got})",)


@dataclass(frozen=True)
class Factor:
    """One scenario setting varied by the design.

    A factor has either ``values`` (discrete levels, numbers or strings) or a range
    from ``low`` to ``high`` with a sampling ``distribution``.

    Attributes:
        name: the label under ``[factors]``.
        setting: dotted scenario path, also the column name in output files.
        values: the discrete values, or ``None`` for a range.
        low: lower end of a range.
        high: upper end of a range.
        distribution: ``uniform``, ``loguniform`` or ``triangular``.
        mode: peak of a triangular range.
        levels: number of evenly spaced levels in a full factorial design.
        integer: whether the setting takes whole numbers (range values are rounded).
    """

    name: str
    setting: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    distribution: str = "uniform"
    mode: float | None = None
    levels: int = DEFAULT_LEVELS
    integer: bool = False

    @property
    def is_range(self) -> bool:
        """Whether the factor is a range rather than a list of values."""
        return self.values is None

    def describe(self) -> dict[str, Any]:
        """Return the factor as plain data for the manifest."""
        return dataclasses.asdict(self) | {
            "values": list(self.values) if self.values is not None else None
        }


@dataclass(frozen=True)
class DesignSpec:
    """The design method and its parameters, as read from ``[design]``."""

    method: str = "full_factorial"
    samples: int = 0
    second_order: bool = False
    levels: int = 4


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file.

    Attributes:
        path: the file it was read from.
        text: the file's text, kept for the manifest.
        sha256: hex digest of the file's bytes; a resumed sweep must match it.
        name: label of the experiment.
        question: the question the experiment answers.
        description: free text.
        strategies: strategy names or ``module:attribute`` paths.
        baseline: strategy for paired differences.
        replications: replications per strategy and design point.
        seed: root seed.
        months: horizon in months.
        base: the base scenario every design point starts from.
        base_sources: where the base scenario came from (file, team data, format).
        provenance: for team data, which settings came from the data.
        factors: the varied settings.
        design: the design method and its parameters.
        run_metrics: run metrics kept.
        monthly_metrics: monthly metrics kept.
        folder: output folder from ``[output]``, or ``None`` for the default.
        quick: whether the ``[quick]`` overrides were applied.
    """

    path: Path
    text: str
    sha256: str
    name: str
    question: str
    description: str
    strategies: tuple[str, ...]
    baseline: str
    replications: int
    seed: int
    months: int
    base: Scenario
    base_sources: dict[str, str | None]
    provenance: dict[str, str]
    factors: tuple[Factor, ...]
    design: DesignSpec
    run_metrics: tuple[str, ...]
    monthly_metrics: tuple[str, ...]
    folder: Path | None
    quick: bool = False
    quick_overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, quick: bool = False) -> Experiment:
        """Read and validate an experiment file.

        Args:
            path: the TOML file.
            quick: apply the file's ``[quick]`` overrides (``--quick``).

        Raises:
            ExperimentError: the file is missing, not TOML, or a key is invalid.
            StrategyError: a listed strategy does not resolve.
            DataError: the base team data cannot be read.
        """
        return load_experiment(path, quick=quick)

    def default_folder(self) -> Path:
        """Return the output folder to use when ``--out`` is not given."""
        if self.folder is not None:
            return self.folder
        return Path("results") / (f"{self.name}-quick" if self.quick else self.name)


def load_experiment(path: str | Path, quick: bool = False) -> Experiment:
    """Read and validate an experiment file; see :meth:`Experiment.load`."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise _file_error(path, "is a folder, not an experiment file; give a TOML file")
    if not path.is_file():
        raise ExperimentError(
            "sweep", "FILE", str(path), "experiment file not found; give a TOML file"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExperimentError(
            "sweep", "FILE", str(path), f"is not valid UTF-8 TOML ({error})"
        ) from None
    # Every key has a default, so an empty file would run a full default sweep.
    if not text.strip():
        raise _file_error(path, "is empty; see docs/experiments.md")

    keys = _Keys(source)
    keys.only("", data, TOP_KEYS)
    quick_table = keys.table("quick", data.get("quick", {}))
    keys.only("quick", quick_table, QUICK_KEYS)

    strategies = _strategies(keys, data.get("strategies"), "strategies")
    full_sizes = {"strategies": len(strategies)}
    if quick and "strategies" in quick_table:
        strategies = _strategies(keys, quick_table["strategies"], "quick.strategies")
    baseline = _baseline(keys, data.get("baseline"), strategies)

    replications = keys.whole("replications", data.get("replications", 100), 1)
    months = keys.whole("months", data.get("months", 36), 1)
    full_sizes["replications"] = replications
    full_sizes["months"] = months
    if quick:
        replications = keys.whole(
            "quick.replications",
            quick_table.get("replications", min(replications, 5)),
            1,
        )
        months = keys.whole(
            "quick.months", quick_table.get("months", min(months, 12)), 1
        )

    base, base_sources, provenance = _base_scenario(keys, path, data.get("base", {}))
    design = _design(keys, data.get("design", {}), quick, quick_table)
    levels_override = None
    if quick:
        levels_override = keys.whole("quick.levels", quick_table.get("levels", 3), 2)
        full_design = _design(keys, data.get("design", {}), False, {})
        full_sizes["samples"] = full_design.samples
        quick_sizes = {
            "strategies": len(strategies),
            "replications": replications,
            "months": months,
            "samples": design.samples,
        }
        _warn_quick_larger(source, full_sizes, quick_sizes)
    factors = _factors(keys, data.get("factors", {}), base, levels_override)
    run_metrics, monthly_metrics = _metrics(keys, data.get("metrics", {}))
    output = keys.table("output", data.get("output", {}))
    keys.only("output", output, OUTPUT_KEYS)
    folder = output.get("folder")
    if folder is not None:
        folder = Path(keys.text("output.folder", folder, allow_empty=False))

    return Experiment(
        path=path,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        name=keys.text("name", data.get("name", path.stem), allow_empty=False),
        question=keys.text("question", data.get("question", "")),
        description=keys.text("description", data.get("description", "")),
        strategies=strategies,
        baseline=baseline,
        replications=replications,
        seed=keys.whole("seed", data.get("seed", 0), 0),
        months=months,
        base=base,
        base_sources=base_sources,
        provenance=provenance,
        factors=factors,
        design=design,
        run_metrics=run_metrics,
        monthly_metrics=monthly_metrics,
        folder=folder,
        quick=quick,
        quick_overrides=dict(quick_table),
    )


def _file_error(path: Path, problem: str) -> ExperimentError:
    """Return an error about the experiment file itself: ``FILE: <path> <problem>``."""
    error = ExperimentError("", "FILE", str(path), problem)
    error.args = (f"FILE: {path} {problem}",)
    return error


def _warn_quick_larger(source: str, full: dict[str, int], quick: dict[str, int]):
    """Log a warning for each [quick] size above the full run's size."""
    larger = [
        f"{key} {quick[key]} > {full[key]}"
        for key in full
        if quick.get(key, 0) > full[key]
    ]
    if larger:
        logger.warning(
            "%s: [quick] makes the quick run larger than the full run (%s)",
            source,
            ", ".join(larger),
        )


class _Keys:
    """Type checks that name the file and the key path in their errors."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, value: object, expected: str, got_text: str = ""):
        raise ExperimentError(self.source, key, value, expected, got_text)

    def only(self, prefix: str, table: dict, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                path = f"{prefix}.{key}" if prefix else key
                self.fail(path, table[key], f"unknown key; valid: {', '.join(allowed)}")

    def table(self, key: str, value: object) -> dict:
        if not isinstance(value, dict):
            self.fail(key, value, "must be a table")
        return value

    def whole(self, key: str, value: object, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, value, f"must be a whole number >= {minimum}")
        if value < minimum:
            self.fail(key, value, f"must be >= {minimum}")
        return value

    def number(self, key: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, value, "must be a number")
        if not math.isfinite(value):
            self.fail(key, value, "must be a finite number")
        return float(value)

    def text(self, key: str, value: object, allow_empty: bool = True) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(key, value, "must be a non-empty string")
        return value

    def names(self, key: str, value: object, valid: tuple[str, ...]) -> tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, value, "must be a list of strings")
        for item in value:
            if item not in valid:
                self.fail(key, item, f"unknown name; valid: {', '.join(valid)}")
        if len(set(value)) != len(value):
            self.fail(key, value, "must not repeat a name")
        return tuple(value)


def _strategies(keys: _Keys, value: object, key: str) -> tuple[str, ...]:
    from strategies import builtin_names, get_strategy

    if value is None:
        return tuple(builtin_names())
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
    ):
        keys.fail(key, value, "must be a non-empty list of strategy names")
    if len(set(value)) != len(value):
        keys.fail(key, value, "must list each strategy once")
    for name in value:
        try:
            get_strategy(name)
        except StrategyError as error:
            raise StrategyError(f"{keys.source}: {key}: {error}") from None
    return tuple(value)


def _baseline(keys: _Keys, value: object, strategies: tuple[str, ...]) -> str:
    if value is None:
        return "history_based" if "history_based" in strategies else strategies[0]
    keys.text("baseline", value, allow_empty=False)
    if value not in strategies:
        keys.fail(
            "baseline", value, f"must be one of strategies ({', '.join(strategies)})"
        )
    return value


def _base_scenario(keys: _Keys, path: Path, table: object):
    table = keys.table("base", table)
    inline = {k: v for k, v in table.items() if k not in BASE_KEYS}
    for key, value in inline.items():
        if key not in SECTIONS:
            valid = ", ".join([*BASE_KEYS, *SECTIONS])
            keys.fail(f"base.{key}", value, f"unknown key; valid: {valid}")
        keys.table(f"base.{key}", value)

    folder = path.parent
    sources: dict[str, str | None] = {
        "file": None,
        "team_data": None,
        "team_format": None,
    }
    scenario = Scenario()
    if "file" in table:
        file = folder / keys.text("base.file", table["file"], allow_empty=False)
        if not file.is_file():
            keys.fail("base.file", table["file"], f"scenario file not found at {file}")
        scenario = Scenario.load(file)
        sources["file"] = str(file)

    if inline:
        data = scenario.to_dict()
        for section, values in inline.items():
            data[section] = {**data[section], **values}
        try:
            scenario = Scenario.from_dict(data)
        except ScenarioError as error:
            keys.fail(f"base.{error.field}", error.value, error.expected)

    provenance: dict[str, str] = {}
    team_format = keys.text(
        "base.team_format", table.get("team_format", "generic"), allow_empty=False
    )
    if "team_data" in table:
        from sim.teamdata import FORMATS, read_team, scenario_from_team

        if team_format not in FORMATS:
            valid = ", ".join(sorted(FORMATS))
            keys.fail(
                "base.team_format", team_format, f"unknown format; valid: {valid}"
            )
        team_path = folder / keys.text("base.team_data", table["team_data"], False)
        try:
            team = read_team(team_path, team_format)
        except DataError as error:
            raise DataError(f"{keys.source}: base.team_data: {error}") from None
        scenario, provenance = scenario_from_team(team, scenario)
        sources["team_data"] = str(team_path)
        sources["team_format"] = team_format
    elif "team_format" in table:
        keys.fail("base.team_format", team_format, "only applies with base.team_data")
    return scenario, sources, provenance


def _design(keys: _Keys, table: object, quick: bool, quick_table: dict) -> DesignSpec:
    table = keys.table("design", table)
    keys.only("design", table, DESIGN_KEYS)
    method = table.get("method", "full_factorial")
    if method not in METHODS:
        keys.fail("design.method", method, f"must be one of {', '.join(METHODS)}")

    samples = 0
    if method != "full_factorial":
        samples = keys.whole(
            "design.samples", table.get("samples", DEFAULT_SAMPLES[method]), 1
        )
        _check_sobol_samples(keys, method, "design.samples", samples)
        if quick:
            default = min(samples, QUICK_SAMPLES[method])
            samples = keys.whole(
                "quick.samples", quick_table.get("samples", default), 1
            )
            _check_sobol_samples(keys, method, "quick.samples", samples)
    elif "samples" in table:
        keys.fail("design.samples", table["samples"], "only applies to sampled designs")

    second_order = table.get("second_order", False)
    if not isinstance(second_order, bool):
        keys.fail("design.second_order", second_order, "must be true or false")
    if second_order and method != "sobol":
        keys.fail("design.second_order", second_order, "only applies to sobol")

    levels = 4
    if "levels" in table:
        if method != "morris":
            keys.fail("design.levels", table["levels"], "only applies to morris")
        levels = keys.whole("design.levels", table["levels"], 2)
        if levels % 2:
            keys.fail("design.levels", levels, "must be even")
    return DesignSpec(method, samples, second_order, levels)


def _check_sobol_samples(keys: _Keys, method: str, key: str, samples: int) -> None:
    # Saltelli's sample keeps the balance of the Sobol' sequence only for 2^k rows.
    if method == "sobol" and samples & (samples - 1):
        keys.fail(key, samples, "must be a power of 2 for the sobol design")


def _factors(
    keys: _Keys, table: object, base: Scenario, levels_override: int | None
) -> tuple[Factor, ...]:
    table = keys.table("factors", table)
    factors = []
    seen: dict[str, str] = {}
    for name, spec in table.items():
        factor = _factor(keys, name, spec, base, levels_override)
        if factor.setting in seen:
            keys.fail(
                f"factors.{name}.setting",
                factor.setting,
                f"is already varied by factors.{seen[factor.setting]}",
            )
        seen[factor.setting] = name
        factors.append(factor)
    return tuple(factors)


def _factor(
    keys: _Keys, name: str, spec: object, base: Scenario, levels_override: int | None
) -> Factor:
    prefix = f"factors.{name}"
    spec = keys.table(prefix, spec)
    keys.only(prefix, spec, FACTOR_KEYS)
    setting = keys.text(f"{prefix}.setting", spec.get("setting", name), False)
    section, _, field_name = setting.partition(".")
    defaults = base.to_dict()
    if section not in defaults or field_name not in defaults[section]:
        keys.fail(
            f"{prefix}.setting",
            setting,
            "unknown scenario setting; use section.name as in sim/scenario.py",
        )
    current = defaults[section][field_name]
    if isinstance(current, list):
        keys.fail(f"{prefix}.setting", setting, "list settings cannot be varied")
    integer = isinstance(current, int) and not isinstance(current, bool)

    has_values = "values" in spec
    has_range = "low" in spec or "high" in spec
    if has_values == has_range:
        keys.fail(prefix, sorted(spec), "give either values or low and high")
    if has_values:
        values = _factor_values(keys, prefix, spec, integer)
        for option in ("distribution", "mode", "levels"):
            if option in spec:
                keys.fail(f"{prefix}.{option}", spec[option], "only applies to ranges")
        factor = Factor(name, setting, values=values, integer=integer)
    else:
        factor = _factor_range(
            keys, prefix, name, setting, spec, integer, levels_override
        )
    _check_factor_values(keys, prefix, factor, base)
    return factor


def _factor_values(keys: _Keys, prefix: str, spec: dict, integer: bool) -> tuple:
    values = spec["values"]
    key = f"{prefix}.values"
    if not isinstance(values, list) or not values:
        keys.fail(key, values, "must be a non-empty list")
    numeric = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )
    if not numeric and not all(isinstance(v, str) for v in values):
        keys.fail(key, values, "must be all numbers or all strings")
    if numeric:
        for value in values:
            keys.number(key, value)
        if integer and any(float(v) != int(v) for v in values):
            keys.fail(key, values, "must be whole numbers for this setting")
        values = [int(v) if integer else float(v) for v in values]
    if len(set(values)) != len(values):
        keys.fail(key, values, "must not repeat a value")
    return tuple(values)


def _factor_range(keys, prefix, name, setting, spec, integer, levels_override):
    for end in ("low", "high"):
        if end not in spec:
            keys.fail(prefix, sorted(spec), f"a range needs both low and high ({end})")
    low = keys.number(f"{prefix}.low", spec["low"])
    high = keys.number(f"{prefix}.high", spec["high"])
    if not high > low:
        keys.fail(
            f"{prefix}.high",
            high,
            f"must be greater than {prefix}.low",
            got_text=f"{spec['high']} <= {spec['low']}",
        )
    distribution = spec.get("distribution", "uniform")
    if distribution not in DISTRIBUTIONS:
        keys.fail(
            f"{prefix}.distribution",
            distribution,
            f"must be one of {', '.join(DISTRIBUTIONS)}",
        )
    if distribution == "loguniform" and low <= 0:
        keys.fail(f"{prefix}.low", low, "must be > 0 for a loguniform range")
    mode = None
    if distribution == "triangular":
        if "mode" not in spec:
            keys.fail(f"{prefix}.mode", None, "is required for a triangular range")
        mode = keys.number(f"{prefix}.mode", spec["mode"])
        if not low <= mode <= high:
            keys.fail(f"{prefix}.mode", mode, f"must lie between {low} and {high}")
    elif "mode" in spec:
        keys.fail(f"{prefix}.mode", spec["mode"], "only applies to triangular ranges")
    levels = keys.whole(f"{prefix}.levels", spec.get("levels", DEFAULT_LEVELS), 2)
    if levels_override is not None:
        levels = min(levels, levels_override)
    return Factor(
        name,
        setting,
        low=low,
        high=high,
        distribution=distribution,
        mode=mode,
        levels=levels,
        integer=integer,
    )


def _check_factor_values(keys: _Keys, prefix: str, factor: Factor, base: Scenario):
    """Reject values outside the setting's valid range, naming the factor's key."""
    if factor.is_range:
        checks = [("low", factor.low), ("high", factor.high)]
        if factor.integer:
            checks = [(end, round(value)) for end, value in checks]
    else:
        checks = [("values", value) for value in factor.values]
    for key, value in checks:
        try:
            base.replace({factor.setting: value})
        except ScenarioError as error:
            if error.field != factor.setting:
                continue  # a cross-field rule; checked on the resolved design points
            keys.fail(f"{prefix}.{key}", value, f"{factor.setting} {error.expected}")


def _metrics(keys: _Keys, table: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = keys.table("metrics", table)
    keys.only("metrics", table, METRIC_KEYS)
    run = keys.names("metrics.run", table.get("run", list(RUN_METRICS)), RUN_METRICS)
    monthly = keys.names("metrics.monthly", table.get("monthly", []), MONTHLY_METRICS)
    if not run:
        keys.fail("metrics.run", [], "must keep at least one run metric")
    return run, monthly
