"""Reader for the orders and sales employees of Microsoft's Northwind sample database.

Northwind Traders (Microsoft SQL Server samples, MIT licence) is a fictitious
food wholesaler. The reader expects the tables exported as CSV with a header row:

- ``orders.csv``: ``orderID``, ``employeeID``, ``orderDate``;
- ``order_details.csv``: ``orderID``, ``unitPrice``, ``quantity``, ``discount``;
- ``employees.csv`` (optional): ``employeeID``, ``title``, ``hireDate``;
- ``employee_territories.csv``, ``territories.csv`` and ``regions.csv``
  (optional): each employee's region.

An order's amount is the sum over its lines of unit price x quantity x (1 -
discount), which totals 1,265,793.04 over the 830 orders. Names, addresses and
birth dates are never read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import DataError
from sim.teamdata.encoding import utf16_notes
from sim.teamdata.generic import check_folder, check_positive_sales
from sim.teamdata.tables import (
    ROSTER_COLUMNS,
    TeamData,
    counted,
    parse_dates,
    parse_numbers,
    read_table,
    record_notes,
)

ORDERS_FILE = "orders.csv"
LINES_FILE = "order_details.csv"
EMPLOYEES_FILE = "employees.csv"
ASSIGNMENTS_FILE = "employee_territories.csv"
TERRITORIES_FILE = "territories.csv"
REGIONS_FILE = "regions.csv"

# Titles of people who lead the sales force rather than carry a quota.
MANAGER_TITLES = ("manager", "vice president")


def read_northwind(path: str | Path, *, include_managers: bool = False) -> TeamData:
    """Read Northwind's orders per sales employee.

    Args:
        path: folder with the CSV files listed in the module docstring.
        include_managers: keep employees whose title contains "Manager" or
            "Vice President" as reps. By default they are excluded with a note.

    Returns:
        One sale per order, dated by ``orderDate``, and a roster with hire dates
        and regions; no quotas.

    Raises:
        DataError: a required file or column is missing or a value cannot be read.
    """
    folder = check_folder(path, ORDERS_FILE)
    if not (folder / LINES_FILE).is_file():
        raise DataError(f"{folder}: {LINES_FILE} not found; the reader needs it")
    notes = utf16_notes(
        folder / file
        for file in (
            ORDERS_FILE,
            LINES_FILE,
            EMPLOYEES_FILE,
            ASSIGNMENTS_FILE,
            TERRITORIES_FILE,
            REGIONS_FILE,
        )
    )
    sales = _read_orders(folder, notes)

    roster = None
    if (folder / EMPLOYEES_FILE).is_file():
        roster = _read_employees(folder, notes)
        if not include_managers:
            sales, roster = _exclude_managers(sales, roster, notes)
    else:
        notes.append(f"{EMPLOYEES_FILE} not found; no roster")
    check_positive_sales(sales, ORDERS_FILE)
    return TeamData(
        sales=sales.reset_index(drop=True),
        roster=roster,
        quotas=None,
        source=str(folder),
        format="northwind",
        notes=record_notes(str(folder), notes),
    )


def _read_orders(folder: Path, notes: list[str]) -> pd.DataFrame:
    orders = read_table(folder / ORDERS_FILE, ("orderID", "employeeID", "orderDate"))
    no_employee = orders["employeeID"] == ""
    if no_employee.any():
        notes.append(
            f"{ORDERS_FILE}: dropped {counted(int(no_employee.sum()), 'order')} "
            "with no employeeID"
        )
    orders = orders[~no_employee]
    dates, _ = parse_dates(orders, "orderDate", ORDERS_FILE)

    lines = read_table(
        folder / LINES_FILE, ("orderID", "unitPrice", "quantity", "discount")
    )
    value = (
        parse_numbers(lines, "unitPrice", LINES_FILE)
        * parse_numbers(lines, "quantity", LINES_FILE)
        * (1.0 - parse_numbers(lines, "discount", LINES_FILE))
    )
    totals = value.groupby(lines["orderID"]).sum()
    amount = orders["orderID"].map(totals)
    no_lines = amount.isna()
    if no_lines.any():
        notes.append(
            f"{ORDERS_FILE}: dropped {counted(int(no_lines.sum()), 'order')} with "
            f"no lines in {LINES_FILE}"
        )
    return pd.DataFrame(
        {
            "rep_id": orders["employeeID"],
            "date": dates,
            "amount": amount,
        }
    )[~no_lines]


def _read_employees(folder: Path, notes: list[str]) -> pd.DataFrame:
    path = folder / EMPLOYEES_FILE
    text = read_table(path, ("employeeID", "title", "hireDate"))
    hired, _ = parse_dates(text, "hireDate", path.name, allow_empty=True)
    regions = _regions(folder)
    roster = pd.DataFrame(
        {
            "rep_id": text["employeeID"].to_numpy(),
            "hire_date": hired.to_numpy(),
            "exit_date": pd.NaT,
            "team": text["title"].replace("", pd.NA).to_numpy(),
            "territory": text["employeeID"].map(regions).to_numpy(),
        },
        columns=list(ROSTER_COLUMNS),
    )
    roster["exit_date"] = roster["exit_date"].astype("datetime64[ns]")
    notes.append(
        f"{EMPLOYEES_FILE}: Northwind has no exit dates, so all "
        f"{counted(len(roster), 'employee')} are taken as employed to the end"
    )
    return roster


def _regions(folder: Path) -> dict[str, str]:
    """Map each employee to the region of their territories."""
    files = (ASSIGNMENTS_FILE, TERRITORIES_FILE, REGIONS_FILE)
    if not all((folder / name).is_file() for name in files):
        return {}
    assignments = read_table(folder / ASSIGNMENTS_FILE, ("employeeID", "territoryID"))
    territories = read_table(folder / TERRITORIES_FILE, ("territoryID", "regionID"))
    regions = read_table(folder / REGIONS_FILE, ("regionID", "regionDescription"))
    region_of = territories.set_index("territoryID")["regionID"].map(
        regions.set_index("regionID")["regionDescription"]
    )
    named = assignments["territoryID"].map(region_of)
    # Each employee's territories lie in one region; the most common one is kept.
    return (
        named.groupby(assignments["employeeID"])
        .agg(lambda values: values.mode().iat[0] if values.notna().any() else pd.NA)
        .to_dict()
    )


def _exclude_managers(
    sales: pd.DataFrame, roster: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    title = roster["team"].fillna("").str.casefold()
    is_manager = title.str.contains("|".join(MANAGER_TITLES))
    managers = set(roster.loc[is_manager, "rep_id"])
    if not managers:
        return sales, roster
    theirs = sales["rep_id"].isin(managers)
    notes.append(
        f"excluded {counted(len(managers), 'employee')} whose title names a "
        f"manager or vice president ({', '.join(sorted(managers))}): "
        f"{counted(int(theirs.sum()), 'order')} with amount "
        f"{sales.loc[theirs, 'amount'].sum():,.2f}; read with include_managers=True "
        "to keep them"
    )
    return sales[~theirs], roster[~is_manager].reset_index(drop=True)
