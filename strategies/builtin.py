"""The built-in allocation strategies.

Each docstring states the rule and its source. All of them allocate the team quota
(team target times one plus over-assignment) across active seats; the framework
then gives vacant seats nothing and, when the scenario sets ramped new-hire
quotas, scales ramping reps down and renormalises.
"""

from __future__ import annotations

import numpy as np

from sim.observation import ManagerView
from sim.stats import masked_median
from strategies.base import Reallocation, Strategy, WeightedStrategy, split_by_weights
from strategies.registry import register


@register
class EqualSplit(WeightedStrategy):
    """Every active seat gets the same share of the team quota ("peanut butter").

    Ignores territory and skill, so attainment tracks territory luck (Alexander
    Group, quota allocation methodology).
    """

    name = "equal_split"

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return equal weights."""
        return np.ones(view.active.shape)


@register
class HistoryBased(Strategy):
    """Last period's sales times growth, blended with last quota, ratcheting up.

    ``quota = (1 + g) * (w * sales_prev + (1 - w) * quota_prev)`` with ``w = 0.6``
    after a beat and ``w = 0.3`` after a miss, so quotas rise more after a beat than
    they fall after a miss (the asymmetry Leone, Misra & Zimmerman 2004 found at a
    Fortune-500 firm; the weights are assumptions). Shares are then scaled to the
    team quota. Reps without a full last period get the team's median quota.
    """

    name = "history_based"
    ratchet_pass_through = 0.6
    weight_after_beat = 0.6
    weight_after_miss = 0.3

    def allocate(self, view: ManagerView) -> np.ndarray:
        """Apply the asymmetric history rule and scale to the team quota."""
        return split_by_weights(self.raw_quota(view), view)

    def raw_quota(self, view: ManagerView) -> np.ndarray:
        """Return the rule's quotas before scaling to the team quota."""
        sales = view.last_period_sales
        quota = view.last_period_quota
        weight = np.where(sales > quota, self.weight_after_beat, self.weight_after_miss)
        raw = (1 + view.team_growth) * (weight * sales + (1 - weight) * quota)

        known = view.active & np.isfinite(raw) & (raw > 0)
        median = np.nan_to_num(masked_median(raw, known), nan=1.0)[:, None]
        return np.where(known, raw, median)


@register
class CapabilityWeighted(WeightedStrategy):
    """Quota in proportion to estimated skill times estimated territory potential.

    Rep-specific quotas are the right lever for heterogeneity (Raju & Srinivasan
    1996), but a skill belief learned from past sales acts as a ratchet on stars
    (Misra & Nair 2011).
    """

    name = "capability_weighted"
    ratchet_pass_through = 0.2

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return skill belief times potential estimate."""
        return view.skill_belief * view.potential_estimate


@register
class TerritoryPotential(WeightedStrategy):
    """Quota in proportion to the manager's estimate of territory potential.

    Market-based allocation (Zoltners & Sinha 2005); its main risk is error in the
    potential estimate.
    """

    name = "territory_potential"

    def weights(self, view: ManagerView) -> np.ndarray:
        """Return the potential estimate."""
        return view.potential_estimate


@register
class Dynamic(HistoryBased):
    """History-based quotas, re-allocated mid-period on stated triggers.

    After each month but the last of a period, the remaining team quota is
    re-allocated across reps still short of quota when a trigger fires, checked in
    this order:

    * ``market``: the market regime changed since the period started;
    * ``vacancy``: a rep left with quota unmet (their remainder is re-allocated);
    * ``pace``: at least a quarter of the reps still short of quota run below 0.7
      or above 1.3 of their pro-rated quota.

    Changes are prospective and pro-rated: sales already booked keep their credit,
    and only the unmet remainder moves. Each rep's new remainder blends the old one
    with a forecast share (run-rate and reported pipeline), half and half.
    Practitioner guidance: change quotas only on defined triggers, prospectively,
    pro-rated (WorldatWork/BSC 2012 Quota Practices Study). Every change is logged
    by the engine.
    """

    name = "dynamic"
    pace_low = 0.7
    pace_high = 1.3
    pace_share = 0.25
    blend = 0.5

    def reallocate(self, view: ManagerView) -> Reallocation | None:
        """Re-allocate the unmet remainder where a trigger fires."""
        if view.month_in_period >= view.months_in_period:
            return None
        revised, trigger = forecast_revision(
            view,
            self.blend,
            pace_low=self.pace_low,
            pace_high=self.pace_high,
            pace_share=self.pace_share,
        )
        if not (trigger != "").any():
            return None
        fired = (trigger != "")[:, None]
        return Reallocation(np.where(fired, revised, view.quota), trigger)


def forecast_revision(
    view: ManagerView,
    blend: float,
    *,
    pace_low: float = 0.7,
    pace_high: float = 1.3,
    pace_share: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Return revised quotas (R, N) and the trigger that fired in each team (R,).

    The unmet remainder of reps still short of quota, plus what reps who left did
    not sell, is re-split: each new remainder blends the old one with a forecast
    share (run-rate and reported pipeline) by ``blend``. Sales already booked keep
    their credit. The trigger is ``market``, ``vacancy``, ``pace`` or ``""``
    (none fired, or no rep is short of quota); the revision is returned either
    way, so a caller may apply it without a trigger.
    """
    elapsed = max(view.season_share_elapsed, 1e-9)
    quota = view.quota
    done = view.period_sales
    # A seat vacated this period is closed, even if a new hire now occupies it.
    open_reps = view.active & ~view.vacated & (quota > 0) & (done < quota)
    pace = np.divide(done, quota * elapsed, out=np.ones_like(done), where=quota > 0)

    closing = view.vacated & (quota > done)
    market = view.market_index != view.market_index_at_start
    vacancy = closing.any(axis=1)
    outside = open_reps & ((pace < pace_low) | (pace > pace_high))
    off_pace = outside.sum(axis=1) >= pace_share * np.maximum(
        open_reps.sum(axis=1), 1
    )
    trigger = np.where(
        market,
        "market",
        np.where(vacancy, "vacancy", np.where(off_pace, "pace", "")),
    )
    trigger = np.where(open_reps.any(axis=1), trigger, "")

    remainder = np.where(open_reps, quota - done, 0.0)
    freed = np.where(closing, quota - done, 0.0).sum(axis=1, keepdims=True)
    pool = remainder.sum(axis=1, keepdims=True) + freed

    months_left = view.months_in_period - view.month_in_period
    run_rate = done / elapsed * (1.0 - elapsed)
    forecast = 0.5 * run_rate + 0.5 * view.pipeline * months_left
    forecast = np.where(open_reps, np.maximum(forecast, 1e-9), 0.0)

    old_share = _share(remainder)
    forecast_share = _share(forecast)
    new_remainder = pool * ((1 - blend) * old_share + blend * forecast_share)
    revised = np.where(open_reps, done + new_remainder, quota)
    revised = np.where(closing, done, revised)
    # With no rep short of quota, no one can take over a leaver's remainder. The
    # team then keeps its quotas, because closing the seat would shrink the total.
    revised = np.where(open_reps.any(axis=1, keepdims=True), revised, quota)
    return revised, trigger


def _share(values: np.ndarray) -> np.ndarray:
    totals = values.sum(axis=1, keepdims=True)
    return np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
