"""Reader for the generic format: a folder of sales.csv, roster.csv and quotas.csv.

The format is specified in ``docs/team-data.md``; this module enforces it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import DataError
from sim.teamdata.encoding import utf16_notes
from sim.teamdata.tables import (
    QUOTA_COLUMNS,
    ROSTER_COLUMNS,
    SALES_COLUMNS,
    DateReading,
    TeamData,
    cell_error,
    counted,
    drop_missing_reps,
    parse_dates,
    parse_numbers,
    read_table,
    record_notes,
)

SALES_FILE = "sales.csv"
ROSTER_FILE = "roster.csv"
QUOTAS_FILE = "quotas.csv"


def read_generic(path: str | Path, *, day_first: bool | None = None) -> TeamData:
    """Read a team from a folder in the generic format.

    Args:
        path: folder that contains ``sales.csv`` and optionally ``roster.csv`` and
            ``quotas.csv``.
        day_first: the order of numeric dates such as ``05/01/2023`` in every
            column; None decides it per column from the values.

    Returns:
        The team's sales, roster and quotas, with notes on what was dropped or kept.

    Raises:
        DataError: the folder or a required file or column is missing, a value cannot
            be parsed, a date column mixes day-first and month-first values, or no
            rep has any sales.
    """
    folder = check_folder(path, SALES_FILE)
    notes: list[str] = []
    sales = _read_sales(folder / SALES_FILE, notes, day_first)

    roster = None
    if (folder / ROSTER_FILE).is_file():
        roster = _read_roster(folder / ROSTER_FILE, notes, day_first)
        _note_unlisted_reps(sales, roster, notes)

    quotas = None
    if (folder / QUOTAS_FILE).is_file():
        quotas = _read_quotas(folder / QUOTAS_FILE, notes, day_first)

    return TeamData(
        sales=sales,
        roster=roster,
        quotas=quotas,
        source=str(folder),
        format="generic",
        notes=record_notes(str(folder), notes),
    )


def check_folder(path: str | Path, required_file: str) -> Path:
    """Return ``path`` as a Path after checking it is a folder with the main file.

    Raises:
        DataError: the path does not exist, is a file, or lacks ``required_file``.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError(f"team data folder not found: {folder}")
    if not folder.is_dir():
        raise DataError(
            f"{folder} is a file; give the folder that contains {required_file}"
        )
    if not (folder / required_file).is_file():
        found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise DataError(f"{folder}: {required_file} not found; the folder has {found}")
    return folder


def _read_sales(path: Path, notes: list[str], day_first: bool | None) -> pd.DataFrame:
    name = path.name
    _note_encoding(path, notes)
    text = read_table(path, SALES_COLUMNS)
    if text.empty:
        raise DataError(
            f"{name}: no rows; expected one row per order with "
            f"{', '.join(SALES_COLUMNS)}"
        )

    rows = len(text)
    text = drop_missing_reps(text, name, notes)
    if text.empty:
        raise DataError(
            f"{name}: no rep with any sales; every row has an empty rep_id "
            f"({counted(rows, 'row')})"
        )

    # Counted on the text as read. Two identical orders can be real, so they are
    # kept, but the note lets the user find double entries.
    duplicates = int(text.duplicated().sum())
    if duplicates:
        notes.append(
            f"{name}: kept {counted(duplicates, 'exact duplicate row')} (same "
            "values as an earlier row); remove them if they are double entries"
        )

    dates, reading = parse_dates(text, "date", name, day_first=day_first)
    _note_reading(reading, name, "date", notes)
    amounts = parse_numbers(text, "amount", name)
    sales = pd.DataFrame(
        {"rep_id": text["rep_id"], "date": dates, "amount": amounts}
    ).reset_index(drop=True)

    refunds = sales["amount"] < 0
    if refunds.any():
        notes.append(
            f"{name}: kept {counted(refunds.sum(), 'negative amount')} (refunds, total "
            f"{sales.loc[refunds, 'amount'].sum():,.2f}), netted in each rep's sales"
        )
    check_positive_sales(sales, name)
    return sales


def check_positive_sales(sales: pd.DataFrame, name: str) -> None:
    """Raise DataError unless at least one rep has positive net sales."""
    totals = sales.groupby("rep_id")["amount"].sum()
    if not (totals > 0).any():
        raise DataError(
            f"{name}: no rep with any sales; net sales are 0 or negative for every "
            f"rep ({counted(len(totals), 'rep')})"
        )


def _read_roster(path: Path, notes: list[str], day_first: bool | None) -> pd.DataFrame:
    name = path.name
    _note_encoding(path, notes)
    text = read_table(path, ("rep_id", "hire_date"), ("exit_date", "team", "territory"))
    text = drop_missing_reps(text, name, notes)

    repeated = text["rep_id"].duplicated()
    if repeated.any():
        row = int(text.index[repeated][0])
        raise cell_error(
            name,
            "rep_id",
            row,
            f"rep '{text.loc[row, 'rep_id']}' is listed twice; give one row per rep",
        )

    hire, hire_reading = parse_dates(
        text, "hire_date", name, allow_empty=True, day_first=day_first
    )
    exit_, exit_reading = parse_dates(
        text, "exit_date", name, allow_empty=True, day_first=day_first
    )
    _note_reading(hire_reading, name, "hire_date", notes)
    _note_reading(exit_reading, name, "exit_date", notes)
    no_hire = int(hire.isna().sum())
    if no_hire:
        notes.append(
            f"{name}: no hire_date for {counted(no_hire, 'rep')}; their first sale "
            "stands in"
        )

    early = exit_ < hire
    if early.any():
        row = int(text.index[early][0])
        raise cell_error(
            name,
            "exit_date",
            row,
            f"exit_date '{text.loc[row, 'exit_date']}' is before hire_date "
            f"'{text.loc[row, 'hire_date']}'",
        )

    roster = pd.DataFrame(
        {
            "rep_id": text["rep_id"],
            "hire_date": hire,
            "exit_date": exit_,
            "team": text["team"].replace("", pd.NA),
            "territory": text["territory"].replace("", pd.NA),
        },
        columns=list(ROSTER_COLUMNS),
    )
    return roster.reset_index(drop=True)


def _read_quotas(path: Path, notes: list[str], day_first: bool | None) -> pd.DataFrame:
    name = path.name
    _note_encoding(path, notes)
    text = read_table(path, QUOTA_COLUMNS)
    text = drop_missing_reps(text, name, notes)

    start, start_reading = parse_dates(text, "period_start", name, day_first=day_first)
    end, end_reading = parse_dates(text, "period_end", name, day_first=day_first)
    _note_reading(start_reading, name, "period_start", notes)
    _note_reading(end_reading, name, "period_end", notes)
    backwards = end < start
    if backwards.any():
        row = int(text.index[backwards][0])
        raise cell_error(
            name,
            "period_end",
            row,
            f"period_end '{text.loc[row, 'period_end']}' is before period_start "
            f"'{text.loc[row, 'period_start']}'",
        )

    quota = parse_numbers(text, "quota", name, allow_negative=False)
    quotas = pd.DataFrame(
        {"rep_id": text["rep_id"], "period_start": start, "period_end": end}
    )
    quotas["quota"] = quota
    return quotas.reset_index(drop=True)


def _note_unlisted_reps(
    sales: pd.DataFrame, roster: pd.DataFrame, notes: list[str]
) -> None:
    unlisted = set(sales["rep_id"]) - set(roster["rep_id"])
    if unlisted:
        notes.append(
            f"{SALES_FILE}: {counted(len(unlisted), 'rep')} not in {ROSTER_FILE}; "
            "their first and last sales stand in for hire and exit"
        )


def _note_reading(
    reading: DateReading, name: str, column: str, notes: list[str]
) -> None:
    note = reading.note(name, column)
    if note:
        notes.append(note)


def _note_encoding(path: Path, notes: list[str]) -> None:
    notes.extend(utf16_notes([path]))
