"""The strategy interface and the rules every allocation must obey.

A strategy turns a :class:`~sim.observation.ManagerView` into quotas of shape (R, N)
for a batch of R teams. The simplest way to write one is a :class:`WeightedStrategy`
(or a plain function of the view returning weights): the framework splits the team
quota in proportion to the weights over active seats. A strategy that revises quotas
inside a period also implements :meth:`Strategy.reallocate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.errors import StrategyError
from sim.observation import ManagerView


@dataclass(frozen=True)
class Reallocation:
    """A mid-period revision of quotas.

    Attributes:
        quotas: (R, N) revised quotas; the team total must not change.
        trigger: (R,) the stated trigger of each replication's revision, or "" where
            there was none (an empty trigger means quotas are unchanged).
    """

    quotas: np.ndarray
    trigger: np.ndarray


class Strategy:
    """Base class of quota allocation strategies.

    Class attributes:
        name: registry name, used on the command line and in output files.
        ratchet_pass_through: how much of a rep's extra sales this rule passes into
            the next quota (0 for rules that ignore a rep's own sales). Reps with
            ratchet foresight withhold effort in proportion.
    """

    name: ClassVar[str] = ""
    ratchet_pass_through: ClassVar[float] = 0.0

    def allocate(self, view: ManagerView) -> np.ndarray:
        """Return quotas (R, N) for the period starting now."""
        raise NotImplementedError

    def reallocate(self, view: ManagerView) -> Reallocation | None:
        """Revise quotas after a month's sales; ``None`` keeps them."""
        return None


class WeightedStrategy(Strategy):
    """A strategy that splits the team quota in proportion to weights."""

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return non-negative weights (R, N); vacant seats are ignored."""
        raise NotImplementedError

    def allocate(self, view: ManagerView) -> np.ndarray:
        """Split the team quota in proportion to :meth:`weights`."""
        return split_by_weights(self.weights(view), view)


class FunctionStrategy(WeightedStrategy):
    """Wrap a function ``weights(view) -> (R, N)`` as a strategy."""

    def __init__(self, function, name: str):
        self._function = function
        self.name = name  # type: ignore[misc]
        self.__doc__ = function.__doc__

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return the wrapped function's weights."""
        return self._function(view)


def split_by_weights(weights: np.ndarray, view: ManagerView) -> np.ndarray:
    """Split ``view.team_quota`` over active seats in proportion to ``weights``.

    Weights on vacant seats are ignored. A team whose weights are all 0 is split
    equally.

    Raises:
        StrategyError: weights of the wrong shape, or negative or non-finite
            weights on occupied seats.
    """
    weights = np.asarray(weights, dtype=float)
    try:
        weights = np.broadcast_to(weights, view.active.shape)
    except ValueError:
        raise StrategyError(
            f"weights have shape {weights.shape}; expected {view.active.shape} "
            "(replications, seats)"
        ) from None
    bad = view.active & ~(np.isfinite(weights) & (weights >= 0))
    if bad.any():
        example = float(weights[bad][0])
        raise StrategyError(
            f"weights must be finite and >= 0 on occupied seats (got {example!r} "
            f"at {int(bad.sum())} seat-replications)"
        )
    usable = np.where(view.active, weights, 0.0)
    totals = usable.sum(axis=1, keepdims=True)
    equal = view.active.astype(float)
    usable = np.where(totals > 0, usable, equal)
    totals = usable.sum(axis=1, keepdims=True)
    share = np.divide(usable, totals, out=np.zeros_like(usable), where=totals > 0)
    return share * view.team_quota[:, None]
