"""Read a real sales team's history and turn it into scenario values.

``read_team(path, format)`` returns a :class:`TeamData` with the team's orders,
roster and quotas in one form whatever the source format, and
:func:`scenario_from_team` sets the scenario's seats, productivity, tenure, sales
level and quota shares from it. ``docs/team-data.md`` specifies the formats.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.errors import DataError
from sim.teamdata.adventureworks import read_adventureworks
from sim.teamdata.calibrate import scenario_from_team
from sim.teamdata.crm import read_deals, read_hubspot, read_salesforce, read_zoho
from sim.teamdata.generic import read_generic
from sim.teamdata.maven import read_maven_crm
from sim.teamdata.northwind import read_northwind
from sim.teamdata.tables import TeamData

__all__ = [
    "ADVENTUREWORKS_SAMPLE",
    "DEAL_EXPORT_FORMATS",
    "FORMATS",
    "TeamData",
    "read_team",
    "scenario_from_team",
]

FORMATS: dict[str, Callable[..., TeamData]] = {
    "adventureworks": read_adventureworks,
    "deals": read_deals,
    "generic": read_generic,
    "hubspot": read_hubspot,
    "maven_crm": read_maven_crm,
    "northwind": read_northwind,
    "salesforce": read_salesforce,
    "zoho": read_zoho,
}

# Formats read from one CRM export file; they accept ``columns``, ``rates`` and
# ``day_first`` options.
DEAL_EXPORT_FORMATS = ("deals", "hubspot", "salesforce", "zoho")

# Reseller orders, salespeople (ids, job titles and dates only) and quotas of
# Microsoft's AdventureWorks sample database, shipped with the package.
ADVENTUREWORKS_SAMPLE = Path(__file__).resolve().parent.parent / (
    "data/adventureworks-sample"
)


def read_team(path: str | Path, format: str = "generic", **options: Any) -> TeamData:
    """Read a team's history from a folder in one of the :data:`FORMATS`.

    Args:
        path: the folder to read.
        format: a key of :data:`FORMATS`.
        **options: passed to the reader, such as ``include_managers=True`` for
            ``"adventureworks"``.

    Raises:
        DataError: the format is unknown or the files cannot be read.
    """
    reader = FORMATS.get(format)
    if reader is None:
        valid = ", ".join(sorted(FORMATS))
        raise DataError(f"unknown format '{format}'; valid: {valid}")
    return reader(path, **options)
