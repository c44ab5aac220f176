"""Tests for the Maven CRM and Northwind readers, generic UTF-16 files, the
generic export and pseudonyms.

``tests/data/maven-crm`` has two agents with deals (Lena Fox: won 550 and 600,
one lost; Omar Said: won 55, one engaging and one prospecting deal) and one
agent without deals. ``tests/data/northwind`` has a representative with orders
1 (30 + 5 = 35) and 3 (90), a vice president with order 2 (20) and an order
without an employee. The full public data sets are checked when present.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_data

from sim.teamdata import ADVENTUREWORKS_SAMPLE, read_team
from sim.teamdata.deals import person_id
from sim.teamdata.export import pseudonym, pseudonymize, write_generic

DATA = Path(__file__).parent / "data"
MAVEN = DATA / "maven-crm"
NORTHWIND = DATA / "northwind"

# Figures of the full data sets, from their READMEs and Microsoft's totals.
MAVEN_WON_REVENUE = 10_005_534
MAVEN_AGENTS_WITH_DEALS = 30
NORTHWIND_TOTAL = 1_265_793.0395


def test_maven_sales_are_won_deals():
    team = read_team(MAVEN, "maven_crm")
    by_rep = team.sales.groupby("rep_id")["amount"].sum().to_dict()

    assert by_rep == {person_id("Lena Fox"): 1150.0, person_id("Omar Said"): 55.0}
    assert team.deals["status"].value_counts().to_dict() == {
        "won": 3,
        "lost": 1,
        "open": 2,
    }


def test_maven_roster_hashes_people():
    team = read_team(MAVEN, "maven_crm")
    roster = team.roster.set_index("rep_id")

    assert len(roster) == 3
    assert roster.loc[person_id("Lena Fox"), "team"] == person_id("Rosa Park", "mgr")
    assert roster.loc[person_id("Tom Idle"), "territory"] == "East"
    assert "1 agent without a won deal get no seat" in " ".join(team.notes)


def test_maven_cycle_uses_engage_date():
    team = read_team(MAVEN, "maven_crm")
    won = team.deals[team.deals["status"] == "won"]
    days = (won["close_date"] - won["created_date"]).dt.days.tolist()

    assert days == [18, 36, 24]


def test_northwind_order_amounts():
    team = read_team(NORTHWIND, "northwind")

    assert team.sales["amount"].tolist() == [35.0, 90.0]
    assert team.roster["territory"].tolist() == ["Eastern"]
    notes = " ".join(team.notes)
    assert "dropped 1 order with no employeeID" in notes
    assert "excluded 1 employee" in notes


def test_northwind_with_managers():
    team = read_team(NORTHWIND, "northwind", include_managers=True)

    assert team.sales.groupby("rep_id")["amount"].sum().to_dict() == {
        "1": 125.0,
        "2": 20.0,
    }


def test_northwind_reads_no_names():
    team = read_team(NORTHWIND, "northwind", include_managers=True)
    cells = {str(v) for column in team.roster.columns for v in team.roster[column]}

    assert not {"Doe", "Jane", "Roe", "Rick"} & cells


@pytest.mark.shared_data
def test_maven_full_data():
    team = read_team(shared_data("maven-crm-sales-opportunities"), "maven_crm")

    assert team.sales["amount"].sum() == MAVEN_WON_REVENUE
    assert team.sales["rep_id"].nunique() == MAVEN_AGENTS_WITH_DEALS
    assert len(team.deals) == 8800
    assert len(team.roster) == 35


@pytest.mark.shared_data
def test_northwind_full_data():
    team = read_team(
        shared_data("northwind-sales-employees"), "northwind", include_managers=True
    )

    assert team.sales["amount"].sum() == pytest.approx(NORTHWIND_TOTAL, abs=0.01)
    assert len(team.sales) == 830


def test_generic_reads_utf16(tmp_path):
    text = "rep_id,date,amount\r\n7,2024-01-05,100\r\n7,2024-02-05,50\r\n"
    (tmp_path / "sales.csv").write_bytes(text.encode("utf-16"))

    team = read_team(tmp_path)

    assert team.sales["amount"].tolist() == [100.0, 50.0]


def test_readers_note_utf16(tmp_path):
    cases = {
        "northwind": (NORTHWIND, "orders.csv"),
        "maven_crm": (MAVEN, "sales_teams.csv"),
        "adventureworks": (ADVENTUREWORKS_SAMPLE, "sales_person.csv"),
    }
    for format, (source, recoded) in cases.items():
        folder = tmp_path / format
        shutil.copytree(source, folder)
        path = folder / recoded
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))

        team = read_team(folder, format)

        note = f"{recoded}: read as UTF-16 (as Excel and SQL Server write it)"
        assert note in team.notes, format


def test_export_round_trip(tmp_path):
    team = read_team(DATA / "generic-team")
    files = write_generic(team, tmp_path)
    again = read_team(tmp_path)

    assert files == ["sales.csv", "roster.csv", "quotas.csv"]
    pd.testing.assert_frame_equal(again.sales, team.sales)
    pd.testing.assert_frame_equal(again.quotas, team.quotas)


def test_export_writes_deals(tmp_path):
    team = read_team(MAVEN, "maven_crm")
    files = write_generic(team, tmp_path)
    deals = pd.read_csv(tmp_path / "deals.csv")

    assert "deals.csv" in files
    assert len(deals) == 6
    assert read_team(tmp_path).sales["amount"].sum() == 1205.0


def test_pseudonyms_stable_and_joined():
    team = read_team(DATA / "generic-team")
    hidden = pseudonymize(team)

    assert pseudonym("101") == pseudonym("101")
    assert pseudonym("101") != pseudonym("102")
    assert set(hidden.sales["rep_id"]) == {pseudonym(r) for r in team.sales["rep_id"]}
    assert not set(team.rep_ids) & set(hidden.rep_ids)
    assert hidden.quotas["rep_id"].isin(hidden.sales["rep_id"]).all()


def test_pseudonyms_cover_manager_ids():
    hidden = pseudonymize(read_team(MAVEN, "maven_crm"))

    assert set(hidden.roster["team"]) == {pseudonym(person_id("Rosa Park", "mgr"))}


def test_pseudonymized_scenario_matches(tmp_path):
    from sim.scenario import Scenario
    from sim.teamdata import scenario_from_team

    source = tmp_path / "team"
    shutil.copytree(DATA / "generic-team", source)
    team = read_team(source)
    plain, _ = scenario_from_team(team, Scenario())
    hidden, _ = scenario_from_team(pseudonymize(team), Scenario())

    assert plain.team.seats == hidden.team.seats
    assert sorted(plain.team.productivity) == sorted(hidden.team.productivity)
