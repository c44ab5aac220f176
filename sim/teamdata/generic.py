"""Reader for the generic format: a folder of sales.csv, roster.csv and quotas.csv.

The format is specified in ``docs/team-data.md``; this module enforces it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import DataError
from sim.teamdata.tables import (
    QUOTA_COLUMNS,
    ROSTER_COLUMNS,
    SALES_COLUMNS,
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


def read_generic(path: str | Path) -> TeamData:
    """Read a team from a folder in the generic format.

    Args:
        path: folder that contains ``sales.csv`` and optionally ``roster.csv`` and
            ``quotas.csv``.

    Returns:
        The team's sales, roster and quotas, with notes on what was dropped or kept.

    Raises:
        DataError: the folder or a required file or column is missing, a value cannot
            be parsed, or no rep has any sales.
    """
    folder = check_folder(path, SALES_FILE)
    notes: list[str] = []
    sales = _read_sales(folder / SALES_FILE, notes)

    roster = None
    if (folder / ROSTER_FILE).is_file():
        roster = _read_roster(folder / ROSTER_FILE, notes)
        _note_unlisted_reps(sales, roster, notes)

    quotas = None
    if (folder / QUOTAS_FILE).is_file():
        quotas = _read_quotas(folder / QUOTAS_FILE, notes)

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


def _read_sales(path: Path, notes: list[str]) -> pd.DataFrame:
    name = path.name
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
            f"{name}: no rep with any sales; every row ({rows:,}) has an empty rep_id"
        )

    # Counted on the text as read. Two identical orders can be real, so they are
    # kept, but the note lets the user find double entries.
    duplicates = int(text.duplicated().sum())
    if duplicates:
        notes.append(
            f"{name}: kept {counted(duplicates, 'exact duplicate row')} (same "
            "values as an earlier row); remove them if they are double entries"
        )

    dates, fallback = parse_dates(text, "date", name)
    if fallback:
        notes.append(_fallback_note(name, "date", fallback))
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
            f"rep ({len(totals):,})"
        )


def _read_roster(path: Path, notes: list[str]) -> pd.DataFrame:
    name = path.name
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

    hire, hire_fallback = parse_dates(text, "hire_date", name, allow_empty=True)
    exit_, exit_fallback = parse_dates(text, "exit_date", name, allow_empty=True)
    for column, count in (("hire_date", hire_fallback), ("exit_date", exit_fallback)):
        if count:
            notes.append(_fallback_note(name, column, count))
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


def _read_quotas(path: Path, notes: list[str]) -> pd.DataFrame:
    name = path.name
    text = read_table(path, QUOTA_COLUMNS)
    text = drop_missing_reps(text, name, notes)

    start, start_fallback = parse_dates(text, "period_start", name)
    end, end_fallback = parse_dates(text, "period_end", name)
    for column, count in (
        ("period_start", start_fallback),
        ("period_end", end_fallback),
    ):
        if count:
            notes.append(_fallback_note(name, column, count))
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


def _fallback_note(name: str, column: str, count: int) -> str:
    return (
        f"{name}: column '{column}': {counted(count, 'value')} not in YYYY-MM-DD "
        "form, read month first (05/01/2020 = 1 May 2020)"
    )
