"""The Mesa model: one simulated sales team as a :class:`mesa.Model`.

A :class:`SalesTeamModel` is a batch of one. It owns a :class:`~sim.engine.TeamBatch`
with a single replication seed, so a Mesa run with seed ``s`` equals, month for
month, the replication with seed ``s`` in any batch. The engine makes every decision
on arrays. The Mesa layer adds one :class:`RepAgent` per occupied seat, whose
attributes are read-only views of the batch arrays, and a
:class:`mesa.DataCollector`, so :func:`mesa.batch_run` works on the model::

    import mesa
    from sim.model import SalesTeamModel

    rows = mesa.batch_run(
        SalesTeamModel,
        parameters={
            "strategy": ["equal_split", "dynamic"],
            "quota__target_growth": [0.05, 0.10],
        },
        iterations=5,
        max_steps=36,
        number_processes=1,
    )

Importing this module leaves the :mod:`multiprocessing` start method as it was.
Mesa 3.3.1 sets it to ``"spawn"`` (with ``force=True``) when ``mesa.batchrunner`` is
first imported, so the import below restores the caller's setting.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import numbers
import os
from typing import Any

import numpy as np

from sim.engine import TeamBatch
from sim.metrics import MONTHLY_METRICS
from sim.scenario import Scenario
from sim.team import ramp
from strategies import get_strategy
from strategies.base import Strategy

logger = logging.getLogger(__name__)


def _import_mesa_keeping_start_method():
    """Import :mod:`mesa` and restore the start method its import overrides."""
    previous = multiprocessing.get_start_method(allow_none=True)
    try:
        import mesa
    finally:
        # None resets the context, so the platform default applies again.
        multiprocessing.set_start_method(previous, force=True)
    return mesa


mesa = _import_mesa_keeping_start_method()

AGENT_REPORTERS = ("morale", "effort", "quota", "attainment_to_date")


class RepAgent(mesa.Agent):
    """A sales rep in one seat of a :class:`SalesTeamModel`.

    The agent takes no action of its own: the batched engine chooses effort, pays,
    and decides exits for every seat at once. Each attribute is a read-only property
    that reads the batch arrays at ``[0, seat]`` and returns a Python scalar, so an
    agent can be inspected, collected and displayed but never changes the run.

    Once the rep leaves, the model removes the agent and its attributes raise
    :class:`RuntimeError`, because the seat may already hold a new rep.

    Args:
        model: the model whose batch contains this rep.
        seat: the seat index, ``0 <= seat < seats``.
    """

    def __init__(self, model: SalesTeamModel, seat: int):
        super().__init__(model)
        self._seat = int(seat)
        # The history index at which this rep joined identifies the hire, so a later
        # rep in the same seat gets a new agent.
        self._joined = float(model.batch.joined[0, seat])
        self._in_seat = True

    def remove(self) -> None:
        """Remove the agent from the model and mark the rep as departed."""
        self._in_seat = False
        super().remove()

    def _value(self, array: np.ndarray) -> float:
        if not self._in_seat:
            raise RuntimeError(
                f"the rep who held seat {self._seat} has left the team. "
                "Read model.agents for the current reps."
            )
        return float(array[0, self._seat])

    @property
    def seat(self) -> int:
        """Seat index in the team, ``0 <= seat < seats``."""
        return self._seat

    @property
    def skill(self) -> float:
        """True skill, a sales multiplier hidden from strategies."""
        return self._value(self.model.batch.skill)

    @property
    def territory_potential(self) -> float:
        """True territory potential, a sales multiplier hidden from strategies."""
        return self._value(self.model.batch.potential())

    @property
    def tenure(self) -> float:
        """Months in the seat at the start of the next month."""
        return self._value(self.model.batch.tenure)

    @property
    def morale(self) -> float:
        """Morale in [0, 1]."""
        return self._value(self.model.batch.morale)

    @property
    def fatigue(self) -> float:
        """Accumulated fatigue from effort above normal (0 when rested)."""
        return self._value(self.model.batch.fatigue)

    @property
    def effort(self) -> float:
        """Effort chosen last month, relative to normal effort 1."""
        return self._value(self.model.batch.effort)

    @property
    def quota(self) -> float:
        """Quota for the current period, in currency."""
        return self._value(self.model.batch.quota)

    @property
    def period_sales(self) -> float:
        """Sales so far in the current period, in currency."""
        return self._value(self.model.batch.period_sales)

    @property
    def attainment_to_date(self) -> float:
        """Period sales so far over the period quota, or NaN without a quota.

        Reps hired mid-period hold no quota until the next period starts.
        """
        batch = self.model.batch
        if not batch.measured[0, self._seat]:
            return math.nan
        return self.period_sales / self.quota

    @property
    def status(self) -> str:
        """``"ramping"`` while the ramp factor is below 1, else ``"active"``."""
        ramp_factor = ramp(self.tenure, self.model.batch.scenario)
        return "ramping" if ramp_factor < 1.0 else "active"


class SalesTeamModel(mesa.Model):
    """One sales team under one quota allocation strategy, as a Mesa model.

    Each of the first ``months`` calls to ``step()`` advances the team one month.
    The next call is a no-op that sets ``running`` to False, and any later call is a
    no-op too. No-op steps change no state and collect no data, although Mesa counts
    them in ``model.steps``. So ``while model.running: model.step()`` makes
    ``months + 1`` calls.

    The stop comes one call late because Mesa 3.3.1's :func:`mesa.batch_run` steps
    while ``model.steps <= max_steps`` and then reports the collected rows of steps
    ``0 .. model.steps - 1``. A model that stopped after its last month would lose
    that month's row from ``batch_run``'s output. With the late stop, the last step
    ``batch_run`` reports is ``min(max_steps, months)``, and each reported step
    ``k`` carries the data collected after ``k`` months.

    The data collector records once after construction and once after each month.
    Row 0 comes before any month, so every metric in it is NaN. Row ``k`` of
    ``datacollector.get_model_vars_dataframe()`` describes the engine's month
    ``k - 1``, and a finished run has ``months + 1`` rows. The model reporters are
    the names in :data:`sim.metrics.MONTHLY_METRICS`, and the agent reporters are
    :data:`AGENT_REPORTERS`.

    The scenario is ``model.batch.scenario``. The model has no ``scenario``
    attribute, because later Mesa releases define ``Model.scenario`` themselves.

    Args:
        scenario: a :class:`~sim.scenario.Scenario`, a path to a scenario TOML file,
            or None for the default scenario.
        strategy: a registered strategy name, a ``module:attribute`` path, or a
            :class:`~strategies.base.Strategy`.
        months: horizon in months, at least 1.
        seed: replication seed, a non-negative int, also passed to
            :class:`mesa.Model` as ``seed``. Give ``seed`` or ``rng``, not both.
        rng: passed to :class:`mesa.Model` as ``rng``. Without ``seed``, the
            replication seed is drawn from the model's ``rng``, so an int ``rng``
            also gives a reproducible run.
        **settings: scenario overrides written ``section__name=value``, for example
            ``quota__target_growth=0.1`` for the setting ``quota.target_growth``.

    Attributes:
        batch: the :class:`~sim.engine.TeamBatch` of one replication.
        strategy: the allocation strategy.
        months: the horizon in months.
        seed_used: the replication seed of the batch. Mesa 3.3.1 does not keep the
            seed it draws when none is given, so this is the one to report.
        datacollector: the :class:`mesa.DataCollector`.

    Raises:
        TypeError: if a keyword argument is not of the form ``section__name`` or
            ``seed`` is not an int.
        ValueError: if ``seed`` is negative, ``months`` is below 1, or both
            ``seed`` and ``rng`` are given.
        sim.errors.ScenarioError: if a scenario override names an unknown setting
            or has an invalid value.
        sim.errors.StrategyError: if ``strategy`` does not resolve.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        strategy: str | Strategy = "history_based",
        months: int = 36,
        seed: int | None = None,
        rng: Any = None,
        **settings: Any,
    ):
        _check_seed(seed)
        mesa_seeding: dict[str, Any] = {}
        if seed is not None:
            mesa_seeding["seed"] = int(seed)
        if rng is not None:
            mesa_seeding["rng"] = rng
        super().__init__(**mesa_seeding)

        if isinstance(months, bool) or not isinstance(months, numbers.Integral):
            raise TypeError(f"months must be an int (got {months!r})")
        if months < 1:
            raise ValueError(f"months must be at least 1 (got {months})")

        team_scenario = _resolve_scenario(scenario, settings)
        self.strategy = get_strategy(strategy)
        self.months = int(months)
        if seed is None:
            self.seed_used = int(self.rng.integers(2**63 - 1))
        else:
            self.seed_used = int(seed)
        self.batch = TeamBatch(team_scenario, self.strategy, [self.seed_used], months)

        # Joined index of the rep that each seat's agent represents, NaN if none.
        self._agent_joined = np.full(self.batch.seats, np.nan)
        self._agents_by_seat: dict[int, RepAgent] = {}
        self._sync_agents()

        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: functools.partial(_latest_monthly, metric=name)
                for name in MONTHLY_METRICS
            },
            agent_reporters={name: name for name in AGENT_REPORTERS},
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance the team one month, update the agents and collect data.

        After the last month this only sets ``running`` to False (see the class
        docstring for why the stop comes one call late).
        """
        if self.batch.finished:
            logger.debug(
                "step %d is past the %d-month horizon, so it changes nothing",
                self.steps,
                self.months,
            )
            self.running = False
            return

        self.batch.step()
        self._sync_agents()
        self.datacollector.collect(self)

    @property
    def seats(self) -> list[str]:
        """Status of every seat: ``"vacant"``, ``"ramping"`` or ``"active"``."""
        batch = self.batch
        ramping = ramp(batch.tenure[0], batch.scenario) < 1.0
        status = np.where(ramping, "ramping", "active")
        return [str(s) for s in np.where(batch.active[0], status, "vacant")]

    def run_metrics(self) -> dict[str, float]:
        """Return the run-level outcomes (:data:`sim.metrics.RUN_METRICS`).

        Raises:
            RuntimeError: if the run has not reached its horizon, because rates are
                annualised over the full horizon.
        """
        if not self.batch.finished:
            raise RuntimeError(
                f"run_metrics() needs a finished run, but {self.batch.month} of "
                f"{self.months} months are done. Call step() until running is False."
            )
        metrics = self.batch.recorder.run_metrics()
        return {name: float(values[0]) for name, values in metrics.items()}

    def _sync_agents(self) -> None:
        """Remove agents of reps who left and add agents for new hires."""
        active = self.batch.active[0]
        joined = self.batch.joined[0]
        has_agent = ~np.isnan(self._agent_joined)
        same_rep = joined == self._agent_joined

        for seat in np.flatnonzero(has_agent & ~(active & same_rep)):
            self._agents_by_seat.pop(int(seat)).remove()
            self._agent_joined[seat] = np.nan
        for seat in np.flatnonzero(active & ~(has_agent & same_rep)):
            self._agents_by_seat[int(seat)] = RepAgent(self, int(seat))
            self._agent_joined[seat] = joined[seat]


def _check_seed(seed: Any) -> None:
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int or None (got {seed!r})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int or None (got {seed})")


def _resolve_scenario(
    scenario: Scenario | str | os.PathLike[str] | None, settings: dict[str, Any]
) -> Scenario:
    """Load the scenario and apply ``section__name`` overrides."""
    if scenario is None:
        scenario = Scenario()
    elif not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)

    overrides = {}
    for key, value in settings.items():
        section, separator, name = key.partition("__")
        if not (separator and section and name):
            raise TypeError(
                f"SalesTeamModel got an unexpected keyword argument {key!r}. "
                "Give scenario settings as section__name, e.g. quota__target_growth."
            )
        # Sweeps often pass numpy scalars; the scenario validates Python types.
        if isinstance(value, np.generic):
            value = value.item()
        overrides[f"{section}.{name}"] = value
    return scenario.replace(overrides) if overrides else scenario


def _latest_monthly(model: SalesTeamModel, metric: str) -> float:
    """Return ``metric`` of the latest simulated month, or NaN before month 0 ends."""
    month = model.batch.month
    if month == 0:
        return math.nan
    return float(model.batch.recorder.monthly[metric][0, month - 1])
