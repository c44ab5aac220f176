"""Shared fixtures: small scenarios and the location of the public data sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """Return a public data set beside the project, or skip when it is absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(
            f"public data set not found at {path}; it sits beside the project "
            "in the development checkout"
        )
    return path


@pytest.fixture
def small_scenario() -> Scenario:
    """A 10-seat team without warm-up, for fast mechanism tests."""
    return Scenario().replace({"team.seats": 10, "team.warmup_months": 0})
