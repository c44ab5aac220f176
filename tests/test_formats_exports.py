"""Tests for CRM deal exports: Salesforce, HubSpot, Zoho and mapped columns.

Each file in ``tests/data/exports`` is a hand-made export with one kind of mess
in it, named by the file and the test. Owner names in the files are invented.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import DataError
from sim.teamdata import read_team
from sim.teamdata.cleaning import parse_amount
from sim.teamdata.deals import parse_column_mapping, person_id

EXPORTS = Path(__file__).parent / "data" / "exports"


def sales_by_rep(team) -> dict[str, float]:
    return team.sales.groupby("rep_id")["amount"].sum().to_dict()


def dates(team) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in team.sales["date"]]


def note_with(team, text: str) -> str:
    matches = [note for note in team.notes if text in note]
    assert matches, f"no note contains {text!r}; notes: {team.notes}"
    return matches[0]


# Encodings


def test_utf8_byte_order_mark():
    team = read_team(EXPORTS / "bom.csv", "salesforce")

    assert sales_by_rep(team) == {person_id("Jo Park"): 300.0}
    note_with(team, "byte order mark")


@pytest.mark.parametrize("name", ["utf16.csv", "utf16_no_bom.csv"])
def test_utf16_export(name):
    team = read_team(EXPORTS / name, "salesforce")

    assert sales_by_rep(team) == {person_id("Kim Lee"): 2000.0}
    note_with(team, "read as UTF-16")


def test_latin1_file_rejected(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("OwnerId,Amount,CloseDate\nJosé,1,2024-01-01\n".encode("latin-1"))

    with pytest.raises(DataError, match="latin1.csv: not valid utf-8"):
        read_team(path, "salesforce")


# Amounts


def test_currency_signs_and_separators():
    team = read_team(EXPORTS / "salesforce_amounts.csv", "salesforce")
    amounts = team.sales["amount"].tolist()

    assert amounts == [1234.50, 2000.0, 1500.25, -250.0, 3000.0]
    assert "4 amounts" in note_with(team, "removed currency signs")


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("1234.5", 1234.5, ""),
        ("$1,234.50", 1234.5, "USD"),
        ("1.234,50 €", 1234.5, "EUR"),
        ("EUR 1 234,50", 1234.5, "EUR"),
        ("CHF 1'234.50", 1234.5, "CHF"),
        ("(250.00)", -250.0, ""),
        ("-$75", -75.0, "USD"),
        ("75-", -75.0, ""),
        ("£0,5", 0.5, "GBP"),
        ("1,234", 1234.0, ""),
        ("1.234.567", 1234567.0, ""),
    ],
)
def test_parse_amount_forms(text, value, currency):
    parsed, code = parse_amount(text)

    assert math.isclose(parsed, value)
    assert code == currency


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("12,34,5", "thousands separators"),
        ("abc", "not a number"),
        ("1.2.3,4,5", "more than one decimal"),
        ("ZZ 12", "unknown currency sign"),
        ("inf", "not a finite number"),
    ],
)
def test_bad_amount_names_cell(tmp_path, text, problem):
    path = tmp_path / "deals.csv"
    path.write_text(f'OwnerId,Amount,CloseDate\nr1,"{text}",2024-01-01\n')

    with pytest.raises(DataError) as raised:
        read_team(path, "salesforce")

    message = str(raised.value)
    assert message.startswith("deals.csv: column 'amount' row 2:")
    assert problem in message
    assert f"'{text}'" in message


# Dates


def test_several_date_forms():
    team = read_team(EXPORTS / "hubspot_dates.csv", "hubspot")

    assert dates(team) == ["2024-01-05", "2024-01-31", "2024-03-01", "2024-03-15"]
    note_with(team, "Excel day numbers")
    note_with(team, "written in words")
    note_with(team, "month first")


def test_utc_conversion_noted(tmp_path):
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Deal owner,Deal Stage,Amount,Close Date\n"
        "ana@example.com,closedwon,100,2024-01-31T23:30:00-05:00\n"
        "ana@example.com,closedwon,100,2024-02-10T09:00:00Z\n"
        "ana@example.com,closedwon,100,2024-02-11\n"
    )
    team = read_team(path, "hubspot")

    assert dates(team) == ["2024-02-01", "2024-02-10", "2024-02-11"]
    note = note_with(team, "to UTC")
    assert "converted 2 timestamps with a time zone" in note


def test_day_first_inferred_from_values():
    team = read_team(EXPORTS / "zoho_day_first.csv", "zoho")

    assert dates(team) == ["2024-02-03", "2024-02-25", "2024-03-11"]
    note_with(team, "read 4 dates day first")


def test_mixed_date_order_rejected():
    columns = {"rep_id": "Owner", "amount": "Value", "date": "Closed"}
    path = EXPORTS / "mixed_date_order.csv"
    with pytest.raises(DataError) as raised:
        read_team(path, "deals", columns=columns)

    message = str(raised.value)
    assert message.startswith("mixed_date_order.csv: column 'date' row 3:")
    assert "use one date order in the column" in message


def test_ambiguous_dates_noted(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("OwnerId,Amount,CloseDate\nr1,1,03/04/2024\nr1,2,05/06/2024\n")

    month_first = read_team(path, "salesforce")
    day_first = read_team(path, "salesforce", day_first=True)

    assert dates(month_first) == ["2024-03-04", "2024-05-06"]
    assert dates(day_first) == ["2024-04-03", "2024-06-05"]
    assert "would also read day first" in note_with(month_first, "month first")


# Rows


def test_refunds_netted_per_rep():
    team = read_team(EXPORTS / "refunds.csv", "salesforce")

    assert sales_by_rep(team) == {"005R1": 800.0, "005R2": 449.5}
    assert "total -250.50" in note_with(team, "2 negative amounts")


def test_duplicate_rows_with_deal_id_dropped():
    team = read_team(EXPORTS / "duplicates.csv", "salesforce")

    assert sales_by_rep(team) == {"005D1": 1700.0, "005D2": 900.0}
    note_with(team, "dropped 1 exact duplicate row")


def test_logged_note_names_file_once(tmp_path, caplog):
    path = tmp_path / "sf.csv"
    path.write_text(
        "OwnerId,Amount,CloseDate,StageName,Id\n005D1,1000,2024-03-10,Closed Won,o1\n"
    )
    with caplog.at_level(logging.INFO, logger="sim.teamdata.tables"):
        read_team(path, "salesforce")

    assert caplog.messages
    for message in caplog.messages:
        assert message.startswith(f"{path}: ")
        assert "sf.csv: sf.csv" not in message


def test_repeated_deal_id_keeps_latest(tmp_path):
    path = tmp_path / "sf.csv"
    path.write_text(
        "OwnerId,Amount,CloseDate,StageName,Id\n"
        "005D1,1000,2024-03-10,Closed Won,o1\n"
        "005D1,1000,2024-01-10,Closed Lost,o1\n"
        "005D1,700,2024-02-10,Closed Won,o2\n"
    )
    team = read_team(path, "salesforce")

    assert list(team.deals["deal_id"]) == ["o1", "o2"]
    assert list(team.deals["status"]) == ["won", "won"]
    assert sales_by_rep(team) == {"005D1": 1700.0}
    note = note_with(team, "1 deal id in 'Id' appears on several rows")
    assert "dropped 1 row" in note


def test_repeated_deal_id_tie_keeps_last(tmp_path):
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "hubspot_owner_id,amount,closedate,dealstage,hs_object_id\n"
        "7,500,2024-01-10,closedwon,11\n"
        "7,500,2024-01-10,closedlost,11\n"
        "7,300,2024-01-12,closedwon,12\n"
    )
    team = read_team(path, "hubspot")

    assert list(team.deals["status"]) == ["lost", "won"]
    assert sales_by_rep(team) == {"7": 300.0}
    note_with(team, "1 deal id in 'hs_object_id' appears on several rows")


def test_duplicate_rows_without_id_kept(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("OwnerId,Amount,CloseDate\nr1,5,2024-01-01\nr1,5,2024-01-01\n")

    team = read_team(path, "salesforce")

    assert sales_by_rep(team) == {"r1": 10.0}
    note_with(team, "kept 1 exact duplicate row")


def test_rows_without_owner_dropped():
    team = read_team(EXPORTS / "no_owner.csv", "hubspot")

    assert sales_by_rep(team) == {"901": 1000.0, "902": 800.0}
    assert "'hubspot_owner_id' empty" in note_with(team, "dropped 2 rows with no owner")


def test_open_deals_and_reps_without_sales():
    team = read_team(EXPORTS / "open_and_no_sales.csv", "zoho")

    assert sales_by_rep(team) == {"g1": 1000.0, "g3": 600.0}
    assert team.deals["status"].tolist() == ["won", "open", "lost", "open", "won"]
    assert "2 won, 1 lost and 2 open" in note_with(team, "from the stage")
    assert "1;" in note_with(team, "no won deal")
    assert team.deals["close_date"].isna().sum() == 1


def test_several_currencies_need_rates():
    path = EXPORTS / "currencies.csv"
    with pytest.raises(DataError) as raised:
        read_team(path, "salesforce")

    message = str(raised.value)
    assert "2 currencies (USD 3 rows, EUR 2 rows)" in message
    assert "--rates EUR=RATE" in message


def test_several_currencies_converted():
    team = read_team(EXPORTS / "currencies.csv", "salesforce", rates={"eur": 1.1})

    assert sales_by_rep(team) == {
        person_id("Hana Ito"): 3000.0,
        person_id("Ivo Berg"): pytest.approx(500 * 1.1 + 1000 * 1.1 + 3000),
    }
    note_with(team, "converted 2 amounts to USD")


# Layouts


def test_zoho_lost_stage_with_reason():
    team = read_team(EXPORTS / "zoho_day_first.csv", "zoho")

    assert team.deals["status"].tolist() == ["won", "won", "lost", "won"]


def test_headers_matched_case_insensitively(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "OWNERID,amount, closedate ,STAGENAME\nr1,10,2024-01-01,Closed Won\n"
    )

    team = read_team(path, "salesforce")

    assert sales_by_rep(team) == {"r1": 10.0}


def test_salesforce_flags_decide_status(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "OwnerId,Amount,CloseDate,StageName,IsClosed,IsWon\n"
        "r1,10,2024-01-01,Signed,true,true\n"
        "r1,20,2024-01-02,Gone,true,false\n"
        "r1,30,2024-01-03,Talking,false,false\n"
    )

    team = read_team(path, "salesforce")

    assert team.deals["status"].tolist() == ["won", "lost", "open"]
    assert "Closed and Won flags" in note_with(team, "from the")


def test_mapped_columns():
    columns = parse_column_mapping(
        "rep_id=Seller,amount=Deal value,date=Won on,stage=Result"
    )
    team = read_team(EXPORTS / "mapped.csv", "deals", columns=columns)

    assert sales_by_rep(team) == {"s-1": 2000.0, "s-2": 900.0}
    assert team.deals["status"].tolist() == ["won", "won", "lost", "won"]


def test_missing_column_lists_headers():
    with pytest.raises(DataError) as raised:
        read_team(EXPORTS / "mapped.csv", "salesforce")

    message = str(raised.value)
    assert "no column for rep_id, amount, date" in message
    assert "found: Seller, Deal value, Won on, Result" in message
    assert "--columns" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rep_id", "is not field=header"),
        ("owner=Owner", "unknown field 'owner'"),
        ("rep_id=", "is not field=header"),
    ],
)
def test_column_mapping_errors(text, problem):
    with pytest.raises(DataError, match=problem):
        parse_column_mapping(text)


def test_names_never_kept():
    team = read_team(EXPORTS / "salesforce_amounts.csv", "salesforce")
    cells = set(team.sales["rep_id"]) | set(team.deals["rep_id"])

    assert not {"Ana Lima", "Ben Okafor"} & cells
    assert all(rep.startswith("rep-") for rep in cells)


def test_owner_ids_kept_as_ids():
    team = read_team(EXPORTS / "refunds.csv", "salesforce")

    assert sorted(team.sales["rep_id"].unique()) == ["005R1", "005R2"]


def test_folder_with_one_export(tmp_path):
    (tmp_path / "report.csv").write_text("OwnerId,Amount,CloseDate\nr1,5,2024-01-01\n")

    team = read_team(tmp_path, "salesforce")

    assert isinstance(team.sales, pd.DataFrame)
    assert sales_by_rep(team) == {"r1": 5.0}


def test_folder_with_two_exports_rejected(tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("OwnerId,Amount,CloseDate\n")

    with pytest.raises(DataError, match="found a.csv, b.csv; give the file itself"):
        read_team(tmp_path, "salesforce")
