"""Tests for reading team data and turning it into scenario values.

``tests/data/generic-team`` is a hand-made team. Rep 101 sells 1,000 a month from
January 2023 to June 2024. Rep 102 sells 500 a month in 2024 and refunds 100. Rep
103 starts in April 2024, and its June orders are two identical rows. Rep 007 leaves
at the end of March 2024. One row has no rep_id. The expected values below are
worked out from those numbers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import DataError
from sim.scenario import Scenario
from sim.teamdata import (
    ADVENTUREWORKS_SAMPLE,
    FORMATS,
    TeamData,
    read_team,
    scenario_from_team,
)

GENERIC_TEAM = Path(__file__).parent / "data" / "generic-team"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ADVENTUREWORKS_FULL = SHARED_DATA / "adventureworks-oltp-sales"

# Microsoft's published total of reseller SubTotal (orders with a salesperson).
ADVENTUREWORKS_RESELLER_SUBTOTAL = 80_487_704.1832
ADVENTUREWORKS_REPS = [
    "275", "276", "277", "278", "279", "280", "281",
    "282", "283", "284", "286", "288", "289", "290",
]  # fmt: skip
ADVENTUREWORKS_MANAGERS = ["274", "285", "287"]

# Productivity values are rounded to 6 decimals, so their mean can be off by at
# most 5e-7.
ROUNDING = 1e-6


def full_adventureworks() -> Path:
    if not ADVENTUREWORKS_FULL.is_dir():
        pytest.skip(
            f"public data sets not found at {SHARED_DATA}; they sit beside the "
            "project in the development checkout"
        )
    return ADVENTUREWORKS_FULL


def write_team(folder: Path, **files: str) -> Path:
    """Write CSV files named by keyword (``sales="..."`` -> sales.csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def monthly_sales(rep_id: str, start: str, months: int, amount: float) -> str:
    dates = pd.date_range(start, periods=months, freq="MS")
    return "".join(f"{rep_id},{d:%Y-%m-%d},{amount}\n" for d in dates)


def text_cells(team: TeamData) -> set[str]:
    cells: set[str] = set()
    for frame in (team.sales, team.roster, team.quotas):
        if frame is None:
            continue
        for column in frame.columns:
            cells.update(str(value) for value in frame[column].dropna())
    return cells


# Generic format: reading


def test_generic_round_trip():
    team = read_team(GENERIC_TEAM)

    assert team.format == "generic"
    assert team.source == str(GENERIC_TEAM)
    assert list(team.sales.columns) == ["rep_id", "date", "amount"]
    assert team.sales["date"].dtype == "datetime64[ns]"
    assert team.sales["amount"].dtype == float
    assert len(team.sales) == 32
    assert set(team.sales["rep_id"]) == {"101", "102", "103", "007"}
    totals = team.sales.groupby("rep_id")["amount"].sum()
    assert totals.to_dict() == {
        "007": 2400.0,
        "101": 18000.0,
        "102": 2900.0,
        "103": 900.0,
    }


def test_generic_month_only_date():
    team = read_team(GENERIC_TEAM)
    february = team.sales[
        (team.sales["rep_id"] == "007") & (team.sales["date"].dt.month == 2)
    ]

    assert len(february) == 1
    assert february["date"].iloc[0] == pd.Timestamp("2024-02-01")


def test_generic_roster_and_quotas():
    team = read_team(GENERIC_TEAM)
    roster = team.roster.set_index("rep_id")

    assert list(team.roster.columns) == [
        "rep_id", "hire_date", "exit_date", "team", "territory",
    ]  # fmt: skip
    assert roster.loc["007", "exit_date"] == pd.Timestamp("2024-03-31")
    assert pd.isna(roster.loc["101", "exit_date"])
    assert roster.loc["102", "hire_date"] == pd.Timestamp("2024-01-10")
    assert roster.loc["103", "territory"] == "Denver"
    assert len(team.quotas) == 6
    assert team.quotas["quota"].sum() == 13200.0
    assert team.quotas["period_end"].dtype == "datetime64[ns]"


def test_generic_notes_count_changes():
    notes = " | ".join(read_team(GENERIC_TEAM).notes)

    assert "dropped 1 row with no rep_id" in notes
    assert "kept 1 exact duplicate row (same values" in notes
    assert "kept 1 negative amount (refunds, total -100.00)" in notes


def test_rep_id_stays_text(tmp_path):
    folder = write_team(tmp_path, sales="rep_id,date,amount\n007,2024-01-05,10\n")
    team = read_team(folder)

    assert team.sales["rep_id"].iloc[0] == "007"
    assert pd.api.types.is_string_dtype(team.sales["rep_id"])


def test_bom_and_spaces_accepted(tmp_path):
    tmp_path.joinpath("sales.csv").write_text(
        "rep_id, date ,amount\r\n 7 ,2024-01-05, 12.5\r\n\r\n7,2024-02-05,3\r\n",
        encoding="utf-8-sig",
    )
    team = read_team(tmp_path)

    assert tmp_path.joinpath("sales.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(team.sales["rep_id"]) == ["7", "7"]
    assert team.sales["amount"].sum() == 15.5
    assert team.notes == ()


def test_refunds_netted(tmp_path):
    sales = "rep_id,date,amount\n1,2024-01-05,100\n1,2024-01-20,-40\n2,2024-01-09,5\n"
    team = read_team(write_team(tmp_path, sales=sales))
    totals = team.sales.groupby("rep_id")["amount"].sum()

    assert len(team.sales) == 3
    assert totals["1"] == 60.0
    assert any("kept 1 negative amount" in note for note in team.notes)


def test_duplicates_counted_and_kept(tmp_path):
    sales = "rep_id,date,amount\n1,2024-01-05,100\n1,2024-01-05,100\n1,2024-01-05,100\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert len(team.sales) == 3
    assert team.sales["amount"].sum() == 300.0
    assert any("kept 2 exact duplicate rows" in note for note in team.notes)


def test_rows_without_rep_dropped(tmp_path):
    sales = "rep_id,date,amount\n,2024-01-05,100\n  ,2024-01-06,1\n9,2024-01-05,7\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert list(team.sales["rep_id"]) == ["9"]
    assert "sales.csv: dropped 2 rows with no rep_id" in team.notes


def test_non_iso_dates_read_month_first(tmp_path):
    sales = "rep_id,date,amount\n1,05/01/2020,100\n1,2020-06-01 13:30:00,1\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert list(team.sales["date"]) == [
        pd.Timestamp("2020-05-01"),
        pd.Timestamp("2020-06-01"),
    ]
    assert any(
        "column 'date': 2 values not in YYYY-MM-DD" in note for note in team.notes
    )


def test_dates_day_first_when_decided(tmp_path):
    sales = "rep_id,date,amount\n1,05/01/2023,1\n1,13/01/2023,1\n1,28/02/2023,1\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert list(team.sales["date"]) == [
        pd.Timestamp("2023-01-05"),
        pd.Timestamp("2023-01-13"),
        pd.Timestamp("2023-02-28"),
    ]
    note = next(note for note in team.notes if "column 'date'" in note)
    assert "read 3 numeric dates day first" in note
    assert "month first" not in note


def test_dates_month_first_when_decided(tmp_path):
    sales = "rep_id,date,amount\n1,05/01/2023,1\n1,01/13/2023,1\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert list(team.sales["date"]) == [
        pd.Timestamp("2023-05-01"),
        pd.Timestamp("2023-01-13"),
    ]
    note = next(note for note in team.notes if "column 'date'" in note)
    assert "read 2 numeric dates month first" in note
    assert "no value in the column decides" not in note


def test_dates_ambiguous_noted(tmp_path):
    sales = "rep_id,date,amount\n1,05/01/2023,1\n"
    team = read_team(write_team(tmp_path, sales=sales))

    assert list(team.sales["date"]) == [pd.Timestamp("2023-05-01")]
    note = next(note for note in team.notes if "column 'date'" in note)
    assert "read 1 numeric date month first" in note
    assert "no value in the column decides" in note


def test_dates_mixed_order_rejected(tmp_path):
    sales = "rep_id,date,amount\n1,13/01/2023,1\n1,01/28/2023,1\n"
    with pytest.raises(DataError) as raised:
        read_team(write_team(tmp_path, sales=sales))

    message = str(raised.value)
    assert message.startswith("sales.csv: column 'date' row 3:")
    assert "'01/28/2023'" in message
    assert "'13/01/2023'" in message
    assert "--day-first" in message
    assert "\n" not in message


def test_dates_day_first_option(tmp_path):
    sales = "rep_id,date,amount\n1,05/01/2023,1\n"
    roster = "rep_id,hire_date\n1,02/01/2022\n"
    team = read_team(write_team(tmp_path, sales=sales, roster=roster), day_first=True)

    assert list(team.sales["date"]) == [pd.Timestamp("2023-01-05")]
    assert list(team.roster["hire_date"]) == [pd.Timestamp("2022-01-02")]
    assert any("as --day-first requests" in note for note in team.notes)


def test_generic_utf16_noted(tmp_path):
    (tmp_path / "sales.csv").write_text(
        "rep_id,date,amount\n1,2024-01-05,100\n", encoding="utf-16"
    )
    team = read_team(tmp_path)

    assert list(team.sales["amount"]) == [100.0]
    assert "sales.csv: read as UTF-16 (as Excel and SQL Server write it)" in (
        team.notes
    )


# Generic format: errors

SALES_OK = "rep_id,date,amount\n1,2024-01-05,100\n"

ERROR_CASES = {
    "bad date": (
        {"sales": "rep_id,date,amount\n" + "1,2024-01-05,1\n" * 5 + "1,31/31/2020,1\n"},
        "sales.csv: column 'date' row 7: cannot parse date '31/31/2020'; "
        "use YYYY-MM-DD",
    ),
    "date out of range": (
        {"sales": "rep_id,date,amount\n1,2024-01-05,1\n1,9999-12-31,1\n"},
        "sales.csv: column 'date' row 3: date '9999-12-31' is outside 1678-01-01",
    ),
    "empty date": (
        {"sales": "rep_id,date,amount\n1,,1\n"},
        "sales.csv: column 'date' row 2: date is empty",
    ),
    "bad amount": (
        {"sales": "rep_id,date,amount\n1,2024-01-05,1\n1,2024-01-06,$12\n"},
        "sales.csv: column 'amount' row 3: '$12' is not a finite number",
    ),
    "infinite amount": (
        {"sales": "rep_id,date,amount\n1,2024-01-05,inf\n"},
        "sales.csv: column 'amount' row 2: 'inf' is not a finite number",
    ),
    "missing column": (
        {"sales": "rep_id,day,amount\n1,2024-01-05,1\n"},
        "sales.csv: missing column 'date'; found: rep_id, day, amount; "
        "required: rep_id, date, amount",
    ),
    "empty file": ({"sales": ""}, "sales.csv: file is empty"),
    "header only": ({"sales": "rep_id,date,amount\n"}, "sales.csv: no rows"),
    "no rep ids": (
        {"sales": "rep_id,date,amount\n,2024-01-05,1\n,2024-01-06,2\n"},
        "sales.csv: no rep with any sales; every row has an empty rep_id (2 rows)",
    ),
    "no positive sales": (
        {"sales": "rep_id,date,amount\n1,2024-01-05,0\n2,2024-01-05,-3\n"},
        "sales.csv: no rep with any sales; net sales are 0 or negative for every "
        "rep (2 reps)",
    ),
    "quota period backwards": (
        {
            "sales": SALES_OK,
            "quotas": "rep_id,period_start,period_end,quota\n"
            "1,2024-04-01,2024-03-31,10\n",
        },
        "quotas.csv: column 'period_end' row 2: period_end '2024-03-31' is before "
        "period_start '2024-04-01'",
    ),
    "quota not a number": (
        {
            "sales": SALES_OK,
            "quotas": "rep_id,period_start,period_end,quota\n"
            "1,2024-01-01,2024-03-31,10\n1,2024-04-01,2024-06-30,lots\n",
        },
        "quotas.csv: column 'quota' row 3: 'lots' is not a finite number",
    ),
    "quota negative": (
        {
            "sales": SALES_OK,
            "quotas": "rep_id,period_start,period_end,quota\n"
            "1,2024-01-01,2024-03-31,-5\n",
        },
        "quotas.csv: column 'quota' row 2: '-5' is negative",
    ),
    "quota column missing": (
        {"sales": SALES_OK, "quotas": "rep_id,period_start,quota\n"},
        "quotas.csv: missing column 'period_end'",
    ),
    "roster bad hire date": (
        {"sales": SALES_OK, "roster": "rep_id,hire_date\n1,yesterday-ish\n"},
        "roster.csv: column 'hire_date' row 2: cannot parse date 'yesterday-ish'",
    ),
    "roster exit before hire": (
        {
            "sales": SALES_OK,
            "roster": "rep_id,hire_date,exit_date\n1,2024-01-01,2023-12-31\n",
        },
        "roster.csv: column 'exit_date' row 2: exit_date '2023-12-31' is before "
        "hire_date '2024-01-01'",
    ),
    "roster rep twice": (
        {"sales": SALES_OK, "roster": "rep_id,hire_date\n1,2024-01-01\n1,2023-01-01\n"},
        "roster.csv: column 'rep_id' row 3: rep '1' is listed twice",
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_generic_error_message(tmp_path, case):
    files, expected = ERROR_CASES[case]
    folder = write_team(tmp_path, **files)

    with pytest.raises(DataError) as raised:
        read_team(folder)

    message = str(raised.value)
    assert expected in message
    assert "\n" not in message


def test_no_sales_error_counts_named(tmp_path):
    cases = {
        "rep_id,date,amount\n,2024-01-05,1\n": "every row has an empty rep_id (1 row)",
        "rep_id,date,amount\n1,2024-01-05,0\n": "for every rep (1 rep)",
    }
    for index, (sales, expected) in enumerate(cases.items()):
        with pytest.raises(DataError) as raised:
            read_team(write_team(tmp_path / str(index), sales=sales))
        assert expected in str(raised.value)


def test_path_errors(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match="team data folder not found: .*nowhere"):
        read_team(missing)

    a_file = write_team(tmp_path, sales=SALES_OK) / "sales.csv"
    with pytest.raises(DataError, match="sales.csv is a file; give the folder"):
        read_team(a_file)

    empty = tmp_path / "empty"
    empty.mkdir()
    write_team(empty, roster="rep_id,hire_date\n")
    with pytest.raises(DataError, match="sales.csv not found; the folder has roster"):
        read_team(empty)


def test_unknown_format(tmp_path):
    with pytest.raises(DataError) as raised:
        read_team(tmp_path, format="x")

    valid = "adventureworks, deals, generic, hubspot, maven_crm, northwind, " + (
        "salesforce, zoho"
    )
    assert str(raised.value) == f"unknown format 'x'; valid: {valid}"
    assert sorted(FORMATS) == valid.split(", ")


# AdventureWorks


def test_sample_reads_reps():
    team = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")
    months = team.sales["date"].dt.to_period("M")

    assert team.format == "adventureworks"
    assert sorted(team.sales["rep_id"].unique(), key=int) == ADVENTUREWORKS_REPS
    assert sorted(team.roster["rep_id"], key=int) == ADVENTUREWORKS_REPS
    assert months.nunique() == 36
    assert str(months.min()) == "2011-06"
    assert str(months.max()) == "2014-05"
    assert (team.sales["date"].dt.day == 1).all()
    assert set(team.roster["team"]) == {"Sales Representative"}


def test_sample_notes():
    notes = " | ".join(read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks").notes)

    assert "excluded 3 sales managers (274, 285, 287" in notes
    assert "103 orders" in notes
    assert "24 quota rows" in notes
    assert "AdventureWorks has no exit dates" in notes


def test_sample_with_managers():
    team = read_team(
        ADVENTUREWORKS_SAMPLE, format="adventureworks", include_managers=True
    )

    assert team.sales["amount"].sum() == pytest.approx(
        ADVENTUREWORKS_RESELLER_SUBTOTAL, abs=1.0
    )
    assert len(team.sales) == 3806
    assert len(team.quotas) == 163
    assert team.roster["rep_id"].nunique() == 17
    assert set(ADVENTUREWORKS_MANAGERS) <= set(team.sales["rep_id"])


def test_sample_territories_from_history():
    roster = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks").roster
    territory = roster.set_index("rep_id")["territory"]

    # SalesPerson.TerritoryID has these two reversed. The territory history and
    # the territories of their orders agree with the values below.
    assert territory["282"] == "United Kingdom"
    assert territory["289"] == "Canada"
    assert territory["275"] == "Central"
    assert territory["277"] == "Northeast"


def test_sample_quota_periods_tile():
    quotas = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks").quotas
    quotas = quotas.sort_values(["rep_id", "period_start"])

    assert len(quotas) == 139
    assert (quotas["period_start"].dt.day == 1).all()
    assert (quotas["period_end"] + pd.Timedelta(days=1)).dt.day.eq(1).all()
    lengths = (quotas["period_end"] - quotas["period_start"]).dt.days + 1
    assert lengths.between(89, 92).all()
    for rep_id, rows in quotas.groupby("rep_id"):
        gaps = rows["period_start"].iloc[1:].to_numpy() - (
            rows["period_end"].iloc[:-1].to_numpy() + np.timedelta64(1, "D")
        )
        assert (gaps == np.timedelta64(0, "D")).all(), rep_id
    first = quotas.iloc[0]
    assert first["period_start"] == pd.Timestamp("2011-06-01")
    assert first["period_end"] == pd.Timestamp("2011-08-31")


def test_sales_month_derived(tmp_path):
    copy = tmp_path / "aw"
    shutil.copytree(ADVENTUREWORKS_SAMPLE, copy)
    orders = pd.read_csv(copy / "sales_order_header.csv", dtype=str)
    orders.drop(columns="SalesMonth").to_csv(
        copy / "sales_order_header.csv", index=False
    )

    derived = read_team(copy, format="adventureworks")
    with_column = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")

    assert derived.sales["date"].equals(with_column.sales["date"])
    assert any("derived SalesMonth for 3,806 orders" in n for n in derived.notes)


def test_sample_has_no_names():
    team = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")
    _, provenance = scenario_from_team(team, Scenario())
    shipped = " ".join(
        path.read_text(encoding="utf-8") for path in ADVENTUREWORKS_SAMPLE.iterdir()
    )
    text = " ".join([*text_cells(team), *team.notes, *provenance.values()])

    for name in ("Blythe", "Jiang", "Alberts", "Ansman-Wolfe", "Stephen"):
        assert name not in text
        assert name not in shipped
    assert "FirstName" not in shipped
    assert "NationalIDNumber" not in shipped


@pytest.mark.shared_data
def test_full_adventureworks():
    team = read_team(full_adventureworks(), format="adventureworks")
    months = team.sales["date"].dt.to_period("M")

    assert sorted(team.roster["rep_id"], key=int) == ADVENTUREWORKS_REPS
    assert team.sales["rep_id"].nunique() == 14
    assert months.nunique() == 36
    assert "dropped 27,659 orders with no SalesPersonID" in team.notes[0]
    assert len(team.quotas) == 163 - 24


@pytest.mark.shared_data
def test_full_adventureworks_with_managers():
    team = read_team(
        full_adventureworks(), format="adventureworks", include_managers=True
    )

    assert team.sales["rep_id"].nunique() == 17
    assert team.sales["amount"].sum() == pytest.approx(
        ADVENTUREWORKS_RESELLER_SUBTOTAL, abs=1.0
    )
    assert round(team.sales["amount"].sum()) == 80_487_704
    assert len(team.quotas) == 163


@pytest.mark.shared_data
def test_sample_matches_full():
    full = read_team(full_adventureworks(), format="adventureworks")
    sample = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")

    full_totals = full.sales.groupby("rep_id")["amount"].sum()
    sample_totals = sample.sales.groupby("rep_id")["amount"].sum()
    pd.testing.assert_series_equal(full_totals, sample_totals)
    pd.testing.assert_frame_equal(full.sales, sample.sales)
    pd.testing.assert_frame_equal(full.roster, sample.roster)
    pd.testing.assert_frame_equal(full.quotas, sample.quotas)


@pytest.mark.shared_data
def test_full_adventureworks_has_no_names():
    people = pd.read_csv(full_adventureworks() / "sales_person.csv", dtype=str)
    names = set(people["FirstName"]) | set(people["LastName"])
    national_ids = set(people["NationalIDNumber"])
    team = read_team(full_adventureworks(), format="adventureworks")
    _, provenance = scenario_from_team(team, Scenario())
    text = " ".join([*text_cells(team), *team.notes, *provenance.values()])

    assert len(names) >= 30
    for value in names | national_ids:
        assert value not in text


# Scenario from team data


def test_scenario_from_generic():
    team = read_team(GENERIC_TEAM)
    scenario, provenance = scenario_from_team(team, Scenario())

    # Seats 101, 102, 103 (007 left in March). Months from first sale to 2024-06
    # and net totals: 18 / 18,000, 6 / 2,900, 3 / 900.
    months = np.array([18, 6, 3])
    totals = np.array([18000.0, 2900.0, 900.0])
    team_mean = totals.sum() / months.sum()
    shrunk = (totals + 3 * team_mean) / (months + 3)

    assert scenario.team.seats == 3
    assert scenario.team.productivity == pytest.approx(
        shrunk / shrunk.mean(), abs=ROUNDING
    )
    assert scenario.team.tenure_months == [17.5, 5.7, 3.0]
    assert scenario.team.last_year_sales == 18200.0
    # Rep-months from July 2023: 12 + 6 + 3 + 3 (007 from January to March).
    assert scenario.team.sales_per_rep_month == pytest.approx(18200.0 / 24)
    assert scenario.team.initial_quota_share == pytest.approx([0.6, 0.3, 0.1])
    assert scenario.quota.period == "quarterly"
    assert scenario.quota.target_growth == Scenario().quota.target_growth
    assert "101, 102, 103" in provenance["team.seats"]
    assert provenance["quota.target_growth"].startswith("default: ")


def test_scenario_provenance_keys():
    team = read_team(GENERIC_TEAM)
    _, provenance = scenario_from_team(team, Scenario())

    assert set(provenance) == {
        "team.seats",
        "team.warmup_months",
        "team.productivity",
        "team.tenure_months",
        "team.last_year_sales",
        "team.sales_per_rep_month",
        "quota.period",
        "team.initial_quota_share",
        "quota.target_growth",
    }
    for setting, note in provenance.items():
        assert note.startswith(("data: ", "default: ")), setting
    assert provenance["team.productivity"].startswith("data: ")
    assert "n/(n+3)" in provenance["team.productivity"]


def test_scenario_as_of_earlier():
    team = read_team(GENERIC_TEAM)
    scenario, provenance = scenario_from_team(team, Scenario(), as_of="2024-02")

    # 007 is still on the team in February; 103 is not hired yet.
    assert scenario.team.seats == 3
    assert "007, 101, 102" in provenance["team.seats"]
    assert scenario.team.initial_quota_share == pytest.approx(
        [2400 / 7200, 3300 / 7200, 1500 / 7200], abs=ROUNDING
    )
    assert "2024-01-01" in provenance["team.initial_quota_share"]


def test_scenario_as_of_invalid():
    team = read_team(GENERIC_TEAM)

    with pytest.raises(DataError, match="before the first sale"):
        scenario_from_team(team, Scenario(), as_of="2020-01")
    with pytest.raises(DataError, match="cannot read 'soon' as a month"):
        scenario_from_team(team, Scenario(), as_of="soon")


def test_scenario_replaces_base_lists():
    base = Scenario().replace({"team.seats": 2, "team.productivity": [1.0, 1.0]})
    scenario, _ = scenario_from_team(read_team(GENERIC_TEAM), base)

    assert scenario.team.seats == 3
    assert len(scenario.team.productivity) == 3
    assert scenario.pay == base.pay


def test_shrinkage_pulls_newcomer(tmp_path):
    sales = "rep_id,date,amount\n" + monthly_sales("old", "2022-01-01", 24, 1000)
    sales += "new,2023-12-05,5000\n"
    team = read_team(write_team(tmp_path, sales=sales))
    scenario, _ = scenario_from_team(team, Scenario())

    team_mean = 29000 / 25
    shrunk = np.array([(5000 + 3 * team_mean) / 4, (24000 + 3 * team_mean) / 27])
    new, old = scenario.team.productivity

    assert new == pytest.approx(shrunk[0] / shrunk.mean(), abs=ROUNDING)
    assert old == pytest.approx(shrunk[1] / shrunk.mean(), abs=ROUNDING)
    # Unpooled, the newcomer would be 5x the veteran.
    assert new / old < 2.1
    assert new > old


def test_scenario_without_roster(tmp_path):
    sales = "rep_id,date,amount\n" + monthly_sales("a", "2023-01-01", 12, 100)
    sales += monthly_sales("b", "2023-01-01", 6, 100)
    sales += monthly_sales("c", "2023-09-01", 4, 100)
    team = read_team(write_team(tmp_path, sales=sales))
    scenario, provenance = scenario_from_team(team, Scenario())

    # b's last sale is in June, more than three months before December.
    assert scenario.team.seats == 2
    assert "a, c" in provenance["team.seats"]
    assert "no roster" in provenance["team.seats"]
    assert scenario.team.tenure_months == [12.0, 4.0]
    assert scenario.team.initial_quota_share == []
    assert provenance["team.initial_quota_share"].startswith("default: ")


def test_short_history_annualized(tmp_path):
    sales = "rep_id,date,amount\n" + monthly_sales("a", "2024-01-01", 4, 250)
    team = read_team(write_team(tmp_path, sales=sales))
    scenario, provenance = scenario_from_team(team, Scenario())

    assert scenario.team.last_year_sales == 3000.0
    assert "scaled by 12/4" in provenance["team.last_year_sales"]
    assert scenario.team.sales_per_rep_month == 250.0
    assert scenario.team.productivity == [1.0]


def test_provenance_singular_counts(tmp_path):
    sales = "rep_id,date,amount\n1,2024-01-05,100\n"
    quotas = "rep_id,period_start,period_end,quota\n1,2024-01-01,2024-03-31,300\n"
    team = read_team(write_team(tmp_path, sales=sales, quotas=quotas))
    _, provenance = scenario_from_team(team, Scenario())

    assert provenance["team.productivity"].endswith("; all 1.00")
    assert provenance["team.tenure_months"].endswith("; all 0.9")
    assert "net sales of the 1 month to 2024-01" in provenance["team.last_year_sales"]
    assert "divided by 1 rep-month in" in provenance["team.sales_per_rep_month"]
    assert provenance["quota.period"] == "data: 1 of 1 quota period is 3 months long"
    for note in provenance.values():
        assert "range" not in note
        assert " 1 months" not in note


def test_target_growth_from_quotas(tmp_path):
    sales = "rep_id,date,amount\n" + monthly_sales("1", "2022-01-01", 24, 1000)
    sales += monthly_sales("2", "2022-01-01", 24, 500)
    quarters = ["01-01,2023-03-31", "04-01,2023-06-30", "07-01,2023-09-30"]
    quarters.append("10-01,2023-12-31")
    quotas = "rep_id,period_start,period_end,quota\n"
    quotas += "".join(f"1,2023-{q},3600\n" for q in quarters)
    quotas += "".join(f"2,2023-{q},2100\n" for q in quarters)
    team = read_team(write_team(tmp_path, sales=sales, quotas=quotas))
    scenario, provenance = scenario_from_team(team, Scenario())

    # Quota / prior-year sales: 14,400 / 12,000 = 1.2 and 8,400 / 6,000 = 1.4.
    assert scenario.quota.target_growth == pytest.approx(0.3)
    assert provenance["quota.target_growth"].startswith("data: median over 2")
    assert scenario.quota.period == "quarterly"


def test_target_growth_clipped(tmp_path):
    sales = "rep_id,date,amount\n" + monthly_sales("1", "2022-01-01", 24, 100)
    quotas = "rep_id,period_start,period_end,quota\n1,2023-01-01,2023-12-31,9000\n"
    team = read_team(write_team(tmp_path, sales=sales, quotas=quotas))
    scenario, provenance = scenario_from_team(team, Scenario())

    assert scenario.quota.target_growth == 2.0
    assert (
        "6.500 clipped to the valid range -0.5-2.0" in provenance["quota.target_growth"]
    )
    assert scenario.quota.period == "annual"


def test_scenario_from_sample():
    team = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")
    scenario, provenance = scenario_from_team(team, Scenario())
    productivity = np.array(scenario.team.productivity)

    assert scenario.team.seats == 14
    assert productivity.mean() == pytest.approx(1.0, abs=ROUNDING)
    assert productivity.min() > 0.3
    assert productivity.max() < 3.0
    assert sum(scenario.team.initial_quota_share) == pytest.approx(1.0, abs=1e-5)
    assert scenario.team.tenure_months[0] == 36.0
    assert scenario.quota.period == "quarterly"
    assert -0.5 <= scenario.quota.target_growth <= 2.0
    assert provenance["quota.target_growth"].startswith("data: median over 20")
    for setting in ("team.productivity", "team.seats", "team.last_year_sales"):
        assert provenance[setting].startswith("data: "), setting


def test_sample_last_year_sales():
    team = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")
    scenario, _ = scenario_from_team(team, Scenario())
    sales = team.sales
    last_year = sales[sales["date"] >= pd.Timestamp("2013-06-01")]

    assert scenario.team.last_year_sales == pytest.approx(last_year["amount"].sum())
    # All 14 reps sold from June 2013 at the latest, so 14 x 12 rep-months.
    assert scenario.team.sales_per_rep_month == pytest.approx(
        last_year["amount"].sum() / 168
    )


def test_sample_as_of_2012():
    team = read_team(ADVENTUREWORKS_SAMPLE, format="adventureworks")
    scenario, provenance = scenario_from_team(team, Scenario(), as_of="2012-12")
    sales_only = TeamData(
        sales=team.sales, roster=None, quotas=None, source="", format="generic"
    )
    unrostered, _ = scenario_from_team(sales_only, Scenario(), as_of="2012-12")

    # Hired by 2012-12-31: the nine of May 2011, 289 and 290 (May 2012), 284.
    assert scenario.team.seats == 12
    assert "286" not in provenance["team.seats"]
    assert len(scenario.team.initial_quota_share) == 12
    assert unrostered.team.seats == 12


def test_huge_amount_rejected(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "sales.csv").write_text(
        "rep_id,date,amount\nA,2023-01-05,1e308\nB,2023-02-06,200\n"
    )
    with pytest.raises(DataError) as caught:
        read_team(folder)
    message = str(caught.value)
    assert "sales.csv" in message
    assert "'1e308' is too large" in message
    assert "row 2" in message
