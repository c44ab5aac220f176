"""A team's history as a rep-by-month panel, the common ground of estimates and fit.

Observed and simulated teams are both reduced to the same two arrays: net sales
per rep and month (NaN where the rep was not on the team) and, when quotas
exist, quota per rep and month. Every statistic of the fit report is computed
from these arrays, so observed and simulated values are measured alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.teamdata.tables import TeamData, counted, rep_sort_key

# A history dated by day whose last order falls before this day of its month
# ends mid-month (Northwind stops on 6 May 1998), so that month is dropped.
PARTIAL_MONTH_LAST_DAY = 20


@dataclass(frozen=True)
class Panel:
    """Monthly net sales and quotas per rep.

    Attributes:
        months: the calendar months, oldest first.
        rep_ids: one id per row.
        sales: (reps, months) net sales; NaN outside the rep's span, which runs
            from the first sale (or hire, if later sales exist) to the exit or the
            last month.
        quota: (reps, months) quota per month (a period's quota spread evenly
            over its months), NaN where none; None without quotas.
        period_months: quota period length in months (1, 3 or 12).
        notes: what was dropped to build the panel.
    """

    months: pd.PeriodIndex
    rep_ids: list[str]
    sales: np.ndarray
    quota: np.ndarray | None = None
    period_months: int = 3
    notes: tuple[str, ...] = ()

    @property
    def active(self) -> np.ndarray:
        """Cells where the rep was on the team (reps, months)."""
        return np.isfinite(self.sales)

    def window(self, first: pd.Period, last: pd.Period) -> Panel:
        """Return the months from ``first`` to ``last`` inclusive, reps with any."""
        keep = (self.months >= first) & (self.months <= last)
        sales = self.sales[:, keep]
        rows = np.isfinite(sales).any(axis=1)
        quota = None if self.quota is None else self.quota[rows][:, keep]
        return Panel(
            months=self.months[keep],
            rep_ids=[r for r, k in zip(self.rep_ids, rows, strict=True) if k],
            sales=sales[rows],
            quota=quota,
            period_months=self.period_months,
            notes=self.notes,
        )


def last_complete_month(team: TeamData) -> tuple[pd.Period, str | None]:
    """Return the last month with a full month of sales, and a note if one was cut.

    Sales dated on the first of every month are monthly bookings (AdventureWorks)
    and always complete. Otherwise a last sale before day 20 marks a partial month.
    """
    dates = team.sales["date"]
    last = dates.max()
    month = last.to_period("M")
    booked_monthly = bool((dates.dt.day == 1).all())
    if booked_monthly or last.day >= PARTIAL_MONTH_LAST_DAY:
        return month, None
    note = (
        f"dropped {month}: the last sale is on {last:%Y-%m-%d}, so the month is "
        "incomplete"
    )
    return month - 1, note


def build_panel(team: TeamData, period_months: int = 3) -> Panel:
    """Build the rep-by-month panel of a team's history up to its last full month.

    A rep's span starts at the first month with a sale, or at the hire month when
    the roster has one and it lies inside the history, and ends at the exit month
    or at the last month. Months inside the span without sales count as 0.
    """
    last, cut_note = last_complete_month(team)
    sales = team.sales.assign(month=team.sales["date"].dt.to_period("M"))
    sales = sales[sales["month"] <= last]
    first = sales["month"].min()
    months = pd.period_range(first, last, freq="M")
    reps = sorted(sales["rep_id"].unique(), key=rep_sort_key)

    table = (
        sales.groupby(["rep_id", "month"])["amount"]
        .sum()
        .unstack("month")
        .reindex(index=reps, columns=months)
    )
    values = table.to_numpy(dtype=float)
    start, end = _spans(team, sales, reps, months)
    column = np.arange(len(months))[None, :]
    inside = (column >= start[:, None]) & (column <= end[:, None])
    values = np.where(inside, np.nan_to_num(values, nan=0.0), np.nan)

    notes = [cut_note] if cut_note else []
    outside = int((table.notna().to_numpy() & ~inside).sum())
    if outside:
        notes.append(
            f"left out {counted(outside, 'rep-month')} of sales after the rep's "
            "exit date"
        )
    quota = _quota_panel(team, reps, months) if team.quotas is not None else None
    return Panel(months, reps, values, quota, period_months, tuple(notes))


def _spans(
    team: TeamData, sales: pd.DataFrame, reps: list[str], months: pd.PeriodIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Return each rep's first and last month as column indexes."""
    first_sale = sales.groupby("rep_id")["month"].min().reindex(reps)
    start = np.array([(m - months[0]).n for m in first_sale])
    end = np.full(len(reps), len(months) - 1)
    if team.roster is None:
        return start, end

    roster = team.roster.set_index("rep_id").reindex(reps)
    for i, (hire, exit_) in enumerate(
        zip(roster["hire_date"], roster["exit_date"], strict=True)
    ):
        if pd.notna(hire):
            hired = (hire.to_period("M") - months[0]).n
            start[i] = min(start[i], max(hired, 0))
        if pd.notna(exit_):
            end[i] = min(end[i], (exit_.to_period("M") - months[0]).n)
    return start, end


def _quota_panel(team: TeamData, reps: list[str], months: pd.PeriodIndex) -> np.ndarray:
    quota = np.full((len(reps), len(months)), np.nan)
    row = {rep: i for i, rep in enumerate(reps)}
    for rep, begin, finish, amount in team.quotas.itertuples(index=False):
        if rep not in row:
            continue
        span = pd.period_range(begin.to_period("M"), finish.to_period("M"), freq="M")
        columns = [(m - months[0]).n for m in span if months[0] <= m <= months[-1]]
        if columns:
            # Only the months inside the history are filled, at the period's rate.
            quota[row[rep], columns] = amount / len(span)
    return quota
