"""The statistics a calibrated team must reproduce, computed from a sales panel.

Each function takes net sales per rep and month as an array of shape (reps,
months) with NaN where the rep was not on the team, so the same code measures
the observed history and every simulated replication.
"""

from __future__ import annotations

import numpy as np

# Minimum history for a rep to count in a within-rep statistic.
MIN_REP_MONTHS = 6
MIN_REP_QUARTERS = 3
# Seasonality needs every calendar month at least twice.
MIN_SEASON_MONTHS = 24
LEVEL_MONTHS = 12

# Name, then what it measures, in the order of the fit report.
STATISTICS = {
    "sales_per_rep_month": "mean net sales per rep and month over 12 months: the "
    "last 12 of the history, the first 12 simulated",
    "rep_spread_cv": "CV across reps of each rep's mean monthly sales",
    "monthly_cv": "median within-rep CV of monthly sales",
    "quarterly_cv": "median within-rep CV of quarterly sales",
    "persistence": "lag-1 autocorrelation of monthly sales relative to the rep's "
    "mean and the month's mean",
    "growth_per_year": "trend of sales per rep, per year",
    "seasonal_sd": "sd of the 12 month-of-year log factors of sales per rep",
    "share_at_quota": "share of rep-periods at or above quota",
    "median_attainment": "median attainment of rep-periods",
}


def panel_statistics(
    sales: np.ndarray,
    month_of_year: np.ndarray,
    quota: np.ndarray | None = None,
    period_months: int = 3,
    period_offset: int = 0,
    level_at_end: bool = False,
) -> dict[str, float]:
    """Compute every statistic of :data:`STATISTICS`; NaN where it is undefined.

    Args:
        sales: (reps, months) net sales, NaN where the rep was not on the team.
        month_of_year: (months,) calendar month of each column, 0 for January.
        quota: (reps, months) quota per month, NaN where none.
        period_months: quota period length in months.
        period_offset: index of the first column that starts a quota period.
        level_at_end: measure the sales level over the last 12 months rather
            than the first 12. A history ends where a simulation starts, so the
            two levels are comparable.
    """
    level = sales[:, -LEVEL_MONTHS:] if level_at_end else sales[:, :LEVEL_MONTHS]
    values = {
        "sales_per_rep_month": float(np.nanmean(level)) if level.size else np.nan,
        "rep_spread_cv": rep_spread_cv(sales),
        "monthly_cv": within_rep_cv(sales, 1),
        "quarterly_cv": within_rep_cv(sales, 3),
        "persistence": persistence(sales),
        "growth_per_year": growth_per_year(sales, month_of_year),
        "seasonal_sd": seasonal_sd(sales, month_of_year),
        "share_at_quota": np.nan,
        "median_attainment": np.nan,
    }
    if quota is not None:
        attainment = period_attainment(sales, quota, period_months, period_offset)
        if attainment.size:
            values["share_at_quota"] = float(np.mean(attainment >= 1.0))
            values["median_attainment"] = float(np.median(attainment))
    return values


def rep_spread_cv(sales: np.ndarray) -> float:
    """CV across reps of their mean monthly sales (reps with 3 months or more)."""
    counts = np.isfinite(sales).sum(axis=1)
    means = np.nanmean(sales[counts >= 3], axis=1) if (counts >= 3).any() else []
    if len(means) < 2 or np.mean(means) <= 0:
        return np.nan
    return float(np.std(means, ddof=1) / np.mean(means))


def within_rep_cv(sales: np.ndarray, block: int) -> float:
    """Median over reps of the CV of their sales summed over blocks of months.

    Only blocks in which the rep was on the team every month count, and a rep
    needs :data:`MIN_REP_MONTHS` months (monthly) or :data:`MIN_REP_QUARTERS`
    blocks (longer blocks).
    """
    months = sales.shape[1] // block * block
    blocks = sales[:, :months].reshape(len(sales), -1, block).sum(axis=2)
    minimum = MIN_REP_MONTHS if block == 1 else MIN_REP_QUARTERS
    cvs = []
    for row in blocks:
        row = row[np.isfinite(row)]
        if len(row) >= minimum and row.mean() > 0:
            cvs.append(row.std(ddof=1) / row.mean())
    return float(np.median(cvs)) if cvs else np.nan


def relative_residuals(sales: np.ndarray) -> np.ndarray:
    """Sales over the rep's mean and the month's mean, minus 1; NaN off the team.

    Dividing alternately by rep means and month means (three sweeps) removes
    multiplicative rep and month effects (level, season, trend, market) from an
    unbalanced panel. Months without sales stay in as -1, so lumpy sales count.
    """
    ratio = np.where(np.isfinite(sales), np.maximum(sales, 0.0), np.nan)
    for _ in range(3):
        ratio = ratio / _nanmean_or_one(ratio, axis=1)[:, None]
        ratio = ratio / _nanmean_or_one(ratio, axis=0)[None, :]
    return ratio - 1.0


def _nanmean_or_one(values: np.ndarray, axis: int) -> np.ndarray:
    counts = np.isfinite(values).sum(axis=axis)
    totals = np.nansum(values, axis=axis)
    means = np.where(counts > 0, totals / np.maximum(counts, 1), 1.0)
    return np.where(means > 0, means, 1.0)


def autocovariances(residuals: np.ndarray, lags: int = 2) -> np.ndarray:
    """Pooled autocovariances of the residuals at lags 0 to ``lags``."""
    result = []
    for lag in range(lags + 1):
        left = residuals[:, : residuals.shape[1] - lag]
        right = residuals[:, lag:]
        both = np.isfinite(left) & np.isfinite(right)
        result.append(np.mean((left * right)[both]) if both.any() else np.nan)
    return np.asarray(result)


def persistence(sales: np.ndarray) -> float:
    """Lag-1 autocorrelation of :func:`relative_residuals`, pooled over reps."""
    gamma = autocovariances(relative_residuals(sales), lags=1)
    if not np.isfinite(gamma).all() or gamma[0] <= 0:
        return np.nan
    return float(gamma[1] / gamma[0])


def team_rate(sales: np.ndarray) -> np.ndarray:
    """Net sales per rep on the team, per month (months,); NaN without reps."""
    reps = np.isfinite(sales).sum(axis=0)
    total = np.nansum(sales, axis=0)
    return np.where(reps > 0, total / np.maximum(reps, 1), np.nan)


def trend_and_season(
    sales: np.ndarray, month_of_year: np.ndarray
) -> tuple[float, np.ndarray]:
    """Fit log sales per rep on a monthly trend and, from 24 months, calendar months.

    Trend and season are estimated jointly by least squares, so a season that
    rises through the year does not pass for growth.

    Returns:
        The trend in log units per month (NaN below 12 months) and 12 factors by
        calendar month, January first, with mean 1 (NaN below
        :data:`MIN_SEASON_MONTHS` months or when a calendar month is missing).
    """
    rate = team_rate(sales)
    usable = np.isfinite(rate) & (rate > 0)
    no_season = np.full(12, np.nan)
    if usable.sum() < 12:
        return np.nan, no_season
    months = np.arange(len(rate))[usable].astype(float)
    logs = np.log(rate[usable])
    calendar = month_of_year[usable]
    seen = np.unique(calendar)
    if usable.sum() < MIN_SEASON_MONTHS or len(seen) < 12:
        return float(np.polyfit(months, logs, 1)[0]), no_season

    dummies = (calendar[:, None] == np.arange(12)[None, :]).astype(float)
    design = np.column_stack([months, dummies])
    coefficients = np.linalg.lstsq(design, logs, rcond=None)[0]
    factors = np.exp(coefficients[1:])
    return float(coefficients[0]), factors / factors.mean()


def growth_per_year(sales: np.ndarray, month_of_year: np.ndarray) -> float:
    """Annual growth of sales per rep from :func:`trend_and_season`."""
    slope, _ = trend_and_season(sales, month_of_year)
    return float(np.expm1(12 * slope)) if np.isfinite(slope) else np.nan


def season_factors(sales: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
    """Return the 12 calendar-month factors of :func:`trend_and_season`."""
    return trend_and_season(sales, month_of_year)[1]


def seasonal_sd(sales: np.ndarray, month_of_year: np.ndarray) -> float:
    """Standard deviation of the log of :func:`season_factors`."""
    factors = season_factors(sales, month_of_year)
    if not np.isfinite(factors).all():
        return np.nan
    return float(np.std(np.log(factors)))


def period_attainment(
    sales: np.ndarray, quota: np.ndarray, period_months: int, offset: int = 0
) -> np.ndarray:
    """Attainment of every rep-period with a quota and a full period on the team."""
    months = sales.shape[1] - offset
    count = months // period_months
    if count <= 0:
        return np.array([])
    stop = offset + count * period_months
    shape = (len(sales), count, period_months)
    period_sales = sales[:, offset:stop].reshape(shape)
    period_quota = quota[:, offset:stop].reshape(shape)
    full = np.isfinite(period_sales).all(axis=2) & np.isfinite(period_quota).all(axis=2)
    totals = period_quota.sum(axis=2)
    usable = full & (totals > 0)
    return period_sales.sum(axis=2)[usable] / totals[usable]
