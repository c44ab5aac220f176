"""Read an opportunity or deal report exported from a CRM as one CSV file.

A :class:`ExportLayout` names, for each field QuotaLab needs, the column headers a
CRM uses for it. :func:`read_deal_export` matches headers case-insensitively and
cleans the values real exports contain (currency signs, thousands separators,
several date forms, UTF-16). Its :class:`TeamData` has the won deals as sales,
dated by their close date, and keeps every opportunity in ``deals`` for win rates
and sales cycles. Every row dropped or value changed is counted in the notes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.teamdata.cleaning import parse_amounts, parse_export_dates
from sim.teamdata.encoding import encoding_note
from sim.teamdata.generic import check_positive_sales
from sim.teamdata.tables import (
    DEAL_COLUMNS,
    SALES_COLUMNS,
    TeamData,
    counted,
    read_header,
    read_table,
    record_notes,
)

# Fields of a deal export. The first three are required.
REQUIRED_FIELDS = ("rep_id", "amount", "date")
OPTIONAL_FIELDS = (
    "stage",
    "created_date",
    "deal_id",
    "currency",
    "is_closed",
    "is_won",
)
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

TRUE_VALUES = {"true", "1", "yes", "y", "t", "x"}
_LOOKS_LIKE_NAME = re.compile(r"[^\W\d_].*\s|@")


@dataclass(frozen=True)
class ExportLayout:
    """The column headers and stage values of one CRM's deal export.

    Attributes:
        name: the format name, as given to ``--format``.
        columns: for each field of :data:`FIELDS`, the accepted headers (the UI
            label and the API name), matched case-insensitively.
        id_headers: headers whose owner values are ids (an API name such as
            ``OwnerId``); owner values under other headers are people's names.
        won_stages: stage values, lower case, that mean the deal was won.
        lost_stages: stage values, lower case, that mean the deal was lost.
        lost_prefix: a stage starting with this text is lost too, for CRMs that
            add reasons ("Closed-Lost to Competition"); "" for none.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    id_headers: frozenset[str] = frozenset()
    won_stages: frozenset[str] = frozenset({"won", "closed won", "closedwon"})
    lost_stages: frozenset[str] = frozenset({"lost", "closed lost", "closedlost"})
    lost_prefix: str = ""
    source: str = field(default="", compare=False)


def parse_column_mapping(text: str) -> dict[str, str]:
    """Parse ``rep_id=Owner,amount=Value`` into ``{"rep_id": "Owner", ...}``.

    Raises:
        DataError: an entry is not ``field=header`` or names an unknown field.
    """
    mapping: dict[str, str] = {}
    for entry in text.split(","):
        key, sep, header = (part.strip() for part in entry.partition("="))
        if not sep or not key or not header:
            raise DataError(
                f"--columns: entry '{entry.strip()}' is not field=header; "
                "write for example rep_id=Owner,amount=Value,date=Close Date"
            )
        if key not in FIELDS:
            raise DataError(
                f"--columns: unknown field '{key}'; valid: {', '.join(FIELDS)}"
            )
        mapping[key] = header
    return mapping


def with_columns(layout: ExportLayout, columns: Mapping[str, str]) -> ExportLayout:
    """Return ``layout`` with the given headers taking precedence per field.

    Owner values under a header given here count as ids unless they look like
    names (a letter followed by a space, or an e-mail address).
    """
    merged = dict(layout.columns)
    for key, header in columns.items():
        merged[key] = (header,)
    ids = layout.id_headers | {columns["rep_id"]} if "rep_id" in columns else None
    return replace(layout, columns=merged, id_headers=ids or layout.id_headers)


def export_file(path: str | Path, format: str) -> Path:
    """Return the CSV file to read: ``path`` itself, or the only CSV in a folder.

    Raises:
        DataError: the path does not exist, or a folder has no or several CSVs.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{format} export not found: {path}")
    if path.is_file():
        return path
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise DataError(
            f"{path}: expected one CSV file of a {format} export, found {listed}; "
            "give the file itself"
        )
    return found[0]


def read_deal_export(
    path: str | Path,
    layout: ExportLayout,
    *,
    rates: Mapping[str, float] | None = None,
    day_first: bool | None = None,
) -> TeamData:
    """Read one deal export file into a TeamData.

    Args:
        path: the CSV file, or a folder that contains exactly one.
        layout: the export's column headers and stage values.
        rates: value of one unit of each other currency in the main currency
            (the currency of most rows), such as ``{"EUR": 1.08}``. Needed when
            amounts come in several currencies.
        day_first: the order of numeric dates; None infers it from the values.

    Returns:
        Won deals as sales (close date, amount), no roster or quotas, and every
        kept opportunity in ``deals``.

    Raises:
        DataError: a required column is missing, a value cannot be read, amounts
            come in several currencies without rates, or no rep has won a deal.
    """
    file = export_file(path, layout.name)
    name = file.name
    notes: list[str] = []
    note = encoding_note(file)
    if note:
        notes.append(note)

    headers = _match_headers(file, layout)
    text = read_table(file, tuple(headers.values()))
    text = text.rename(columns={v: k for k, v in headers.items()})
    if text.empty:
        raise DataError(f"{name}: no rows; expected one row per deal")

    text = _drop_duplicates(text, name, notes)
    # Rows kept above as exact duplicates stay out of the deal-id check below.
    exact = text.duplicated(keep=False)
    text = _drop_missing_owner(text, name, headers["rep_id"], notes)
    owner_header = headers["rep_id"]
    text["rep_id"] = _owner_ids(text["rep_id"], owner_header, layout, name, notes)

    status = _status(text, layout, name, notes)
    amounts = _amounts(text, name, headers, rates, notes)
    close = parse_export_dates(text, "date", name, day_first)
    notes.extend(close.notes(name, headers["date"]))
    created = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if "created_date" in text:
        parsed = parse_export_dates(text, "created_date", name, day_first)
        created = parsed.values
        notes.extend(parsed.notes(name, headers["created_date"]))

    deals = pd.DataFrame(
        {
            "rep_id": text["rep_id"],
            "deal_id": text["deal_id"] if "deal_id" in text else "",
            "status": status,
            "created_date": created,
            "close_date": close.values,
            "amount": amounts,
        },
        columns=list(DEAL_COLUMNS),
    )
    deals = _keep_latest_per_deal(deals, exact, name, headers, notes)
    sales = _won_sales(deals, name, notes)
    check_positive_sales(sales, name)
    return TeamData(
        sales=sales.reset_index(drop=True),
        roster=None,
        quotas=None,
        source=str(file),
        format=layout.name,
        notes=record_notes(str(file), notes),
        deals=deals.reset_index(drop=True),
    )


def _match_headers(file: Path, layout: ExportLayout) -> dict[str, str]:
    """Map each field to the header the file uses for it, case-insensitively."""
    found = read_header(file)
    by_key = {_header_key(h): h for h in found}
    headers: dict[str, str] = {}
    for key in FIELDS:
        for candidate in layout.columns.get(key, ()):
            if _header_key(candidate) in by_key:
                headers[key] = by_key[_header_key(candidate)]
                break
    missing = [key for key in REQUIRED_FIELDS if key not in headers]
    if missing:
        wanted = "; ".join(
            f"{key}: {' or '.join(layout.columns.get(key, ())) or 'no default'}"
            for key in missing
        )
        raise DataError(
            f"{file.name}: no column for {', '.join(missing)} in this "
            f"{layout.name} export (expected {wanted}); found: {', '.join(found)}; "
            "map columns with --columns rep_id=HEADER,amount=HEADER,date=HEADER"
        )
    return headers


def _header_key(header: str) -> str:
    return " ".join(header.split()).casefold()


def _drop_duplicates(text: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    repeated = text.duplicated()
    if not repeated.any():
        return text
    count = counted(int(repeated.sum()), "exact duplicate row")
    if "deal_id" in text and (text["deal_id"] != "").all():
        # A deal id names one opportunity, so a repeated row is a double export.
        notes.append(f"{name}: dropped {count} (same deal id and values)")
        return text[~repeated]
    notes.append(
        f"{name}: kept {count}; without a deal id two identical deals may be "
        "real, so remove double entries at the source"
    )
    return text


def _keep_latest_per_deal(
    deals: pd.DataFrame,
    exact: pd.Series,
    name: str,
    headers: dict[str, str],
    notes: list[str],
) -> pd.DataFrame:
    """Keep one row per deal id: the latest close date, or the last row on a tie.

    A CRM report can list an opportunity once per stage change, for example
    Closed Lost and later Closed Won, so only its latest state counts. Rows
    without a deal id, and rows in ``exact`` (exact duplicates kept because some
    rows lack an id), are left as they are.
    """
    ids = deals["deal_id"]
    checked = (ids != "") & ~exact.reindex(deals.index, fill_value=False)
    repeated = checked & ids.where(checked).duplicated(keep=False)
    if not repeated.any():
        return deals

    position = pd.Series(np.arange(len(deals)), index=deals.index)
    candidates = deals[repeated].assign(position=position[repeated])
    # The stable sort puts rows without a close date first and keeps file order
    # among equal dates, so the last row of each id is the one to keep.
    ordered = candidates.sort_values(
        ["close_date", "position"], na_position="first", kind="stable"
    )
    dropped = ordered.index[ordered["deal_id"].duplicated(keep="last")]
    header = headers.get("deal_id", "deal_id")
    repeated_ids = ids[repeated].nunique()
    verb = "appears" if repeated_ids == 1 else "appear"
    notes.append(
        f"{name}: {counted(repeated_ids, 'deal id')} in '{header}' {verb} on "
        "several rows; kept the row with the latest close date (the last row on "
        f"a tie) and dropped {counted(len(dropped), 'row')}"
    )
    return deals.drop(index=dropped)


def _drop_missing_owner(
    text: pd.DataFrame, name: str, header: str, notes: list[str]
) -> pd.DataFrame:
    empty = text["rep_id"] == ""
    if empty.any():
        notes.append(
            f"{name}: dropped {counted(int(empty.sum()), 'row')} with no owner "
            f"('{header}' empty)"
        )
    if empty.all():
        raise DataError(f"{name}: every row has an empty '{header}'; no rep to read")
    return text[~empty].copy()


def person_id(name: str, prefix: str = "rep") -> str:
    """Return a stable id for a name: ``prefix``, a dash and 10 hex digits of SHA-256.

    The same name always gives the same id, ignoring case and repeated spaces.
    """
    key = " ".join(name.split()).casefold()
    return f"{prefix}-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _owner_ids(
    owners: pd.Series, header: str, layout: ExportLayout, name: str, notes: list[str]
) -> pd.Series:
    """Keep owner ids, and replace owner names by :func:`person_id` hashes."""
    is_id_column = _header_key(header) in {_header_key(h) for h in layout.id_headers}
    if is_id_column and not owners.str.contains(_LOOKS_LIKE_NAME).any():
        return owners
    notes.append(
        f"{name}: '{header}' holds names; replaced "
        f"{counted(owners.nunique(), 'name')} by ids hashed from the name, so no "
        "name is kept"
    )
    unique = {owner: person_id(owner) for owner in owners.unique()}
    return owners.map(unique)


def _status(
    text: pd.DataFrame, layout: ExportLayout, name: str, notes: list[str]
) -> pd.Series:
    """Classify each row as won, lost or open from the flags or the stage."""
    if "is_won" in text and "is_closed" in text:
        won = text["is_won"].str.casefold().isin(TRUE_VALUES)
        closed = text["is_closed"].str.casefold().isin(TRUE_VALUES)
        status = pd.Series(np.where(won, "won", np.where(closed, "lost", "open")))
        status.index = text.index
        source = "the Closed and Won flags"
    elif "stage" in text:
        stage = text["stage"].str.casefold().str.strip()
        lost = stage.isin(layout.lost_stages)
        if layout.lost_prefix:
            lost |= stage.str.startswith(layout.lost_prefix)
        status = pd.Series("open", index=text.index)
        status[lost] = "lost"
        status[stage.isin(layout.won_stages)] = "won"
        source = "the stage"
    else:
        notes.append(f"{name}: no stage column; every row is taken as a won sale")
        return pd.Series("won", index=text.index)

    tally = status.value_counts()
    notes.append(
        f"{name}: from {source}: {tally.get('won', 0):,} won, "
        f"{tally.get('lost', 0):,} lost and {tally.get('open', 0):,} open deals; "
        "only won deals count as sales"
    )
    return status


def _amounts(
    text: pd.DataFrame,
    name: str,
    headers: dict[str, str],
    rates: Mapping[str, float] | None,
    notes: list[str],
) -> pd.Series:
    parsed = parse_amounts(text, "amount", name)
    if parsed.cleaned:
        notes.append(
            f"{name}: column '{headers['amount']}': removed currency signs, "
            f"thousands separators or brackets from {counted(parsed.cleaned, 'amount')}"
        )
    currency = parsed.currency
    if "currency" in text:
        given = text["currency"].str.upper()
        currency = given.where(given != "", currency)
    return _convert_currencies(parsed.values, currency, name, rates, notes)


def _convert_currencies(
    values: pd.Series,
    currency: pd.Series,
    name: str,
    rates: Mapping[str, float] | None,
    notes: list[str],
) -> pd.Series:
    """Convert amounts to the main currency (the one of most rows)."""
    tally = currency[currency != ""].value_counts()
    if len(tally) <= 1:
        return values
    main = str(tally.index[0])
    rates = {code.upper(): float(rate) for code, rate in (rates or {}).items()}
    rates.setdefault(main, 1.0)
    missing = [code for code in tally.index if code not in rates]
    if missing:
        listed = ", ".join(f"{code} {count:,} rows" for code, count in tally.items())
        example = ",".join(f"{code}=RATE" for code in missing)
        raise DataError(
            f"{name}: amounts are in {len(tally)} currencies ({listed}); give the "
            f"value of each in {main} with --rates {example} (library: rates=...)"
        )
    bad = {code: rate for code, rate in rates.items() if not rate > 0}
    if bad:
        raise DataError(f"--rates: rates must be > 0 (got {bad})")

    unlabelled = int((currency == "").sum())
    factor = currency.map(lambda code: rates.get(code, 1.0) if code else 1.0)
    converted = int(((currency != "") & (currency != main)).sum())
    note = (
        f"{name}: converted {counted(converted, 'amount')} to {main} at the given "
        f"rates ({', '.join(f'{c} {rates[c]:g}' for c in tally.index if c != main)})"
    )
    if unlabelled:
        note += f"; {counted(unlabelled, 'amount')} without a currency taken as {main}"
    notes.append(note)
    return values * factor


def _won_sales(deals: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    won = deals[deals["status"] == "won"]
    no_date = won["close_date"].isna()
    no_amount = won["amount"].isna()
    if no_date.any():
        notes.append(
            f"{name}: dropped {counted(int(no_date.sum()), 'won deal')} with no "
            "close date, which cannot be placed in a month"
        )
    if no_amount.any():
        notes.append(
            f"{name}: dropped {counted(int(no_amount.sum()), 'won deal')} with no "
            "amount"
        )
    won = won[~no_date & ~no_amount]
    if won.empty:
        raise DataError(
            f"{name}: no won deal with a close date and an amount; no rep has sales"
        )

    refunds = won["amount"] < 0
    if refunds.any():
        notes.append(
            f"{name}: kept {counted(int(refunds.sum()), 'negative amount')} (refunds "
            f"or credits, total {won.loc[refunds, 'amount'].sum():,.2f}), netted in "
            "each rep's sales"
        )
    without = sorted(set(deals["rep_id"]) - set(won["rep_id"]))
    if without:
        notes.append(
            f"{name}: owners with deals but no won deal: {len(without):,}; they "
            "have no sales and get no seat"
        )
    sales = won.rename(columns={"close_date": "date"})[list(SALES_COLUMNS)]
    return sales
