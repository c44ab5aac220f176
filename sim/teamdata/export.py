"""Write a TeamData back out in the generic format, optionally with hashed rep ids.

``quotalab import`` uses this so that a consultant can open exactly what QuotaLab
understood of an export: ``sales.csv``, ``roster.csv`` and ``quotas.csv`` as the
generic reader expects them, plus ``deals.csv`` when the source has opportunities.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from sim.teamdata.generic import QUOTAS_FILE, ROSTER_FILE, SALES_FILE
from sim.teamdata.tables import TeamData

DEALS_FILE = "deals.csv"
DATE_FORMAT = "%Y-%m-%d"


def pseudonym(rep_id: str) -> str:
    """Return a stable pseudonym for a rep id: ``p-`` and 12 hex digits of SHA-256.

    NOTE: an unsalted hash of a short id (such as a four-digit employee number)
    can be reversed by hashing every candidate, so pseudonyms hide ids from a
    casual reader, not from someone familiar with the id scheme.
    """
    return "p-" + hashlib.sha256(f"quotalab:{rep_id}".encode()).hexdigest()[:12]


def pseudonymize(team: TeamData) -> TeamData:
    """Return a copy of ``team`` whose rep ids (and team ids) are pseudonyms.

    Every table uses the same mapping, so sales, roster, quotas and deals still
    join. The ``team`` column of the roster is hashed too when it contains ids
    derived from names (a manager, as in the Maven data).
    """

    def mapped(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        return frame.assign(rep_id=frame["rep_id"].map(pseudonym))

    roster = mapped(team.roster)
    if roster is not None:
        is_person = roster["team"].astype("string").str.match(r"^(rep|mgr)-")
        roster.loc[is_person.fillna(False), "team"] = roster.loc[
            is_person.fillna(False), "team"
        ].map(pseudonym)
    notes = (
        *team.notes,
        f"replaced {len(team.rep_ids):,} rep ids by pseudonyms (hashes of the id)",
    )
    return replace(
        team,
        sales=mapped(team.sales),
        roster=roster,
        quotas=mapped(team.quotas),
        deals=mapped(team.deals),
        notes=notes,
    )


def write_generic(team: TeamData, folder: Path) -> list[str]:
    """Write the team into ``folder`` in the generic format; return the file names.

    Dates are written as ``YYYY-MM-DD`` and amounts with full precision, so that
    reading the folder with the generic reader gives the same sales.
    """
    folder = Path(folder)
    written = [SALES_FILE]
    _write(team.sales, folder / SALES_FILE)
    tables = (
        (team.roster, ROSTER_FILE),
        (team.quotas, QUOTAS_FILE),
        (team.deals, DEALS_FILE),
    )
    for frame, name in tables:
        if frame is not None:
            _write(frame, folder / name)
            written.append(name)
    return written


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, date_format=DATE_FORMAT, float_format="%.6f")
