"""Strategies built on forecasts and predicted sales distributions.

``blend`` mixes history and potential, ``participatory`` uses the reps' own
forecasts, ``tiered`` and ``equal_probability`` use a prediction of each rep's
period sales.

That prediction is lognormal. Its median is proportional to the manager's skill
belief times the potential estimate. Its log-sd combines the rep's month-to-month
spread with the uncertainty of the skill belief, which
shrinks as the rep's record grows (see :func:`predicted_log_sd`). Ramp-up is left
to the framework's new-hire rule, so predictions are at full productivity.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sim.observation import ManagerView
from sim.stats import masked_median
from strategies.base import Strategy, WeightedStrategy, split_by_weights
from strategies.builtin import HistoryBased
from strategies.registry import register

# Prior log-sd of a rep's skill relative to the belief, before any record: the
# default population spread of skill (O'Boyle & Aguinis 2012 on its heavy tail).
PRIOR_SKILL_SD = 0.35

# Months of record that halve the prior variance of the skill belief (assumption).
RECORD_MONTHS = 6.0

# Months of sales history used for each rep's month-to-month spread.
SPREAD_MONTHS = 12


def predicted_log_sd(view: ManagerView) -> np.ndarray:
    """Return the log-sd of each rep's predicted period sales (R, N).

    ``sqrt(s_month**2 / P + s_belief**2)`` where ``s_month`` is the log-sd of the
    rep's monthly sales over quota in the last 12 months (the team median where a
    rep has fewer than 4 such months), ``P`` the months in the period and
    ``s_belief = 0.35 * sqrt(6 / (6 + months of record))``.
    """
    sales = view.sales_history[..., -SPREAD_MONTHS:]
    quota = view.quota_history[..., -SPREAD_MONTHS:]
    usable = (sales > 0) & (quota > 0)
    ratio = np.log(np.where(usable, sales, 1.0) / np.where(usable, quota, 1.0))
    count = usable.sum(axis=-1)
    mean = np.where(usable, ratio, 0.0).sum(axis=-1) / np.maximum(count, 1)
    squares = np.where(usable, (ratio - mean[..., None]) ** 2, 0.0).sum(axis=-1)
    spread = np.sqrt(squares / np.maximum(count - 1, 1))
    enough = view.active & (count >= 4)
    team = np.nan_to_num(masked_median(spread, enough), nan=0.3)[:, None]
    spread = np.where(enough, spread, team)

    record = np.minimum(view.tenure, 24.0)
    belief_sd = PRIOR_SKILL_SD * np.sqrt(RECORD_MONTHS / (RECORD_MONTHS + record))
    return np.sqrt(spread**2 / view.months_in_period + belief_sd**2)


def predicted_median(view: ManagerView, log_sd: np.ndarray) -> np.ndarray:
    """Return each rep's predicted median period sales, scaled to the team quota.

    The manager takes the team quota as the team's expected sales, so medians are
    skill belief times potential estimate, scaled until the predicted means
    ``median * exp(log_sd**2 / 2)`` sum to the team quota.
    """
    capability = np.where(view.active, view.skill_belief * view.potential_estimate, 0)
    mean_units = (capability * np.exp(0.5 * log_sd**2)).sum(axis=1, keepdims=True)
    scale = view.team_quota[:, None] / np.maximum(mean_units, 1e-12)
    return capability * scale


@register
class Blend(WeightedStrategy):
    """Half history, half territory potential ("top-down plus bottom-up").

    Each rep's weight is ``alpha`` times their share of the history-based quotas
    (last period plus growth, with the upward ratchet) plus ``1 - alpha`` times
    their share of the estimated territory potential, ``alpha = 0.5``. ZS
    practice puts more weight on history for repeat business (about 0.7) and
    more on potential for new business (about 0.3) (Zoltners & Sinha 2005).
    """

    name = "blend"
    alpha = 0.5
    ratchet_pass_through = alpha * HistoryBased.ratchet_pass_through

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return the blended history and potential shares."""
        history = _share(np.where(view.active, HistoryBased().raw_quota(view), 0.0))
        potential = _share(np.where(view.active, view.potential_estimate, 0.0))
        return self.alpha * history + (1.0 - self.alpha) * potential


@register
class Participatory(WeightedStrategy):
    """Quota in proportion to each rep's own forecast of the period's sales.

    Reps know their territory and skill better than the manager, but a rep who
    under-forecasts gets a lower quota, so forecasts are sandbagged (settings
    ``participation.*``) unless a truth-telling bonus grid is used (Gonik 1978).
    Self-set goals predicted performance in direct selling (Wotruba 1989).
    """

    name = "participatory"
    uses_forecast = True
    # A rep's forecast follows their own record, as a history rule does.
    ratchet_pass_through = 0.3

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return the reps' forecasts; the team median where none is given."""
        if view.forecast is None:
            return np.ones(view.active.shape)
        forecast = np.asarray(view.forecast, dtype=float)
        given = view.active & np.isfinite(forecast) & (forecast > 0)
        median = np.nan_to_num(masked_median(forecast, given), nan=1.0)[:, None]
        return np.where(given, forecast, median)


@register
class Tiered(Strategy):
    """Threshold, target and excellence tiers from each rep's predicted sales.

    The target (the quota) sits where the rep's predicted chance of reaching it is
    65%, the threshold where it is 92.5% and the excellence tier where it is 7.5%.
    Alexander Group's ideal distribution has 90-95% of reps past threshold, 60-70%
    at target and 5-10% at excellence. Quotas are then scaled to the team quota.
    The pay plan uses each rep's tiers: payout starts at the threshold and the
    accelerator doubles above excellence (Steenburgh & Ahearne 2012).

    NOTE: scaling to a team quota of last year plus 10% moves every target above
    its 65% point, so about half of reps reach quota (0.48 of rep-quarters in the
    default scenario), and the high thresholds make reps give up about twice as
    often as under history-based quotas.
    """

    name = "tiered"
    ratchet_pass_through = 0.2
    chance_at_threshold = 0.925
    chance_at_target = 0.65
    chance_at_excellence = 0.075

    def allocate(self, view: ManagerView) -> np.ndarray:
        """Set quotas at the target tier and scale them to the team quota."""
        log_sd = predicted_log_sd(view)
        median = predicted_median(view, log_sd)
        target = median * np.exp(log_sd * ndtri(1.0 - self.chance_at_target))
        return split_by_weights(target, view)

    def pay_tiers(self, view: ManagerView) -> tuple[np.ndarray, np.ndarray]:
        """Return threshold and excellence tiers as attainment levels (R, N)."""
        log_sd = predicted_log_sd(view)
        at_target = ndtri(1.0 - self.chance_at_target)
        threshold = np.exp(log_sd * (ndtri(1.0 - self.chance_at_threshold) - at_target))
        excellence = np.exp(
            log_sd * (ndtri(1.0 - self.chance_at_excellence) - at_target)
        )
        return threshold, excellence


@register
class EqualProbability(Strategy):
    """Every rep gets the same predicted chance of reaching quota.

    Quotas are ``median_i * exp(sd_i * z)`` with one ``z`` per team, found by
    bisection so that quotas sum to the team quota: each rep's predicted chance
    of reaching quota is then ``1 - Phi(z)``. "Equal opportunity" is the
    practitioners' aim (ZS; Alexander Group's 60-70% at quota), following
    expectancy theory (Oliver 1974); it is a design principle rather than a
    field-tested policy, and inherits the ratchet through the skill belief.

    The common chance is not a setting: the team quota fixes it. With a target of
    last year plus 10% it sits below one half (0.46 of rep-quarters reach quota in
    the default scenario), since predicted medians lie below predicted means.
    """

    name = "equal_probability"
    ratchet_pass_through = 0.2
    bisection_steps = 60

    def allocate(self, view: ManagerView) -> np.ndarray:
        """Solve for the common chance and return the matching quotas."""
        log_sd = predicted_log_sd(view)
        median = predicted_median(view, log_sd)
        low = np.full((view.replications, 1), -8.0)
        high = np.full((view.replications, 1), 8.0)
        target = view.team_quota[:, None]
        for _ in range(self.bisection_steps):
            middle = 0.5 * (low + high)
            total = (median * np.exp(log_sd * middle)).sum(axis=1, keepdims=True)
            above = total > target
            high = np.where(above, middle, high)
            low = np.where(above, low, middle)
        quota = median * np.exp(log_sd * 0.5 * (low + high))
        # NOTE: chances are equal before the engine's new-hire rule scales ramping
        # reps down and restores the team total, which shifts them slightly.
        return split_by_weights(quota, view)

    def chance_of_quota(self, view: ManagerView, quota: np.ndarray) -> np.ndarray:
        """Return each rep's predicted chance of reaching ``quota`` (R, N)."""
        from scipy.special import ndtr

        log_sd = predicted_log_sd(view)
        median = predicted_median(view, log_sd)
        ratio = np.log(np.maximum(median, 1e-300) / np.maximum(quota, 1e-300))
        return np.where(view.active, ndtr(ratio / log_sd), np.nan)


def _share(values: np.ndarray) -> np.ndarray:
    totals = values.sum(axis=1, keepdims=True)
    return np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
