"""Designs: point counts, structure, mapping to factor values, and seeding."""

import textwrap

import numpy as np
import pytest

from sim.rng import replication_seed
from sim.sweep import load_experiment, resolve_design
from sim.sweep.design import (
    DESIGN_SPAWN_KEY,
    design_rng,
    latin_hypercube,
    morris,
    sobol,
    to_values,
)
from sim.sweep.experiment import Factor

FACTORS = """
[factors.growth]
setting = "quota.target_growth"
low = 0.0
high = 0.4
levels = 3
[factors.cap]
setting = "pay.cap"
values = [0.0, 2.0]
[factors.seats]
setting = "team.seats"
low = 10
high = 20
levels = 4
"""


def design_of(tmp_path, method="", seed=0, extra=""):
    text = f"seed = {seed}\n" + FACTORS
    if method:
        text += f'[design]\nmethod = "{method}"\n{extra}'
    path = tmp_path / "experiment.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return resolve_design(load_experiment(path))


def test_full_factorial_crosses_levels(tmp_path):
    design = design_of(tmp_path)
    frame = design.frame()
    assert len(design) == 3 * 2 * 4
    assert list(frame.columns) == [
        "point",
        "quota.target_growth",
        "pay.cap",
        "team.seats",
    ]
    assert frame["point"].tolist() == list(range(24))
    assert sorted(frame["quota.target_growth"].unique()) == [0.0, 0.2, 0.4]
    assert sorted(frame["team.seats"].unique()) == [10, 13, 17, 20]
    assert frame["team.seats"].dtype == np.int64
    assert not frame.drop(columns="point").duplicated().any()


def test_no_factors_is_one_point(tmp_path):
    path = tmp_path / "experiment.toml"
    path.write_text("seed = 0\n", encoding="utf-8")
    design = resolve_design(load_experiment(path))
    assert len(design) == 1
    assert list(design.frame().columns) == ["point"]
    assert design.values(0) == {}


def test_latin_hypercube_fills_every_stratum():
    samples, dimensions = 16, 3
    unit = latin_hypercube(dimensions, samples, design_rng(5))
    assert unit.shape == (samples, dimensions)
    for column in unit.T:
        strata = np.floor(column * samples).astype(int)
        assert sorted(strata) == list(range(samples))


def test_sobol_row_count_and_pairing():
    base, dimensions = 8, 3
    first = sobol(dimensions, base, False, design_rng(1))
    second = sobol(dimensions, base, True, design_rng(1))
    assert first.shape == (base * (dimensions + 2), dimensions)
    assert second.shape == (base * (2 * dimensions + 2), dimensions)
    # Saltelli blocks: row j of block A_B^(i) equals A except in column i.
    block = dimensions + 2
    for row in range(base):
        a = first[row * block]
        for i in range(dimensions):
            mixed = first[row * block + 1 + i]
            differs = np.flatnonzero(mixed != a)
            assert differs.tolist() in ([i], [])


def test_morris_trajectories_move_one_factor():
    trajectories, dimensions, levels = 4, 3, 4
    unit = morris(dimensions, trajectories, levels, design_rng(2))
    assert unit.shape == (trajectories * (dimensions + 1), dimensions)
    grid = np.linspace(0, 1, levels)
    assert np.isin(np.round(unit, 12), np.round(grid, 12)).all()
    for t in range(trajectories):
        path = unit[t * (dimensions + 1) : (t + 1) * (dimensions + 1)]
        steps = np.abs(np.diff(path, axis=0)) > 1e-12
        assert (steps.sum(axis=1) == 1).all()
        assert sorted(np.argmax(steps, axis=1)) == list(range(dimensions))


@pytest.mark.parametrize("method", ["latin_hypercube", "sobol", "morris"])
def test_sampled_design_reproducible_from_seed(tmp_path, method):
    extra = "samples = 4\n"
    first = design_of(tmp_path, method, seed=3, extra=extra)
    again = design_of(tmp_path, method, seed=3, extra=extra)
    other = design_of(tmp_path, method, seed=4, extra=extra)
    assert first.points.equals(again.points)
    assert np.array_equal(first.unit_points, again.unit_points)
    assert not np.array_equal(first.unit_points, other.unit_points)


def test_sampled_values_stay_in_range(tmp_path):
    design = design_of(tmp_path, "latin_hypercube", extra="samples = 40\n")
    frame = design.frame()
    assert frame["quota.target_growth"].between(0.0, 0.4).all()
    assert set(frame["pay.cap"]) <= {0.0, 2.0}
    assert frame["team.seats"].between(10, 20).all()
    assert frame["team.seats"].dtype == np.int64
    # Each of the 40 strata of the categorical column maps to one value: 20 each.
    assert (frame["pay.cap"] == 2.0).sum() == 20


def test_to_values_distributions():
    unit = np.array([0.0, 0.5, 1.0])
    uniform = Factor("g", "quota.target_growth", low=0.0, high=0.4)
    log = Factor("c", "pay.cap", low=1.5, high=6.0, distribution="loguniform")
    peak = Factor(
        "c", "pay.cap", low=2.0, high=4.0, distribution="triangular", mode=3.0
    )
    categories = Factor("p", "quota.period", values=("monthly", "quarterly"))
    assert to_values(uniform, unit) == pytest.approx([0.0, 0.2, 0.4])
    assert to_values(log, unit) == pytest.approx([1.5, 3.0, 6.0])
    assert to_values(peak, unit) == pytest.approx([2.0, 3.0, 4.0])
    assert to_values(categories, np.array([0.0, 0.49, 0.5, 1.0])) == [
        "monthly",
        "monthly",
        "quarterly",
        "quarterly",
    ]


def test_design_seed_differs_from_replication_seeds():
    key = np.random.SeedSequence(0, spawn_key=DESIGN_SPAWN_KEY)
    state = key.generate_state(2, np.uint32)
    design_seed = int(state[1]) << 32 | int(state[0])
    replications = {replication_seed(0, i) for i in range(0x5EED + 2)}
    assert design_seed & (2**63 - 1) not in replications
