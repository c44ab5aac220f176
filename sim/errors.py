"""Exceptions for user mistakes: each names the field, the value and what is valid.

The CLI turns any :class:`QuotaLabError` into one line on stderr and exit status 2.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class QuotaLabError(Exception):
    """Base class for errors caused by input the user can fix."""


class ScenarioError(QuotaLabError, ValueError):
    """A scenario value is missing, of the wrong type or out of range.

    Attributes:
        field: dotted path of the setting, for example ``pay.threshold``.
        value: the value received.
        expected: what would be valid, in words.
    """

    def __init__(self, field: str, value: object, expected: str, source: str = ""):
        self.field = field
        self.value = value
        self.expected = expected
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {expected} (got {value!r})")


class DataError(QuotaLabError, ValueError):
    """Team data cannot be read: a missing file or column, bad dates, no sales."""


class StrategyError(QuotaLabError, LookupError):
    """A strategy name or ``module:attribute`` path does not resolve."""


class OptionError(QuotaLabError, ValueError):
    """A command-line option has an invalid value."""
