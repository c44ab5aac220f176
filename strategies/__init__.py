"""Quota allocation strategies: one interface, one registry.

Built-in strategies register themselves on import. Add your own with::

    from strategies import WeightedStrategy, register

    @register
    class LastYearShare(WeightedStrategy):
        \"\"\"Quota in proportion to each seat's sales over the last 12 months.\"\"\"

        name = "last_year_share"

        def weights(self, view):
            return view.sales_history[:, :, -12:].sum(axis=2)

or pass ``--strategies mymodule:LastYearShare`` on the command line.
"""

from strategies.base import (
    FunctionStrategy,
    Reallocation,
    Strategy,
    WeightedStrategy,
    split_by_weights,
)
from strategies.builtin import (
    CapabilityWeighted,
    Dynamic,
    EqualSplit,
    HistoryBased,
    TerritoryPotential,
)
from strategies.predictive import Blend, EqualProbability, Participatory, Tiered
from strategies.registry import REGISTRY, builtin_names, get_strategy, register

__all__ = [
    "REGISTRY",
    "Blend",
    "CapabilityWeighted",
    "Dynamic",
    "EqualProbability",
    "EqualSplit",
    "FunctionStrategy",
    "HistoryBased",
    "Participatory",
    "Reallocation",
    "Strategy",
    "TerritoryPotential",
    "Tiered",
    "WeightedStrategy",
    "builtin_names",
    "get_strategy",
    "register",
    "split_by_weights",
]
