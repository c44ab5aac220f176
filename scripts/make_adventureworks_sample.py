"""Build the AdventureWorks sample shipped in ``sim/data/adventureworks-sample``.

Usage::

    python scripts/make_adventureworks_sample.py FULL_COPY [OUT_FOLDER]

``FULL_COPY`` is a folder with the sales-force tables of Microsoft's AdventureWorks
OLTP sample database as UTF-8 CSV files with a header row (the layout the
``adventureworks`` reader documents, including the derived ``SalesMonth``). The
sample keeps the reseller orders and only the columns the reader uses, so it
contains no names, national id numbers or gender. Values are copied as text, so
the sample reads exactly like the full copy. ``README.md`` is rewritten with the
row counts.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

logger = logging.getLogger("make_adventureworks_sample")

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "sim/data/adventureworks-sample"

# File name -> columns kept, in order. Only these columns are read from the full
# copy, so the columns with people's names are never loaded.
TABLES = {
    "sales_order_header.csv": [
        "SalesOrderID",
        "OrderDate",
        "SalesPersonID",
        "TerritoryID",
        "SubTotal",
        "SalesMonth",
    ],
    "sales_person.csv": ["BusinessEntityID", "JobTitle", "HireDate", "TerritoryID"],
    "sales_person_quota_history.csv": ["BusinessEntityID", "QuotaDate", "SalesQuota"],
    "sales_territory_history.csv": [
        "BusinessEntityID",
        "TerritoryID",
        "StartDate",
        "EndDate",
    ],
    "sales_territory.csv": ["TerritoryID", "Name", "CountryRegionCode", "Group"],
}

LICENSE = """\
Microsoft SQL Server Sample Code

Copyright (c) Microsoft Corporation

All rights reserved.

MIT License.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""

README = """\
# AdventureWorks sales force (sample)

Reseller orders, salespeople and quarterly quotas of Microsoft's AdventureWorks
OLTP sample database, a fictitious bicycle maker. QuotaLab reads this folder with
`read_team(path, format="adventureworks")`; `docs/team-data.md` describes the
reader. Regenerate it with `python scripts/make_adventureworks_sample.py FULL_COPY`.

## Source and licence

Microsoft AdventureWorks OLTP sample database (2014 install script), published by
Microsoft in the `microsoft/sql-server-samples` repository under the MIT licence,
Copyright (c) Microsoft Corporation. `LICENSE.txt` beside this file is that
licence. All data in AdventureWorks is fictitious.

## What was kept and what was removed

| file | rows | columns kept |
|---|---:|---|
{table_rows}

- `sales_order_header.csv`: only orders with a `SalesPersonID` (reseller orders);
  the {online:,} online orders have no salesperson and the reader drops them
  anyway. The other columns (due and ship dates, status, customer, ship method,
  tax, freight, total due) are removed because the reader does not use them.
  `SalesMonth` is not a Microsoft column: it is the month of `OrderDate + 4 days`,
  because reseller orders are booked in monthly batches dated between the 28th of
  one month and the 1st of the next.
- `sales_person.csv`: first and last name, national id number and gender are
  removed, so the sample identifies people by id only. Manager, territory name,
  pay and sales-to-date columns are removed because the reader does not use them.
- `sales_person_quota_history.csv`, `sales_territory_history.csv`: Microsoft's
  tables without `ModifiedDate`.
- `sales_territory.csv`: territory names and regions; year-to-date sales and cost
  columns are removed.

Reseller `SubTotal` in this sample totals {subtotal:,.4f} over {orders:,} orders.
"""


def make_sample(full_copy: Path, out: Path) -> dict[str, int]:
    """Write the trimmed tables, LICENSE.txt and README.md and return row counts."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    online = 0
    for name, columns in TABLES.items():
        table = pd.read_csv(
            full_copy / name, dtype=str, keep_default_na=False, usecols=columns
        )[columns]
        if name == "sales_order_header.csv":
            reseller = table["SalesPersonID"] != ""
            online = int((~reseller).sum())
            table = table[reseller]
            subtotal = table["SubTotal"].astype(float).sum()
        table.to_csv(out / name, index=False, lineterminator="\n")
        counts[name] = len(table)
        logger.info("wrote %s: %d rows", out / name, len(table))

    rows = "\n".join(
        f"| `{name}` | {counts[name]:,} | {', '.join(columns)} |"
        for name, columns in TABLES.items()
    )
    readme = README.format(
        table_rows=rows,
        online=online,
        subtotal=subtotal,
        orders=counts["sales_order_header.csv"],
    )
    (out / "README.md").write_text(readme, encoding="utf-8")
    (out / "LICENSE.txt").write_text(LICENSE, encoding="utf-8")
    return counts


def main() -> None:
    """Parse the command line and build the sample."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("full_copy", type=Path, help="folder with the full tables")
    parser.add_argument(
        "out", type=Path, nargs="?", default=DEFAULT_OUT, help="folder to write"
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_sample(arguments.full_copy, arguments.out)


if __name__ == "__main__":
    main()
