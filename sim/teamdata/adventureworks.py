"""Reader for the sales-force tables of Microsoft's AdventureWorks sample database.

AdventureWorks (Microsoft SQL Server samples, MIT licence) is a fictitious bicycle
maker with 17 salespeople: 14 Sales Representatives and 3 sales managers. The
reader expects the tables exported as UTF-8 CSV with a header row, one file per
table:

- ``sales_order_header.csv`` (Sales.SalesOrderHeader): ``SalesPersonID``,
  ``OrderDate``, ``SubTotal`` and, if present, ``SalesMonth``.
- ``sales_person.csv`` (Sales.SalesPerson joined with HumanResources.Employee):
  ``BusinessEntityID``, ``JobTitle``, ``HireDate`` and, if present, ``TerritoryID``.
- ``sales_person_quota_history.csv`` (optional): ``BusinessEntityID``,
  ``QuotaDate``, ``SalesQuota``.
- ``sales_territory_history.csv`` and ``sales_territory.csv`` (optional):
  territory assignments and territory names.

Reseller orders are booked in one batch a month, dated around the turn of the
month, so the sales month of an order is the month of ``OrderDate + 4 days``.
Quota *i* covers the three sales months that start at the sales month of its
``QuotaDate``. Only id, job title, territory, amount and date columns are read,
never names or national id numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sim.errors import DataError
from sim.teamdata.encoding import utf16_notes
from sim.teamdata.generic import check_folder, check_positive_sales
from sim.teamdata.tables import (
    QUOTA_COLUMNS,
    ROSTER_COLUMNS,
    TeamData,
    counted,
    parse_dates,
    parse_numbers,
    read_table,
    record_notes,
)

ORDERS_FILE = "sales_order_header.csv"
PEOPLE_FILE = "sales_person.csv"
QUOTAS_FILE = "sales_person_quota_history.csv"
TERRITORY_HISTORY_FILE = "sales_territory_history.csv"
TERRITORIES_FILE = "sales_territory.csv"

# Each monthly batch is dated between the 28th of one month and the 1st of the next
# (2012-01-29, 2011-07-01). Adding four days assigns it to the month whose first
# day is nearest. That gives 36 sales months, June 2011 to May 2014, each with one
# batch date or two dates a day apart.
BATCH_OFFSET = pd.Timedelta(days=4)
QUOTA_PERIOD_MONTHS = 3

_FLOAT_ID = re.compile(r"^(\d+)\.0*$")


def read_adventureworks(
    path: str | Path, *, include_managers: bool = False
) -> TeamData:
    """Read the sales force of an AdventureWorks export.

    Args:
        path: folder with the CSV files listed in the module docstring.
        include_managers: keep the sales managers (job title containing "Manager")
            as reps. By default they are excluded, because they lead the reps and
            carry only small quotas of their own.

    Returns:
        Reseller orders (``SubTotal`` on the first day of the sales month), the
        roster of salespeople and their quarterly quotas.

    Raises:
        DataError: a required file or column is missing or a value cannot be parsed.
    """
    folder = check_folder(path, ORDERS_FILE)
    if not (folder / PEOPLE_FILE).is_file():
        raise DataError(f"{folder}: {PEOPLE_FILE} not found; the reader needs it")
    notes = utf16_notes(
        folder / file
        for file in (
            ORDERS_FILE,
            PEOPLE_FILE,
            QUOTAS_FILE,
            TERRITORY_HISTORY_FILE,
            TERRITORIES_FILE,
        )
    )

    sales = _read_orders(folder / ORDERS_FILE, notes)
    roster = _read_roster(folder, notes)
    quotas = None
    if (folder / QUOTAS_FILE).is_file():
        quotas = _read_quotas(folder / QUOTAS_FILE)
    else:
        notes.append(f"{QUOTAS_FILE} not found; the team has no quota history")

    unknown = set(sales["rep_id"]) - set(roster["rep_id"])
    if unknown:
        notes.append(
            f"{ORDERS_FILE}: {counted(len(unknown), 'SalesPersonID')} not in "
            f"{PEOPLE_FILE} ({', '.join(sorted(unknown))}); their first sale "
            "stands in for a hire date"
        )

    if not include_managers:
        sales, roster, quotas = _exclude_managers(sales, roster, quotas, notes)
    check_positive_sales(sales, ORDERS_FILE)

    return TeamData(
        sales=sales.reset_index(drop=True),
        roster=roster.reset_index(drop=True),
        quotas=None if quotas is None else quotas.reset_index(drop=True),
        source=str(folder),
        format="adventureworks",
        notes=record_notes(str(folder), notes),
    )


def sales_month(dates: pd.Series) -> pd.Series:
    """Return the first day of each date's sales month, ``month(date + 4 days)``."""
    return (dates + BATCH_OFFSET).dt.to_period("M").dt.to_timestamp()


def _read_orders(path: Path, notes: list[str]) -> pd.DataFrame:
    name = path.name
    text = read_table(path, ("SalesPersonID", "OrderDate", "SubTotal"), ("SalesMonth",))
    if text.empty:
        raise DataError(f"{name}: no rows; expected one row per sales order")

    online = text["SalesPersonID"] == ""
    if online.any():
        notes.append(
            f"{name}: dropped {counted(online.sum(), 'order')} with no SalesPersonID "
            "(online orders, which no salesperson sold)"
        )
    text = text[~online]
    if text.empty:
        raise DataError(f"{name}: no rep with any sales; no order has a SalesPersonID")

    month, _ = parse_dates(text, "SalesMonth", name, allow_empty=True)
    derive = month.isna()
    if derive.any():
        ordered, _ = parse_dates(text[derive], "OrderDate", name)
        month[derive] = sales_month(ordered)
        notes.append(
            f"{name}: derived SalesMonth for {counted(derive.sum(), 'order')} as "
            "the month of OrderDate + 4 days (month-end batch booking)"
        )

    return pd.DataFrame(
        {
            "rep_id": _clean_ids(text["SalesPersonID"]),
            "date": month.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"),
            "amount": parse_numbers(text, "SubTotal", name),
        }
    )


def _read_roster(folder: Path, notes: list[str]) -> pd.DataFrame:
    path = folder / PEOPLE_FILE
    text = read_table(
        path, ("BusinessEntityID", "JobTitle", "HireDate"), ("TerritoryID",)
    )
    hired, _ = parse_dates(text, "HireDate", path.name, allow_empty=True)
    ids = _clean_ids(text["BusinessEntityID"])

    territory_ids = pd.Series(_clean_ids(text["TerritoryID"]).to_numpy(), index=ids)
    if (folder / TERRITORY_HISTORY_FILE).is_file():
        history = _latest_territories(folder / TERRITORY_HISTORY_FILE)
        # Microsoft's SalesPerson.TerritoryID swaps reps 282 and 289 relative to
        # the history table and to where their orders go, so the history wins.
        territory_ids = history.reindex(ids).fillna(territory_ids)
    else:
        notes.append(
            f"{TERRITORY_HISTORY_FILE} not found; territories come from "
            f"{PEOPLE_FILE} TerritoryID"
        )
    territory = territory_ids.replace("", pd.NA)
    if (folder / TERRITORIES_FILE).is_file():
        names = _territory_names(folder / TERRITORIES_FILE)
        territory = territory.map(lambda t: names.get(t, t), na_action="ignore")

    notes.append(
        f"{path.name}: AdventureWorks has no exit dates, so all "
        f"{counted(len(text), 'salesperson', 'salespeople')} are taken as employed "
        "to the end of the history"
    )
    roster = pd.DataFrame(
        {
            "rep_id": ids.to_numpy(),
            "hire_date": hired.to_numpy(),
            "exit_date": pd.NaT,
            "team": text["JobTitle"].replace("", pd.NA).to_numpy(),
            "territory": territory.to_numpy(),
        },
        columns=list(ROSTER_COLUMNS),
    )
    roster["exit_date"] = roster["exit_date"].astype("datetime64[ns]")
    return roster


def _latest_territories(path: Path) -> pd.Series:
    text = read_table(path, ("BusinessEntityID", "TerritoryID", "StartDate"))
    start, _ = parse_dates(text, "StartDate", path.name)
    latest = (
        pd.DataFrame(
            {
                "rep_id": _clean_ids(text["BusinessEntityID"]),
                "territory": _clean_ids(text["TerritoryID"]),
                "start": start,
            }
        )
        .sort_values("start")
        .groupby("rep_id")
        .last()
    )
    return latest["territory"]


def _territory_names(path: Path) -> dict[str, str]:
    text = read_table(path, ("TerritoryID", "Name"))
    return dict(zip(_clean_ids(text["TerritoryID"]), text["Name"], strict=True))


def _read_quotas(path: Path) -> pd.DataFrame:
    name = path.name
    text = read_table(path, ("BusinessEntityID", "QuotaDate", "SalesQuota"))
    quota_date, _ = parse_dates(text, "QuotaDate", name)
    start = sales_month(quota_date)
    end = start + pd.DateOffset(months=QUOTA_PERIOD_MONTHS) - pd.Timedelta(days=1)
    quotas = pd.DataFrame(
        {
            "rep_id": _clean_ids(text["BusinessEntityID"]),
            "period_start": start.astype("datetime64[ns]"),
            "period_end": end.astype("datetime64[ns]"),
            "quota": parse_numbers(text, "SalesQuota", name, allow_negative=False),
        },
        columns=list(QUOTA_COLUMNS),
    )
    return quotas


def _exclude_managers(
    sales: pd.DataFrame,
    roster: pd.DataFrame,
    quotas: pd.DataFrame | None,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    is_manager = roster["team"].str.contains("Manager", case=False, na=False)
    managers = set(roster.loc[is_manager, "rep_id"])
    if not managers:
        return sales, roster, quotas

    their_sales = sales["rep_id"].isin(managers)
    quota_rows = 0
    if quotas is not None:
        their_quotas = quotas["rep_id"].isin(managers)
        quota_rows = int(their_quotas.sum())
        quotas = quotas[~their_quotas]
    ids = ", ".join(sorted(managers))
    notes.append(
        f"excluded {len(managers)} sales managers ({ids}; JobTitle contains "
        f"'Manager'): {counted(their_sales.sum(), 'order')} with SubTotal "
        f"{sales.loc[their_sales, 'amount'].sum():,.2f} and "
        f"{counted(quota_rows, 'quota row')}; read with include_managers=True to "
        "keep them"
    )
    return sales[~their_sales], roster[~is_manager], quotas


def _clean_ids(ids: pd.Series) -> pd.Series:
    """Strip the ``.0`` that a float export adds to integer ids ("279.0" -> "279")."""
    return ids.str.replace(_FLOAT_ID, r"\1", regex=True)
