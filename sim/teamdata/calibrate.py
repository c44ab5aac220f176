"""Turn a team's history into scenario values, with a note on where each came from.

All quantities are computed on calendar months. The history runs from the first
sales month to the ``as_of`` month; sales after it are ignored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.scenario import QuotaSettings, Scenario
from sim.teamdata.tables import TeamData, counted, rep_sort_key

# Prior weight of the team mean, in months of a rep's own history. A rep with n
# months gets weight n / (n + 3) on their own mean monthly sales, so one month of
# data counts a quarter and a year 80%. The empirical-Bayes weight uses the ratio
# of within-rep to between-rep variance of monthly sales, which is about 1.9 months
# on the AdventureWorks sample. NOTE: 3 is a fixed, slightly more cautious choice,
# not fitted per team.
SHRINKAGE_MONTHS = 3.0

# Without a roster, a rep counts as still on the team if they sold in the last
# three months (one quarter), which tolerates a slow month or two.
RECENT_SALE_MONTHS = 3

DAYS_PER_MONTH = 365.25 / 12
YEAR_MONTHS = 12
MAX_LISTED_SEATS = 30
PERIOD_NAMES = {1: "monthly", 3: "quarterly", 12: "annual"}

# A setting's value derived from the data (None keeps the base scenario's value)
# and its provenance note.
Derived = tuple[Any, str]


def scenario_from_team(
    team: TeamData,
    base: Scenario,
    as_of: str | dt.date | pd.Timestamp | pd.Period | None = None,
) -> tuple[Scenario, dict[str, str]]:
    """Set a scenario's team and quota values from a team's history.

    Args:
        team: the team history, from :func:`sim.teamdata.read_team`.
        base: the scenario whose other settings are kept.
        as_of: the last month of history to use (anything :class:`pandas.Period`
            reads as a month, such as ``"2014-05"``). Defaults to the month of the
            last sale. Reps active at the end of this month are the seats.

    Returns:
        The new scenario, and for each setting considered a string that starts
        with ``"data: "`` (how the value was derived) or ``"default: "`` (why the
        data could not inform it). Per-seat lists follow the seat order that the
        ``team.seats`` entry lists.

    Raises:
        DataError: ``as_of`` is not a month, lies before the first sale, or no rep
            is active at its end.
    """
    month = _month_of_sales(team.sales)
    history = team.sales.assign(month=month)
    as_of_month = _as_of_month(as_of, month)
    history = history[history["month"] <= as_of_month]
    reps = _rep_spans(team, history, as_of_month)

    active = reps[reps["active"]]
    if active.empty:
        raise DataError(
            f"as_of {as_of_month}: no rep is active at the end of the month; "
            "choose an earlier as_of"
        )
    seats = sorted(active.index, key=rep_sort_key)
    active = active.loc[seats]

    # The run starts from the recorded team, so no simulated warm-up year.
    changes: dict[str, object] = {"team.seats": len(seats), "team.warmup_months": 0}
    provenance = {
        "team.seats": _seats_note(team, seats, as_of_month),
        "team.warmup_months": "data: 0, the run starts from the recorded team",
    }
    derived = {
        "team.productivity": _productivity(active, as_of_month),
        "team.tenure_months": _tenure(active, as_of_month, team.roster is not None),
        "team.last_year_sales": _last_year_sales(history, as_of_month),
        "team.sales_per_rep_month": _sales_per_rep_month(history, reps, as_of_month),
        "quota.period": _quota_period(team.quotas),
        "team.initial_quota_share": _initial_quota_share(
            team.quotas, seats, as_of_month
        ),
        "quota.target_growth": _target_growth(team.quotas, history, reps, as_of_month),
    }
    # Each step returns (value, note); a value of None keeps the base scenario's.
    for setting, (value, note) in derived.items():
        provenance[setting] = note
        if value is not None:
            changes[setting] = value
    return base.replace(changes), provenance


def _month_of_sales(sales: pd.DataFrame) -> pd.Series:
    return sales["date"].dt.to_period("M")


def _as_of_month(as_of: object, month: pd.Series) -> pd.Period:
    first, last = month.min(), month.max()
    if as_of is None:
        return last
    try:
        as_of_month = pd.Period(as_of, "M")
    except (ValueError, TypeError):
        message = f"as_of: cannot read {as_of!r} as a month; use YYYY-MM"
        raise DataError(message) from None
    if as_of_month < first:
        raise DataError(
            f"as_of {as_of_month} is before the first sale ({first}); "
            f"use a month from {first} to {last}"
        )
    return as_of_month


def _month_end(month: pd.Period) -> pd.Timestamp:
    return month.to_timestamp(how="end").normalize()


def _rep_spans(
    team: TeamData, history: pd.DataFrame, as_of_month: pd.Period
) -> pd.DataFrame:
    """Tabulate each rep's start, active months and whether they hold a seat.

    Columns: ``start`` (hire date, or first sale when unknown), ``first_month``
    and ``end_month`` (first and last month of selling activity, NaT-like when the
    rep never sold), ``total`` (net sales to ``as_of``) and ``active``.
    """
    by_rep = history.groupby("rep_id")
    reps = pd.DataFrame(
        {
            "first_sale": by_rep["date"].min(),
            "first_month": by_rep["month"].min(),
            "last_month": by_rep["month"].max(),
            "total": by_rep["amount"].sum(),
        }
    )
    end = _month_end(as_of_month)
    if team.roster is None:
        no_dates = pd.Series([], dtype="datetime64[ns]")
        roster = pd.DataFrame({"hire_date": no_dates, "exit_date": no_dates})
    else:
        roster = team.roster.set_index("rep_id")[["hire_date", "exit_date"]]
    reps = reps.join(roster, how="outer")
    reps["total"] = reps["total"].fillna(0.0)
    reps["in_roster"] = reps.index.isin(roster.index)

    reps["start"] = reps["hire_date"].fillna(reps["first_sale"])
    exited = reps["exit_date"].notna() & (reps["exit_date"] <= end)
    recent = reps["last_month"].notna() & (
        reps["last_month"] > as_of_month - RECENT_SALE_MONTHS
    )
    started = reps["start"].notna() & (reps["start"] <= end)
    reps["active"] = started & np.where(reps["in_roster"], ~exited, recent)

    exit_month = reps["exit_date"].dt.to_period("M")
    reps["end_month"] = reps["last_month"]
    reps.loc[reps["active"], "end_month"] = as_of_month
    roster_end = reps["in_roster"] & ~reps["active"] & exit_month.notna()
    reps.loc[roster_end, "end_month"] = exit_month[roster_end]
    return reps


def _seats_note(team: TeamData, seats: list[str], as_of_month: pd.Period) -> str:
    if team.roster is not None:
        rule = "hired by then and not exited (roster)"
    else:
        rule = f"with a sale in the last {RECENT_SALE_MONTHS} months (no roster)"
    listed = ", ".join(seats[:MAX_LISTED_SEATS])
    if len(seats) > MAX_LISTED_SEATS:
        listed += f", ... ({len(seats) - MAX_LISTED_SEATS} more)"
    return (
        f"data: {counted(len(seats), 'rep')} active at the end of {as_of_month}, "
        f"{rule}; "
        f"seat order of the per-seat lists: {listed}"
    )


def _productivity(active: pd.DataFrame, as_of_month: pd.Period) -> Derived:
    months = _months_between(active["first_month"], as_of_month)
    total = active["total"].where(months > 0, 0.0)
    if months.sum() == 0 or total.sum() <= 0:
        return [], "default: active reps have no positive net sales; drawn"

    # Partial pooling: each rep's mean monthly sales is shrunk toward the team's
    # pooled mean, so a rep with two months of history is not taken at face value.
    team_mean = total.sum() / months.sum()
    shrunk = (total + SHRINKAGE_MONTHS * team_mean) / (months + SHRINKAGE_MONTHS)
    clipped = int((shrunk < 0).sum())
    shrunk = shrunk.clip(lower=0.0)
    relative = shrunk / shrunk.mean()

    note = (
        f"data: mean monthly net sales from each rep's first sales month to "
        f"{as_of_month} (months without sales count as 0), shrunk toward the team "
        f"mean with weight n/(n+{SHRINKAGE_MONTHS:g}) for n months, divided by "
        f"the seats' mean; {_spread(relative.min(), relative.max(), '.2f')}"
    )
    if clipped:
        note += f"; set to 0 for {counted(clipped, 'rep')} with net refunds"
    return [round(float(v), 6) for v in relative], note


def _spread(low: float, high: float, spec: str) -> str:
    """Describe the range of some values: "range 0.50-1.20", or "all 1.00" if equal."""
    if f"{low:{spec}}" == f"{high:{spec}}":
        return f"all {low:{spec}}"
    return f"range {low:{spec}}-{high:{spec}}"


def _months_between(first: pd.Series, last: pd.Period) -> pd.Series:
    """Count months from each ``first`` to ``last`` inclusive; 0 where missing."""
    counts = [0 if pd.isna(f) else (last - f).n + 1 for f in first]
    return pd.Series(counts, index=first.index, dtype=float)


def _tenure(active: pd.DataFrame, as_of_month: pd.Period, has_roster: bool) -> Derived:
    days = (_month_end(as_of_month) - active["start"]).dt.days
    tenure = [round(float(d) / DAYS_PER_MONTH, 1) for d in days]
    if has_roster:
        no_hire = int(active["hire_date"].isna().sum())
        source = "hire_date in the roster"
        if no_hire:
            source += f" (first sale for {counted(no_hire, 'rep')} without one)"
    else:
        source = "each rep's first sale (no roster)"
    note = (
        f"data: months from {source} to the end of {as_of_month}; "
        f"{_spread(min(tenure), max(tenure), 'g')}"
    )
    return tenure, note


def _last_year_sales(history: pd.DataFrame, as_of_month: pd.Period) -> Derived:
    start = as_of_month - (YEAR_MONTHS - 1)
    window = history[history["month"] >= start]
    total = float(window["amount"].sum())
    span = (as_of_month - history["month"].min()).n + 1
    if total <= 0:
        return None, "default: net sales in the last 12 months are not > 0"
    if span < YEAR_MONTHS:
        scaled = total * YEAR_MONTHS / span
        return scaled, (
            f"data: team net sales of the {counted(span, 'month')} to {as_of_month} "
            f"({total:,.0f}), scaled by 12/{span} because the history is shorter "
            "than a year"
        )
    return total, f"data: team net sales from {start} to {as_of_month}"


def _sales_per_rep_month(
    history: pd.DataFrame, reps: pd.DataFrame, as_of_month: pd.Period
) -> Derived:
    start = as_of_month - (YEAR_MONTHS - 1)
    total = float(history.loc[history["month"] >= start, "amount"].sum())

    # A rep counts in a month from their first sale to their exit (or to the end
    # of the history while active), so ramp months before the first sale and
    # months after leaving do not dilute the mean.
    rep_months = 0
    for first, end in zip(reps["first_month"], reps["end_month"], strict=True):
        if pd.isna(first) or pd.isna(end):
            continue
        low, high = max(first, start), min(end, as_of_month)
        rep_months += max((high - low).n + 1, 0)
    if rep_months == 0 or total <= 0:
        return None, "default: no positive net sales in the last 12 months"
    return total / rep_months, (
        f"data: net sales from {start} to {as_of_month} divided by "
        f"{counted(rep_months, 'rep-month')} in which a rep was selling (first "
        "sale to exit)"
    )


def _period_months(quotas: pd.DataFrame) -> pd.Series:
    days = (quotas["period_end"] - quotas["period_start"]).dt.days + 1
    return (days / DAYS_PER_MONTH).round().astype(int)


def _quota_period(quotas: pd.DataFrame | None) -> Derived:
    if quotas is None or quotas.empty:
        return None, "default: no quotas in the team data"
    lengths = Counter(_period_months(quotas))
    months, count = lengths.most_common(1)[0]
    if months not in PERIOD_NAMES:
        return None, (
            f"default: most quota periods are {counted(months, 'month')} long, "
            "which is not "
            "one of 1, 3 or 12"
        )
    return PERIOD_NAMES[months], (
        f"data: {count:,} of {counted(len(quotas), 'quota period')} "
        f"{'is' if count == 1 else 'are'} {counted(months, 'month')} long"
    )


def _initial_quota_share(
    quotas: pd.DataFrame | None, seats: list[str], as_of_month: pd.Period
) -> Derived:
    if quotas is None or quotas.empty:
        return [], "default: no quotas in the team data; drawn"
    started = quotas[quotas["period_start"] <= _month_end(as_of_month)]
    started = started[started["rep_id"].isin(seats)]
    if started.empty:
        return [], f"default: no quota period of a seat starts by {as_of_month}"

    period_start = started["period_start"].max()
    last = started[started["period_start"] == period_start]
    by_rep = last.groupby("rep_id")["quota"].sum().reindex(seats)
    missing = int(by_rep.isna().sum())
    label = f"the quota period starting {period_start:%Y-%m-%d}"
    if missing:
        return [], (
            f"default: no quota for {missing} of {counted(len(seats), 'seat')} in "
            f"{label}; drawn"
        )
    if by_rep.sum() <= 0:
        return [], f"default: the quotas in {label} are all 0; drawn"
    share = by_rep / by_rep.sum()
    return [round(float(v), 6) for v in share], (
        f"data: each seat's share of the team quota in {label}"
    )


def _target_growth(
    quotas: pd.DataFrame | None,
    history: pd.DataFrame,
    reps: pd.DataFrame,
    as_of_month: pd.Period,
) -> Derived:
    if quotas is None or quotas.empty:
        return None, "default: no quotas in the team data"
    ratios = _quota_to_prior_sales(quotas, history, reps, as_of_month)
    if not ratios:
        return None, (
            "default: no rep has quotas for a full 12-month year after a full year "
            "of their own sales"
        )

    spec = {f.name: f for f in dataclasses.fields(QuotaSettings)}["target_growth"]
    low, high = spec.metadata["low"], spec.metadata["high"]
    growth = float(np.median(ratios)) - 1.0
    clipped = min(max(growth, low), high)
    note = (
        f"data: median over {counted(len(ratios), 'rep-year')} of a rep's quotas "
        "for a "
        f"12-month year divided by the same rep's net sales in the year before, "
        f"minus 1 (ratios: {_spread(min(ratios), max(ratios), '.2f')})"
    )
    if clipped != growth:
        note += f"; {growth:.3f} clipped to the valid range {low}-{high}"
    return round(clipped, 6), note


def _quota_to_prior_sales(
    quotas: pd.DataFrame,
    history: pd.DataFrame,
    reps: pd.DataFrame,
    as_of_month: pd.Period,
) -> list[float]:
    """Return each rep-year's ratio of a year's quotas to the prior year's sales.

    Years are 12-month windows that end with the last quota period ending by
    ``as_of``, stepping back a year at a time. A rep-year counts when the rep's
    quota periods inside the window cover all 12 months and the rep sold from the
    start of the year before.
    """
    quotas = quotas.assign(
        first=quotas["period_start"].dt.to_period("M"),
        last=quotas["period_end"].dt.to_period("M"),
        months=_period_months(quotas),
    )
    ended = quotas[quotas["last"] <= as_of_month]
    if ended.empty:
        return []

    first_sale = reps["first_month"]
    window_end = ended["last"].max()
    ratios = []
    while window_end - (2 * YEAR_MONTHS - 1) >= history["month"].min():
        window_start = window_end - (YEAR_MONTHS - 1)
        inside = ended[(ended["first"] >= window_start) & (ended["last"] <= window_end)]
        prior = history[
            (history["month"] >= window_start - YEAR_MONTHS)
            & (history["month"] < window_start)
        ]
        prior_sales = prior.groupby("rep_id")["amount"].sum()
        for rep_id, rows in inside.groupby("rep_id"):
            if rows["months"].sum() != YEAR_MONTHS:
                continue
            began = first_sale.get(rep_id)
            if pd.isna(began) or began > window_start - YEAR_MONTHS:
                continue
            sold = prior_sales.get(rep_id, 0.0)
            if sold > 0:
                ratios.append(float(rows["quota"].sum() / sold))
        window_end -= YEAR_MONTHS
    return ratios
