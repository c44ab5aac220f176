"""The in-memory form of a team's history and the CSV parsing that readers share.

Every reader turns its files into a :class:`TeamData` with the same three tables.
The helpers here read CSV files as text and parse one column at a time, so that an
error names the file, the column, the row and the value.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.teamdata.encoding import detect_encoding

logger = logging.getLogger(__name__)

SALES_COLUMNS = ("rep_id", "date", "amount")
ROSTER_COLUMNS = ("rep_id", "hire_date", "exit_date", "team", "territory")
QUOTA_COLUMNS = ("rep_id", "period_start", "period_end", "quota")
DEAL_COLUMNS = ("rep_id", "deal_id", "status", "created_date", "close_date", "amount")
# Values of ``TeamData.deals["status"]``.
DEAL_STATUSES = ("won", "lost", "open")

# Row numbers in messages count the header as row 1, as a spreadsheet does, so the
# first data row is row 2.
FIRST_DATA_ROW = 2

_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
_EARLIEST = pd.Timestamp("1678-01-01")
_LATEST = pd.Timestamp("2261-12-31")


@dataclass(frozen=True, eq=False)
class TeamData:
    """One sales team's history: orders, and optionally its roster and quotas.

    Attributes:
        sales: one row per order or deal, with columns ``rep_id`` (str), ``date``
            (datetime64[ns]) and ``amount`` (float, refunds negative).
        roster: one row per rep with ``rep_id``, ``hire_date``, ``exit_date`` (NaT
            while employed), ``team`` and ``territory``; None when not given.
        quotas: one row per rep and quota period with ``rep_id``, ``period_start``,
            ``period_end`` (both inclusive) and ``quota`` (currency); None when not
            given.
        source: the folder that was read.
        format: the reader's name, ``"generic"`` or ``"adventureworks"``.
        notes: what the reader dropped or changed and why, with counts.
        deals: one row per opportunity with ``rep_id``, ``deal_id``, ``status``
            (``won``, ``lost`` or ``open``), ``created_date``, ``close_date`` (NaT
            when unknown) and ``amount`` (NaN when unknown); None for sources that
            record orders only.
    """

    sales: pd.DataFrame
    roster: pd.DataFrame | None
    quotas: pd.DataFrame | None
    source: str
    format: str
    notes: tuple[str, ...] = ()
    deals: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        # A reader that builds a table with other columns is a bug, not user input.
        _check_columns("sales", self.sales, SALES_COLUMNS)
        if self.roster is not None:
            _check_columns("roster", self.roster, ROSTER_COLUMNS)
        if self.quotas is not None:
            _check_columns("quotas", self.quotas, QUOTA_COLUMNS)
        if self.deals is not None:
            _check_columns("deals", self.deals, DEAL_COLUMNS)

    @property
    def rep_ids(self) -> list[str]:
        """Rep ids found in the sales or the roster, in natural order."""
        ids = set(self.sales["rep_id"])
        if self.roster is not None:
            ids |= set(self.roster["rep_id"])
        return sorted(ids, key=rep_sort_key)


def _check_columns(name: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    if tuple(frame.columns) != columns:
        raise TypeError(f"TeamData.{name} must have columns {columns}")


def rep_sort_key(rep_id: str) -> tuple[int, int | str]:
    """Sort numeric rep ids by number ("9" before "10") and others as text after."""
    if rep_id.isdigit():
        return (0, int(rep_id))
    return (1, rep_id)


def read_table(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read a CSV file as text and keep the required and optional columns.

    Every cell is a stripped string, empty when blank. Lines that are entirely blank
    are dropped, and the index keeps each row's spreadsheet row number (header = 1).
    Other columns are ignored. Missing optional columns come back empty.

    Raises:
        DataError: the file is empty, not UTF-8, not valid CSV or lacks a required
            column.
    """
    name = path.name
    found = [str(c).strip() for c in _read_csv(path, required, nrows=0).columns]
    missing = [column for column in required if column not in found]
    if missing:
        raise DataError(
            f"{name}: missing column {', '.join(repr(c) for c in missing)}; "
            f"found: {', '.join(found)}; required: {', '.join(required)}"
        )

    # Only the named columns are parsed, so columns a reader must not see (such as
    # people's names in a database export) never enter memory.
    wanted = [column for column in (*required, *optional) if column in found]
    frame = _read_csv(
        path,
        required,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        usecols=lambda column: column.strip() in wanted,
    )
    frame.columns = [column.strip() for column in frame.columns]
    frame = frame[wanted].fillna("")
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    for column in wanted:
        frame[column] = frame[column].str.strip()
    frame = frame[(frame != "").any(axis=1)].copy()
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    return frame


def read_header(path: Path) -> list[str]:
    """Return the column names of a CSV file, stripped of spaces.

    Raises:
        DataError: the file is empty, not UTF-8 or UTF-16, or not valid CSV.
    """
    return [str(c).strip() for c in _read_csv(path, ("a header",), nrows=0).columns]


def _read_csv(path: Path, required: tuple[str, ...], **options) -> pd.DataFrame:
    name = path.name
    try:
        return pd.read_csv(path, encoding=detect_encoding(path), **options)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{name}: file is empty; expected a header row with columns "
            f"{', '.join(required)}"
        ) from None
    except UnicodeDecodeError as error:
        raise DataError(
            f"{name}: not valid {error.encoding} at byte {error.start}; save the "
            "file as UTF-8 or UTF-16"
        ) from None
    except pd.errors.ParserError as error:
        detail = str(error).strip().splitlines()[-1]
        raise DataError(f"{name}: not valid CSV ({detail})") from None


def cell_error(name: str, column: str, row: int, problem: str) -> DataError:
    """Build the one-line error for a bad cell: file, column, row, problem."""
    return DataError(f"{name}: column '{column}' row {row}: {problem}")


def parse_dates(
    frame: pd.DataFrame,
    column: str,
    name: str,
    *,
    allow_empty: bool = False,
    day_first: bool | None = None,
) -> tuple[pd.Series, DateReading]:
    """Parse a text column of dates into datetime64[ns].

    ``YYYY-MM-DD`` is the documented form and ``YYYY-MM`` means the first day of the
    month. Numeric dates such as ``05/01/2020`` are read in one order for the whole
    column, decided as :func:`sim.teamdata.cleaning.numeric_date_order` does: day
    first when some first number exceeds 12, month first otherwise, unless
    ``day_first`` fixes it. Anything else goes to pandas. Times of day are dropped
    and time zones converted to UTC.

    Returns:
        The parsed dates (NaT for empty cells when ``allow_empty``) and how the
        values not in ``YYYY-MM-DD`` or ``YYYY-MM`` form were read.

    Raises:
        DataError: a value cannot be parsed, is empty when not allowed, or the
            column mixes day-first and month-first values.
    """
    # cleaning imports this module, so importing it at the top would be circular.
    from sim.teamdata.cleaning import read_numeric_dates

    text = frame[column]
    empty = text == ""
    if empty.any() and not allow_empty:
        row = int(text.index[empty][0])
        raise cell_error(name, column, row, "date is empty; use YYYY-MM-DD")

    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    months = dates.isna() & text.str.match(_ISO_MONTH)
    dates[months] = pd.to_datetime(text[months], format="%Y-%m")

    rest = dates.isna() & ~empty
    numeric = read_numeric_dates(text, rest, dates, column, name, day_first)
    for row, value in text[rest & ~numeric.rows].items():
        dates[row] = parse_date_value(value, bool(day_first), name, column, row)

    # TeamData stores datetime64[ns], which spans the years 1678 to 2261 only.
    outside = dates.notna() & ((dates < _EARLIEST) | (dates > _LATEST))
    if outside.any():
        row = int(text.index[outside][0])
        raise cell_error(
            name,
            column,
            row,
            f"date '{text[row]}' is outside {_EARLIEST:%Y-%m-%d} to {_LATEST:%Y-%m-%d}",
        )
    dates = dates.astype("datetime64[ns]").dt.normalize()
    reading = DateReading(
        other_form=int(rest.sum()),
        day_first=numeric.day_first,
        month_first=numeric.month_first,
        ambiguous=numeric.ambiguous,
        forced=day_first is not None,
    )
    return dates, reading


@dataclass(frozen=True)
class DateReading:
    """Counts of non-ISO values in a column, by how :func:`parse_dates` read them.

    Attributes:
        other_form: values not in ``YYYY-MM-DD`` or ``YYYY-MM`` form.
        day_first: numeric dates read day first (``05/01/2020`` is 5 January).
        month_first: numeric dates read month first (``05/01/2020`` is 1 May).
        ambiguous: month-first dates that would also read day first, when no
            value in the column decided the order.
        forced: whether the caller fixed the order with ``day_first``.
    """

    other_form: int = 0
    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    forced: bool = False

    def note(self, name: str, column: str) -> str | None:
        """Describe the values not in ISO form and their date order, or None."""
        if not self.other_form:
            return None
        note = (
            f"{name}: column '{column}': {counted(self.other_form, 'value')} not in "
            "YYYY-MM-DD form"
        )
        if self.day_first:
            reason = "because a first number above 12 can only be a day"
            if self.forced:
                reason = "as --day-first requests"
            note += f"; read {counted(self.day_first, 'numeric date')} day first "
            note += f"(05/01/2020 = 5 January 2020) {reason}"
        if self.month_first:
            note += f"; read {counted(self.month_first, 'numeric date')} month first "
            note += "(05/01/2020 = 1 May 2020)"
            if self.ambiguous:
                note += (
                    " because no value in the column decides the order; pass "
                    "--day-first if the file writes days first"
                )
            elif not self.forced:
                note += " because a second number above 12 can only be a day"
        return note


def parse_date_value(
    value: str, day_first: bool, name: str, column: str, row: int
) -> pd.Timestamp:
    """Parse one non-ISO date in a decided order; offsets become naive UTC.

    Raises:
        DataError: the value is not a date, naming file, column and row.
    """
    try:
        with warnings.catch_warnings():
            # pandas warns that it guesses the format of each value; the caller
            # reports the count of non-ISO dates in a note instead.
            warnings.simplefilter("ignore", UserWarning)
            stamp = pd.to_datetime(value, dayfirst=day_first)
    except (ValueError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise cell_error(
            name, column, row, f"cannot parse date '{value}'; use YYYY-MM-DD"
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


# Largest amount accepted in one row: far above any real deal, and far enough below
# float64's range that sums over many rows stay finite.
MAX_AMOUNT = 1e15


def parse_numbers(
    frame: pd.DataFrame, column: str, name: str, *, allow_negative: bool = True
) -> pd.Series:
    """Parse a text column into finite floats.

    Raises:
        DataError: a value is empty, not a number, infinite, above
            ``MAX_AMOUNT`` in size, or negative when ``allow_negative`` is false.
    """
    text = frame[column]
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        row = int(text.index[bad][0])
        value = text[row]
        problem = (
            "value is empty; give a number"
            if value == ""
            else f"'{value}' is not a finite number; use digits with a '.' "
            "for decimals and no currency sign or thousands separator"
        )
        raise cell_error(name, column, row, problem)
    huge = numbers.abs() > MAX_AMOUNT
    if huge.any():
        row = int(text.index[huge][0])
        raise cell_error(
            name,
            column,
            row,
            f"'{text[row]}' is too large; amounts above {MAX_AMOUNT:.0e} would "
            "overflow team totals; check the column or its units",
        )
    if not allow_negative and (numbers < 0).any():
        row = int(text.index[numbers < 0][0])
        raise cell_error(
            name, column, row, f"'{text[row]}' is negative; must be 0 or more"
        )
    return numbers


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Format a count with its noun: ``counted(1, "row")`` is "1 row", 2 "2 rows"."""
    noun = singular if count == 1 else plural or f"{singular}s"
    return f"{count:,} {noun}"


def drop_missing_reps(frame: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    """Drop rows whose ``rep_id`` is empty and record their count in ``notes``."""
    empty = frame["rep_id"] == ""
    if empty.any():
        notes.append(f"{name}: dropped {counted(empty.sum(), 'row')} with no rep_id")
    return frame[~empty]


def record_notes(source: str, notes: list[str]) -> tuple[str, ...]:
    """Log each note at INFO level and return them as a tuple for TeamData.

    Each log line starts with ``source``. A note that starts with the source's own
    file name (a one-file export) loses that prefix in the log, so the name
    appears once.
    """
    prefix = f"{Path(source).name}: "
    for note in notes:
        logger.info("%s: %s", source, note.removeprefix(prefix))
    return tuple(notes)
