"""One registry of strategies, addressable by name or ``module:attribute`` path."""

from __future__ import annotations

import importlib
import inspect

from sim.errors import StrategyError
from strategies.base import FunctionStrategy, Strategy

REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a strategy class to the registry under its ``name`` (a class decorator)."""
    if not cls.name:
        raise ValueError(
            f"{cls.__qualname__} needs a non-empty 'name' to be registered"
        )
    if not (cls.__doc__ or "").strip():
        raise ValueError(f"strategy {cls.name!r} needs a docstring stating its rule")
    REGISTRY[cls.name] = cls
    return cls


def builtin_names() -> list[str]:
    """Return the names of the built-in strategies, in registry order."""
    return list(REGISTRY)


def get_strategy(spec: str | Strategy | type[Strategy]) -> Strategy:
    """Return a strategy instance for a name, a ``module:attribute`` path or a class.

    A ``module:attribute`` may name a :class:`Strategy` subclass, an instance, or a
    function ``weights(view) -> array`` that is wrapped as a weighted strategy.
    """
    if isinstance(spec, Strategy):
        return spec
    if inspect.isclass(spec) and issubclass(spec, Strategy):
        return spec()
    if not isinstance(spec, str) or not spec:
        raise StrategyError(
            f"strategy must be a name or module:attribute (got {spec!r})"
        )
    if spec in REGISTRY:
        return REGISTRY[spec]()
    if ":" not in spec:
        valid = ", ".join(REGISTRY)
        raise StrategyError(
            f"unknown strategy {spec!r}; valid: {valid}, or module:attribute"
        )
    return _import_strategy(spec)


def _import_strategy(spec: str) -> Strategy:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise StrategyError(
            f"strategy {spec!r}: cannot import module {module_name!r} ({error}); "
            "check the module is on PYTHONPATH"
        ) from None
    target = getattr(module, attribute, None)
    if target is None:
        raise StrategyError(
            f"strategy {spec!r}: module {module_name!r} has no attribute {attribute!r}"
        )
    if isinstance(target, Strategy):
        return target
    if inspect.isclass(target) and issubclass(target, Strategy):
        return target()
    if callable(target):
        return FunctionStrategy(target, name=spec)
    raise StrategyError(
        f"strategy {spec!r} is neither a Strategy class nor a weights function"
    )
