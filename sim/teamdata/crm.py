"""Layouts of the opportunity and deal report exports of common CRMs.

Each layout accepts a field's UI label (what a report exported from the web
interface uses as header) and its API name (what a data-loader or API export
uses), matched case-insensitively. The names come from the vendors' field
references, not from real exports, so check a client's export against them:

- Salesforce: Opportunity in the Salesforce Field Reference and Object Reference
  (developer.salesforce.com).
- HubSpot: the default deal properties of the CRM API (developers.hubspot.com).
- Zoho CRM: the standard fields of the Deals module and their API names
  (zoho.com/crm, Developer documentation for the REST API).

``deals`` is the same reader without default headers, for any other CSV whose
columns are given with ``--columns``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sim.teamdata.deals import ExportLayout, read_deal_export, with_columns
from sim.teamdata.tables import TeamData

SALESFORCE = ExportLayout(
    name="salesforce",
    columns={
        "rep_id": ("Opportunity Owner", "OwnerId", "Owner ID"),
        "amount": ("Amount",),
        "date": ("Close Date", "CloseDate"),
        "stage": ("Stage", "StageName"),
        "created_date": ("Created Date", "CreatedDate"),
        "deal_id": ("Opportunity ID", "Id"),
        "currency": ("Opportunity Currency", "CurrencyIsoCode"),
        "is_closed": ("Closed", "IsClosed"),
        "is_won": ("Won", "IsWon"),
    },
    id_headers=frozenset({"OwnerId", "Owner ID"}),
    source="Salesforce Field Reference, Opportunity",
)

HUBSPOT = ExportLayout(
    name="hubspot",
    columns={
        "rep_id": ("Deal owner", "hubspot_owner_id"),
        "amount": ("Amount", "amount"),
        "date": ("Close Date", "closedate"),
        "stage": ("Deal Stage", "dealstage"),
        "created_date": ("Create Date", "createdate"),
        "deal_id": ("Record ID", "hs_object_id"),
    },
    id_headers=frozenset({"hubspot_owner_id"}),
    source="HubSpot CRM API, deals default properties",
)

ZOHO = ExportLayout(
    name="zoho",
    columns={
        "rep_id": ("Deal Owner", "Owner"),
        "amount": ("Amount",),
        "date": ("Closing Date", "Closing_Date"),
        "stage": ("Stage",),
        "created_date": ("Created Time", "Created_Time"),
        "deal_id": ("Record Id", "id"),
        "currency": ("Currency",),
    },
    id_headers=frozenset({"Owner"}),
    # Zoho's default lost stage carries a reason: "Closed-Lost to Competition".
    lost_prefix="closed-lost",
    source="Zoho CRM, Deals module standard fields",
)

# Any other export: every header comes from --columns.
DEALS = ExportLayout(name="deals", columns={}, source="--columns")

LAYOUTS = {layout.name: layout for layout in (SALESFORCE, HUBSPOT, ZOHO, DEALS)}


def _reader(layout: ExportLayout):
    def read(
        path: str | Path,
        *,
        columns: Mapping[str, str] | None = None,
        rates: Mapping[str, float] | None = None,
        day_first: bool | None = None,
    ) -> TeamData:
        chosen = with_columns(layout, columns) if columns else layout
        return read_deal_export(path, chosen, rates=rates, day_first=day_first)

    read.__name__ = f"read_{layout.name}"
    read.__doc__ = (
        f"Read a {layout.name} deal export (one CSV file, or a folder with one).\n\n"
        "Args:\n"
        "    path: the CSV file or its folder.\n"
        "    columns: headers that replace the defaults per field, such as\n"
        '        ``{"rep_id": "Owner", "amount": "Value"}``.\n'
        "    rates: value of one unit of each other currency in the main one.\n"
        "    day_first: order of numeric dates; None infers it.\n\n"
        "Raises:\n"
        "    DataError: see :func:`sim.teamdata.deals.read_deal_export`.\n"
    )
    return read


read_salesforce = _reader(SALESFORCE)
read_hubspot = _reader(HUBSPOT)
read_zoho = _reader(ZOHO)
read_deals = _reader(DEALS)
