"""Parse the amounts and dates of CRM exports, which come in many written forms.

A CRM report exported to CSV writes values as the user's locale shows them:
``$1,234.50``, ``1.234,50 EUR``, ``(250.00)`` for a refund, ``15/03/2024`` or
``2024-03-15T10:22:00Z``. The parsers here accept those forms, count how many
values needed cleaning so that readers can report it in their notes. Anything
else raises a one-line :class:`DataError` naming the file, column, row and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.teamdata.tables import cell_error, counted, parse_date_value

# Currency signs mapped to ISO 4217 codes. "$" alone is read as US dollars.
CURRENCY_SIGNS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "R$": "BRL",
    "A$": "AUD",
    "AU$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "CHF": "CHF",
    "FR.": "CHF",
    "KR": "SEK",
}

_ISO_CODE = re.compile(r"^[A-Z]{3}$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NUMBER_CHARS = re.compile(r"[\d.,']+")
# Day, month and year as numbers with /, . or - between them, e.g. 15/03/2024.
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")
# A time of day followed by Z or a UTC offset, as in 2024-03-15T10:22:00+02:00.
_TIME_ZONE = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
# Excel stores dates as days since 1899-12-30; 20000-80000 covers 1954 to 2119.
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

AMOUNT_HELP = (
    "use a number such as 1234.50, optionally with a currency sign or code and "
    "thousands separators ($1,234.50, 1.234,50 EUR, (250.00) for a refund)"
)


class _AmountError(ValueError):
    """An amount that cannot be read; the message gives the reason."""


@dataclass(frozen=True)
class ParsedAmounts:
    """Amounts read from a text column.

    Attributes:
        values: float per row, NaN where the cell was empty.
        currency: ISO code per row where the cell carried a sign or code, else "".
        cleaned: rows that needed a currency sign, separator or bracket removed.
    """

    values: pd.Series
    currency: pd.Series
    cleaned: int


def parse_amount(text: str) -> tuple[float, str]:
    """Read one written amount and return its value and currency code ("" if none).

    Accepts a currency sign or ISO code before or after the number, thousands
    separators (``,`` ``.`` ``'`` or a space), a decimal comma, a leading or
    trailing minus and accounting brackets for negatives. With both ``.`` and
    ``,`` present the last one is the decimal separator. A lone ``,`` followed by
    exactly three digits is a thousands separator, otherwise a decimal comma.

    Raises:
        ValueError: the text is not an amount; the message gives the reason.
    """
    value = _SPACES.sub("", text)
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not np.isfinite(number):
            raise _AmountError("is not a finite number")
        return number, ""

    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if "-" in value:
        if value.count("-") > 1:
            raise _AmountError("has more than one minus sign")
        negative, value = True, value.replace("-", "")
    value = value.lstrip("+")

    digits = _NUMBER_CHARS.findall(value)
    if len(digits) != 1:
        raise _AmountError("is not a number")
    marker = value.replace(digits[0], " ", 1).split()
    if len(marker) > 1:
        raise _AmountError("has text on both sides of the number")
    currency = _currency_code(marker[0]) if marker else ""
    number = _parse_separated(digits[0])
    return (-number if negative else number), currency


def _currency_code(marker: str) -> str:
    upper = marker.upper()
    if upper in CURRENCY_SIGNS:
        return CURRENCY_SIGNS[upper]
    if _ISO_CODE.match(upper):
        return upper
    raise _AmountError(f"has an unknown currency sign '{marker}'")


def _parse_separated(digits: str) -> float:
    if not any(ch.isdigit() for ch in digits):
        raise _AmountError("has no digits")
    text = digits.replace("'", ",") if "'" in digits else digits
    points, commas = text.count("."), text.count(",")
    if points and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
    elif commas == 1 and len(text) - text.rfind(",") - 1 != 3:
        decimal = ","
    elif points > 1:
        decimal = ","  # 1.234.567: dots group thousands
    else:
        decimal = "."
    thousands = "," if decimal == "." else "."
    whole, _, fraction = text.partition(decimal)
    if decimal in fraction:
        raise _AmountError(f"has more than one decimal '{decimal}'")
    groups = whole.split(thousands)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise _AmountError(f"has thousands separators '{thousands}' in wrong places")
    return float("".join(groups) + ("." + fraction if fraction else ""))


def parse_amounts(frame: pd.DataFrame, column: str, name: str) -> ParsedAmounts:
    """Parse a text column of written amounts; empty cells become NaN.

    Raises:
        DataError: a value is not an amount, naming the file, column, row and value.
    """
    text = frame[column]
    parsed: dict[str, tuple[float, str]] = {}
    for value in pd.unique(text[text != ""]):
        try:
            parsed[value] = parse_amount(value)
        except _AmountError as error:
            row = int(text.index[text == value][0])
            raise cell_error(
                name, column, row, f"'{value}' {error}; {AMOUNT_HELP}"
            ) from None

    values = text.map(lambda v: parsed[v][0] if v else np.nan).astype(float)
    currency = text.map(lambda v: parsed[v][1] if v else "")
    plain = text.str.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")
    cleaned = int(((text != "") & ~plain).sum())
    return ParsedAmounts(values, currency, cleaned)


@dataclass(frozen=True)
class ParsedDates:
    """Dates read from a text column.

    Attributes:
        values: datetime64[ns] per row, midnight, NaT where the cell was empty.
        day_first: rows of the form ``dd/mm/yyyy`` read day first.
        month_first: rows of the form ``mm/dd/yyyy`` read month first.
        ambiguous: month-first rows that would also read day first.
        excel_serial: rows given as Excel day numbers.
        other: rows in another written form, such as ``15 Mar 2024``.
        utc: timestamps with a time zone (``Z`` or an offset such as ``+02:00``),
            converted to UTC before the time of day was dropped.
    """

    values: pd.Series
    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    excel_serial: int = 0
    other: int = 0
    utc: int = 0

    def notes(self, name: str, column: str) -> list[str]:
        """Describe how the non-ISO values were read, one note per form."""
        where = f"{name}: column '{column}'"
        notes = []
        if self.day_first:
            notes.append(f"{where}: read {counted(self.day_first, 'date')} day first")
        if self.month_first:
            note = f"{where}: read {counted(self.month_first, 'date')} month first"
            if self.ambiguous:
                note += (
                    f"; {self.ambiguous:,} of them would also read day first, and "
                    "no value in the column decides, so check the export's locale"
                )
            notes.append(note)
        if self.excel_serial:
            days = counted(self.excel_serial, "value")
            notes.append(f"{where}: read {days} as Excel day numbers")
        if self.other:
            words = counted(self.other, "date")
            notes.append(f"{where}: read {words} written in words")
        if self.utc:
            stamps = counted(self.utc, "timestamp")
            notes.append(
                f"{where}: converted {stamps} with a time zone to UTC before "
                "taking the date, so a date can differ from the local one"
            )
        return notes


def parse_export_dates(
    frame: pd.DataFrame, column: str, name: str, day_first: bool | None = None
) -> ParsedDates:
    """Parse a text column of dates written in any of the common export forms.

    ISO 8601 dates and timestamps (``2024-03-15``, ``2024-03-15T10:22:00Z``) are
    read as such, converting time zones to UTC. Numeric dates with ``/``, ``.`` or
    ``-`` are read in one order for the whole column. It is day first when some
    value's first number exceeds 12 and month first when some second number does.
    When no value decides, it is month first with a note, unless ``day_first``
    fixes the order. Excel day numbers and dates with month names
    are also read. Times of day are dropped.

    Raises:
        DataError: a value is not a date, or the column mixes day-first and
            month-first values.
    """
    text = frame[column]
    present = text != ""
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    values = stamps.dt.tz_localize(None)
    rest = present & values.isna()
    zoned = int((~rest & present & text.str.contains(_TIME_ZONE)).sum())

    counts = {"day_first": 0, "month_first": 0, "ambiguous": 0, "excel_serial": 0}
    serial = rest & text.str.fullmatch(_EXCEL_SERIAL)
    if serial.any():
        days = text[serial].astype(float)
        values[serial] = _EXCEL_EPOCH + pd.to_timedelta(days.round(), unit="D")
        counts["excel_serial"] = int(serial.sum())
        rest &= ~serial

    numeric = read_numeric_dates(text, rest, values, column, name, day_first)
    counts["day_first"] = numeric.day_first
    counts["month_first"] = numeric.month_first
    counts["ambiguous"] = numeric.ambiguous

    worded = rest & ~numeric.rows
    for row in text.index[worded]:
        values[row] = parse_date_value(text[row], bool(day_first), name, column, row)
    values = pd.to_datetime(values).astype("datetime64[ns]").dt.normalize()
    return ParsedDates(values, **counts, other=int(worded.sum()), utc=zoned)


@dataclass(frozen=True)
class NumericDates:
    """Counts of a column's numeric dates by the order :func:`read_numeric_dates` used.

    Attributes:
        rows: True for each row read as a numeric date.
        day_first: rows of the form ``dd/mm/yyyy`` read day first.
        month_first: rows of the form ``mm/dd/yyyy`` read month first.
        ambiguous: month-first rows that would also read day first; 0 when
            ``day_first`` was given.
    """

    rows: pd.Series
    day_first: int
    month_first: int
    ambiguous: int


def read_numeric_dates(
    text: pd.Series,
    candidates: pd.Series,
    values: pd.Series,
    column: str,
    name: str,
    day_first: bool | None,
) -> NumericDates:
    """Parse the numeric dates among ``candidates`` in one order for the column.

    Writes each parsed date into ``values`` (a datetime Series on the same index).
    Year-first values (``2024/03/15``) are always read year, month, day.

    Raises:
        DataError: a value is not a date, or the column mixes day-first and
            month-first values and ``day_first`` is None.
    """
    parts = text[candidates].str.extract(_NUMERIC_DATE).dropna()
    rows = pd.Series(False, index=text.index)
    rows[parts.index] = True
    if parts.empty:
        return NumericDates(rows, 0, 0, 0)

    year_first = parts[0].str.len() == 4
    order = numeric_date_order(text, parts, column, name, day_first)
    # NOTE: with day_first given, pandas still reads a value such as 01/28/2023
    # month first, because 28 cannot be a month, and no note counts such values.
    for row in parts.index:
        row_order = order and not year_first[row]
        values[row] = parse_date_value(text[row], row_order, name, column, row)

    ordered = int((~year_first).sum())
    # Dates that would also read day first are worth a note only when no value
    # proved the order.
    first, second = parts[0].astype(int), parts[1].astype(int)
    undecided = not (~year_first & (second > 12)).any()
    ambiguous = 0
    if not order and day_first is None and undecided:
        ambiguous = int((~year_first & (first <= 12) & (second <= 12)).sum())
    if order:
        return NumericDates(rows, ordered, 0, ambiguous)
    return NumericDates(rows, 0, ordered, ambiguous)


def numeric_date_order(
    text: pd.Series,
    parts: pd.DataFrame,
    column: str,
    name: str,
    day_first: bool | None,
) -> bool:
    """Decide day first (True) or month first (False) for a column's numeric dates.

    ``parts`` contains the three numbers of each date, as :data:`_NUMERIC_DATE`
    extracts them. A first number above 12 can only be a day, and a second number
    above 12 can only be a day too, so it proves month first. With no such value
    the column is month first. A given ``day_first`` decides without looking.

    Raises:
        DataError: the column has values of both kinds and ``day_first`` is None.
    """
    year_first = parts[0].str.len() == 4
    first, second = parts[0].astype(int), parts[1].astype(int)
    # A value with both numbers above 12 is no date; parsing it raises later.
    day_evidence = ~year_first & (first > 12) & (second <= 12)
    month_evidence = ~year_first & (second > 12) & (first <= 12)
    if day_first is not None:
        return day_first
    if day_evidence.any() and month_evidence.any():
        day_row = int(parts.index[day_evidence][0])
        month_row = int(parts.index[month_evidence][0])
        raise cell_error(
            name,
            column,
            month_row,
            f"'{text[month_row]}' reads only month first but '{text[day_row]}' "
            f"(row {day_row}) only day first; use one date order in the column "
            "(YYYY-MM-DD is safest) or pass --day-first if the export writes days "
            "first",
        )
    return bool(day_evidence.any())
