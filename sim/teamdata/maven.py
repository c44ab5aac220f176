"""Reader for Maven Analytics' "CRM + Sales Opportunities" data set (MavenTech).

The data set is the pipeline of a fictitious hardware maker: one row per
opportunity in ``sales_pipeline.csv`` (``opportunity_id``, ``sales_agent``,
``deal_stage`` of Prospecting, Engaging, Won or Lost, ``engage_date``,
``close_date``, ``close_value``) and one row per agent in ``sales_teams.csv``
(``sales_agent``, ``manager``, ``regional_office``). People appear by name only,
so agents and managers get ids derived from a hash of the name
(:func:`sim.teamdata.deals.person_id`) and no name is kept. There are no
quotas, hire dates or exit dates.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from sim.teamdata.deals import ExportLayout, person_id, read_deal_export
from sim.teamdata.encoding import utf16_notes
from sim.teamdata.generic import check_folder
from sim.teamdata.tables import ROSTER_COLUMNS, TeamData, counted, read_table

PIPELINE_FILE = "sales_pipeline.csv"
TEAMS_FILE = "sales_teams.csv"

MAVEN_CRM = ExportLayout(
    name="maven_crm",
    columns={
        "rep_id": ("sales_agent",),
        "amount": ("close_value",),
        "date": ("close_date",),
        "stage": ("deal_stage",),
        # Maven's engage date (the deal entered "Engaging") is used as the
        # created date, so sales cycles run from engagement to close.
        "created_date": ("engage_date",),
        "deal_id": ("opportunity_id",),
    },
    source="Maven Analytics data dictionary",
)


def read_maven_crm(path: str | Path) -> TeamData:
    """Read the MavenTech pipeline and its sales teams.

    Args:
        path: folder with ``sales_pipeline.csv`` and optionally
            ``sales_teams.csv``.

    Returns:
        Won deals as sales on their close date, every opportunity in ``deals``
        (engage date as created date), and a roster whose ``team`` is the hashed
        manager id and ``territory`` the regional office.

    Raises:
        DataError: a file or column is missing or a value cannot be read.
    """
    folder = check_folder(path, PIPELINE_FILE)
    team = read_deal_export(folder / PIPELINE_FILE, MAVEN_CRM)
    notes = [*team.notes, *utf16_notes([folder / TEAMS_FILE])]
    roster = None
    if (folder / TEAMS_FILE).is_file():
        roster = _read_teams(folder / TEAMS_FILE, set(team.sales["rep_id"]), notes)
    else:
        notes.append(f"{TEAMS_FILE} not found; no roster, so no managers or offices")
    return replace(team, roster=roster, source=str(folder), notes=tuple(notes))


def _read_teams(path: Path, sellers: set[str], notes: list[str]) -> pd.DataFrame:
    text = read_table(path, ("sales_agent",), ("manager", "regional_office"))
    text = text[text["sales_agent"] != ""]
    ids = text["sales_agent"].map(person_id)
    managers = text["manager"].map(
        lambda name: person_id(name, "mgr") if name else pd.NA
    )
    roster = pd.DataFrame(
        {
            "rep_id": ids.to_numpy(),
            "hire_date": pd.NaT,
            "exit_date": pd.NaT,
            "team": managers.to_numpy(),
            "territory": text["regional_office"].replace("", pd.NA).to_numpy(),
        },
        columns=list(ROSTER_COLUMNS),
    )
    for column in ("hire_date", "exit_date"):
        roster[column] = roster[column].astype("datetime64[ns]")
    roster = roster.drop_duplicates("rep_id")

    idle = len(set(roster["rep_id"]) - sellers)
    notes.append(
        f"{path.name}: {counted(len(roster), 'agent')} with ids hashed from names; "
        "team is the manager's hashed id, territory the regional office; no hire "
        "or exit dates, so each agent's first won deal stands in for the hire"
    )
    if idle:
        notes.append(
            f"{path.name}: {counted(idle, 'agent')} without a won deal get no seat"
        )
    return roster
