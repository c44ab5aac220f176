"""Metrics: team-level series per month and one row of outcomes per run.

Names are the same in files, tables and code. Attainment is a rep's period sales
over quota, measured for reps who held a quota from the start of the period and
were still in the seat at its close. Annual figures use reps who held the seat for
the whole fiscal year. Attrition rates are annualised: exits per year over the mean
headcount.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sim.stats import masked_median, masked_quantile
from sim.team import PRIOR_MONTHS

# Monthly series, one value per replication and month.
MONTHLY_METRICS = (
    "completion_rate",
    "share_at_quota",
    "mean_attainment",
    "median_attainment",
    "attainment_cv",
    "morale",
    "morale_low_share",
    "fatigue",
    "effort",
    "give_up_rate",
    "headcount",
    "vacancies",
    "exits",
    "attrition_rate",
    "revenue",
    "team_target",
    "pay_cost",
    "regime",
)

# Run-level outcomes, one value per replication.
RUN_METRICS = (
    "completion_rate",
    "share_at_quota",
    "mean_attainment",
    "median_attainment",
    "attainment_cv",
    "attainment_skew",
    "annual_share_at_quota",
    "annual_median_attainment",
    "morale",
    "morale_low_share",
    "attrition_rate",
    "voluntary_attrition",
    "involuntary_attrition",
    "regretted_attrition",
    "vacancy_months",
    "mean_vacancy_duration",
    "ramp_months_lost",
    "revenue",
    "pay_cost",
    "cost_of_sales",
    "payout_p90_ratio",
    "quota_burden_gini",
    "quota_volatility",
    "quota_changes",
    "attainment_potential_corr",
    "give_up_rate",
    "fatigue",
    "top_quartile_relative_quota",
    "bottom_quartile_relative_quota",
    "top_quartile_quota_drift",
    "bottom_quartile_quota_drift",
    "top_quartile_morale",
    "bottom_quartile_morale",
)

# Skill quartiles are taken among the reps measured at each quota setting (true
# skill: an analyst's view, never the manager's). Relative quota is a rep's quota
# over the team's mean quota; the ratchet shows as the top quartile's drifting up.
QUARTILES = {"top": 0.75, "bottom": 0.25}

# Headline metrics shown in the comparison table and figures.
HEADLINE_METRICS = (
    "completion_rate",
    "share_at_quota",
    "median_attainment",
    "morale",
    "attrition_rate",
    "regretted_attrition",
    "revenue",
)


@dataclass
class MonthlyRecord:
    """Events of one month that the engine hands to the recorder."""

    quota_set: bool = False
    quota_volatility: np.ndarray | None = None
    quota_changes: np.ndarray | None = None
    exits: np.ndarray | None = None
    filled_vacancy_months: np.ndarray | None = None


class RunRecorder:
    """Accumulates monthly series and the inputs of run metrics for a batch."""

    def __init__(self, batch):
        self.batch = batch
        r, t = batch.replications, batch.months
        self.monthly = {name: np.full((r, t), np.nan) for name in MONTHLY_METRICS}
        self.attainment: list[np.ndarray] = []
        self.burden_gini: list[np.ndarray] = []
        self.volatility: list[np.ndarray] = []
        self.potential_corr: list[np.ndarray] = []
        self.annual_attainment: list[np.ndarray] = []
        self.annual_payout: list[np.ndarray] = []
        zeros = np.zeros(r)
        self.totals = {
            name: zeros.copy()
            for name in (
                "voluntary",
                "involuntary",
                "regretted",
                "headcount",
                "vacancy_months",
                "filled",
                "filled_months",
                "ramp_lost",
                "give_up",
                "measured_months",
                "quota_changes",
                "sales",
                "target",
                "pay",
            )
        }
        self.year_variable_pay = np.zeros((r, batch.seats))
        self.relative_quota = {name: [] for name in QUARTILES}
        self.quartile_morale = {name: [] for name in QUARTILES}

    def record(
        self, t, record, *, sales, pay, headcount, exits, attainment, period_end
    ):
        """Store one month's metrics."""
        b = self.batch
        m = self.monthly
        s = b.scenario
        variable, total_pay = pay
        clock = t + b.warmup
        monthly_target = b.annual_target * b.season[clock % 12] / 12.0
        team_sales = sales.sum(axis=1)

        m["revenue"][:, t] = team_sales
        m["team_target"][:, t] = monthly_target
        m["completion_rate"][:, t] = team_sales / np.maximum(monthly_target, 1e-12)
        m["pay_cost"][:, t] = total_pay.sum(axis=1)
        m["regime"][:, t] = b.regime

        elapsed = b._season_share_elapsed(clock, clock % b.period_months + 1)
        measured = b.measured & headcount
        pace = np.where(
            measured,
            b.period_sales / (np.where(measured, b.quota, 1.0) * elapsed),
            np.nan,
        )
        if period_end:
            pace = attainment
            measured = np.isfinite(attainment)
        _attainment_stats(m, t, pace, measured)

        active_count = np.maximum(headcount.sum(axis=1), 1)
        low = s.morale.low_threshold
        m["morale"][:, t] = _masked_mean(b.morale, b.active)
        m["morale_low_share"][:, t] = _masked_mean(b.morale < low, b.active)
        m["fatigue"][:, t] = _masked_mean(b.fatigue, b.active)
        m["effort"][:, t] = _masked_mean(b.effort, b.measured & headcount)
        gave_up = b.measured & headcount & (b.effort <= s.effort.floor + 1e-9)
        m["give_up_rate"][:, t] = gave_up.sum(axis=1) / np.maximum(
            (b.measured & headcount).sum(axis=1), 1
        )
        exit_count = (exits["voluntary"] | exits["involuntary"]).sum(axis=1)
        m["headcount"][:, t] = headcount.sum(axis=1)
        m["vacancies"][:, t] = (~headcount).sum(axis=1)
        m["exits"][:, t] = exit_count
        m["attrition_rate"][:, t] = 12.0 * exit_count / active_count

        totals = self.totals
        totals["voluntary"] += exits["voluntary"].sum(axis=1)
        totals["involuntary"] += exits["involuntary"].sum(axis=1)
        totals["regretted"] += exits["regretted"].sum(axis=1)
        totals["headcount"] += headcount.sum(axis=1)
        totals["vacancy_months"] += (~headcount).sum(axis=1)
        totals["filled"] += (record.filled_vacancy_months > 0).sum(axis=1)
        totals["filled_months"] += record.filled_vacancy_months.sum(axis=1)
        from sim.team import ramp

        totals["ramp_lost"] += np.where(headcount, 1.0 - ramp(b.tenure, s), 0.0).sum(
            axis=1
        )
        totals["give_up"] += gave_up.sum(axis=1)
        totals["measured_months"] += (b.measured & headcount).sum(axis=1)
        totals["sales"] += team_sales
        totals["target"] += monthly_target
        totals["pay"] += total_pay.sum(axis=1)
        if record.quota_changes is not None:
            totals["quota_changes"] += record.quota_changes.sum(axis=1)

        self._record_quartile_morale()
        if record.quota_set:
            self._record_quartile_quota()
            burden = b.quota / b.potential()
            self.burden_gini.append(gini(burden, b.measured))
            self.volatility.append(_nanmean_rows(record.quota_volatility))
        if period_end:
            self.attainment.append(attainment)
            self.potential_corr.append(
                _masked_corr(attainment, b.potential(), np.isfinite(attainment))
            )

        self.year_variable_pay += variable
        if clock % 12 == 11:
            self._close_year(clock)

    def _quartile_masks(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        skill = self.batch.skill
        top = masked_quantile(skill, mask, QUARTILES["top"])[:, None]
        bottom = masked_quantile(skill, mask, QUARTILES["bottom"])[:, None]
        return {"top": mask & (skill >= top), "bottom": mask & (skill <= bottom)}

    def _record_quartile_quota(self) -> None:
        b = self.batch
        mean_quota = _masked_mean(b.quota, b.measured)[:, None]
        relative = b.quota / np.where(mean_quota > 0, mean_quota, np.nan)
        for name, mask in self._quartile_masks(b.measured).items():
            self.relative_quota[name].append(_masked_mean(relative, mask))

    def _record_quartile_morale(self) -> None:
        b = self.batch
        for name, mask in self._quartile_masks(b.active).items():
            self.quartile_morale[name].append(_masked_mean(b.morale, mask))

    def _quartile_run_metrics(self) -> dict[str, np.ndarray]:
        b = self.batch
        per_year = max(1, 12 // b.period_months)
        result = {}
        for name in QUARTILES:
            series = self.relative_quota[name]
            last_year = _mean_of(series[-per_year:], b)
            first_year = _mean_of(series[:per_year], b)
            result[f"{name}_quartile_relative_quota"] = last_year
            result[f"{name}_quartile_quota_drift"] = last_year - first_year
            result[f"{name}_quartile_morale"] = _mean_of(self.quartile_morale[name], b)
        return result

    def _close_year(self, t: int) -> None:
        b = self.batch
        start = PRIOR_MONTHS + t - 11
        full_year = b.active & (b.joined <= start)
        year = slice(start, PRIOR_MONTHS + t + 1)
        sales = b.sales_history[..., year].sum(axis=-1)
        quota = b.quota_history[..., year].sum(axis=-1)
        valid = full_year & (quota > 0)
        self.annual_attainment.append(
            np.where(valid, sales / np.where(valid, quota, 1), np.nan)
        )
        incentive = b.scenario.pay.ote_per_year * (1 - b.scenario.pay.base_share)
        self.annual_payout.append(
            np.where(valid, self.year_variable_pay / incentive, np.nan)
        )
        self.year_variable_pay = np.zeros_like(self.year_variable_pay)

    def run_metrics(self) -> dict[str, np.ndarray]:
        """Return one array (R,) per run metric."""
        b = self.batch
        totals = self.totals
        years = b.months / 12.0
        mean_headcount = totals["headcount"] / b.months
        per_year = 1.0 / (np.maximum(mean_headcount, 1e-12) * years)
        stacked = _stack(self.attainment, b)
        annual = _stack(self.annual_attainment, b)
        payout = _stack(self.annual_payout, b)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = {
                "completion_rate": totals["sales"]
                / np.maximum(totals["target"], 1e-12),
                "share_at_quota": _share_at_least(stacked, 1.0),
                "mean_attainment": np.nanmean(stacked, axis=1),
                "median_attainment": masked_median(stacked, np.isfinite(stacked)),
                "attainment_cv": _period_cv(self.attainment, b),
                "attainment_skew": _skew(stacked),
                "annual_share_at_quota": _share_at_least(annual, 1.0),
                "annual_median_attainment": masked_median(annual, np.isfinite(annual)),
                "morale": np.nanmean(self.monthly["morale"], axis=1),
                "morale_low_share": np.nanmean(
                    self.monthly["morale_low_share"], axis=1
                ),
                "attrition_rate": (totals["voluntary"] + totals["involuntary"])
                * per_year,
                "voluntary_attrition": totals["voluntary"] * per_year,
                "involuntary_attrition": totals["involuntary"] * per_year,
                "regretted_attrition": totals["regretted"] * per_year,
                "vacancy_months": totals["vacancy_months"],
                "mean_vacancy_duration": np.divide(
                    totals["filled_months"],
                    totals["filled"],
                    out=np.full(b.replications, np.nan),
                    where=totals["filled"] > 0,
                ),
                "ramp_months_lost": totals["ramp_lost"],
                "revenue": totals["sales"],
                "pay_cost": totals["pay"],
                "cost_of_sales": totals["pay"] / np.maximum(totals["sales"], 1e-12),
                "payout_p90_ratio": masked_quantile(payout, np.isfinite(payout), 0.9),
                "quota_burden_gini": _mean_of(self.burden_gini, b),
                "quota_volatility": _mean_of(self.volatility, b),
                "quota_changes": totals["quota_changes"]
                / np.maximum(totals["headcount"], 1)
                * 12.0,
                "attainment_potential_corr": _mean_of(self.potential_corr, b),
                "give_up_rate": totals["give_up"]
                / np.maximum(totals["measured_months"], 1),
                "fatigue": np.nanmean(self.monthly["fatigue"], axis=1),
            }
            result.update(self._quartile_run_metrics())
        # Keep the declared order: output files and tables list metrics this way.
        return {name: result[name] for name in RUN_METRICS}

    def attainment_samples(self) -> np.ndarray:
        """Return every measured rep-period attainment, shape (R, periods * N)."""
        return _stack(self.attainment, self.batch)


def gini(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the Gini coefficient of ``values`` over ``mask`` for each row (R,)."""
    x = np.sort(np.where(mask, values, np.nan), axis=1)  # NaN sort last
    n = mask.sum(axis=1)
    rank = np.arange(1, x.shape[1] + 1)[None, :]
    valid = rank <= n[:, None]
    x = np.where(valid, x, 0.0)
    total = x.sum(axis=1)
    weighted = ((2 * rank - n[:, None] - 1) * x).sum(axis=1)
    return np.divide(
        weighted, n * total, out=np.full(len(n), np.nan), where=(n > 1) & (total > 0)
    )


def _attainment_stats(m, t, values, mask) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        masked = np.where(mask, values, np.nan)
        mean = np.nanmean(masked, axis=1)
        m["share_at_quota"][:, t] = _share_at_least(masked, 1.0)
        m["mean_attainment"][:, t] = mean
        m["median_attainment"][:, t] = masked_median(values, mask)
        m["attainment_cv"][:, t] = np.nanstd(masked, axis=1) / mean


def _share_at_least(values: np.ndarray, level: float) -> np.ndarray:
    valid = np.isfinite(values)
    count = valid.sum(axis=1)
    hits = (np.where(valid, values, -np.inf) >= level).sum(axis=1)
    return np.divide(hits, count, out=np.full(len(count), np.nan), where=count > 0)


def _masked_mean(values, mask) -> np.ndarray:
    count = mask.sum(axis=1)
    total = np.where(mask, values, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0)


def _masked_corr(x, y, mask) -> np.ndarray:
    n = mask.sum(axis=1)
    safe_n = np.maximum(n, 1)
    xm = np.where(mask, x, 0.0).sum(axis=1) / safe_n
    ym = np.where(mask, y, 0.0).sum(axis=1) / safe_n
    dx = np.where(mask, x - xm[:, None], 0.0)
    dy = np.where(mask, y - ym[:, None], 0.0)
    cov = (dx * dy).sum(axis=1)
    scale = np.sqrt((dx**2).sum(axis=1) * (dy**2).sum(axis=1))
    return np.divide(
        cov, scale, out=np.full(len(n), np.nan), where=(n > 2) & (scale > 0)
    )


def _nanmean_rows(values) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=1)


def _stack(arrays, batch) -> np.ndarray:
    if not arrays:
        return np.full((batch.replications, 0), np.nan)
    return np.concatenate(arrays, axis=1)


def _mean_of(arrays, batch) -> np.ndarray:
    if not arrays:
        return np.full(batch.replications, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.stack(arrays, axis=1), axis=1)


def _period_cv(arrays, batch) -> np.ndarray:
    cvs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for values in arrays:
            cvs.append(np.nanstd(values, axis=1) / np.nanmean(values, axis=1))
    return _mean_of(cvs, batch)


def _skew(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=1, keepdims=True)
        sd = np.nanstd(values, axis=1, keepdims=True)
        return np.nanmean(((values - mean) / sd) ** 3, axis=1)
