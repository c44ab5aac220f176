"""Management levers: the choices a manager makes around the quota split.

Each lever reads its own scenario section (``docs/levers.md`` describes them) and
acts on a :class:`~sim.engine.TeamBatch` through a hook the engine calls at a fixed
point of the month:

* profiling: a direct skill assessment blended into the skill belief strategies see;
* tracking: which reps the early warning flags and coaching reaches, and who
  responds to coaching (the engine's ``_coach``);
* stability: scheduled mid-period revisions, with or without a stated trigger;
* transparency: published criteria (in :mod:`sim.morale`) and published rankings;
* feedback: recognition at period close, and progress talks within the period;
* development: effort split between closing now and developing accounts;
* discretion, review and growth: adjustments to the rule's quotas at period start;
* participation: the reps' own forecasts for the ``participatory`` strategy.

Every lever is off or neutral by default. A lever that is off draws no random
numbers and changes no state, so default runs stay bit-identical. New randomness
comes from the ``levers`` stream of :mod:`sim.rng`, in fixed rows per month.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.stats import masked_median

# Rows of the levers stream's monthly draws. The row count is fixed, so switching
# one lever on never shifts the numbers another lever receives.
NORMAL_ROWS = 4
PROFILE_ROW = 0  # skill assessment at fiscal-year start
HIRE_PROFILE_ROW = 1  # skill assessment of a new hire
ADJUSTMENT_ROW = 2  # manager's random quota adjustments
FORECAST_ROW = 3  # error of a rep's own forecast

UNIFORM_ROWS = 3
SANDBAG_ROW = 0  # each rep's under-forecast this period
FAVOUR_ROW = 1  # which seats the manager favours
COACH_ROW = 2  # coaching picks without tracking

# Label of a mid-period change made without a stated trigger.
UNSTATED = "unstated"

# Pace is measured against the seasonally pro-rated quota (as in sim.morale).
PACE_SCALE = 0.3

# Skill percentiles at which the coaching response is full (middle 60%) and zero
# (top and bottom 5%), after the Sales Executive Council's coaching study (2008).
COACHING_FULL_FROM = 0.20
COACHING_NONE_BELOW = 0.05


def team_percentile(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return each masked seat's percentile rank in its team, 0 to 1 (R, N).

    The lowest value gets 0 and the highest 1; seats outside ``mask`` get NaN.
    Ties are broken by seat order.
    """
    filled = np.where(mask, values, np.inf)
    order = np.argsort(filled, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(values.shape[1])[None, :], axis=1)
    count = mask.sum(axis=1, keepdims=True)
    percentile = ranks / np.maximum(count - 1, 1)
    return np.where(mask, percentile, np.nan)


def coaching_response(percentile: np.ndarray) -> np.ndarray:
    """Return the share of the coaching effect a rep at a skill percentile gets."""
    distance = np.minimum(percentile, 1.0 - percentile)
    span = COACHING_FULL_FROM - COACHING_NONE_BELOW
    return np.clip((distance - COACHING_NONE_BELOW) / span, 0.0, 1.0)


LEVER_SECTIONS = (
    "profiling",
    "tracking",
    "stability",
    "transparency",
    "feedback",
    "development",
    "discretion",
    "review",
    "growth",
    "participation",
)


def without_levers(scenario):
    """Return the scenario with every management lever off, coaching included."""
    from sim.scenario import SECTIONS

    defaults = {name: SECTIONS[name]() for name in LEVER_SECTIONS}
    manager = dataclasses.replace(scenario.manager, coaching_capacity=0)
    return dataclasses.replace(scenario, manager=manager, **defaults)


class Levers:
    """The state and hooks of every management lever for one batch.

    Args:
        batch: the :class:`~sim.engine.TeamBatch` the levers act on.
    """

    def __init__(self, batch):
        s = batch.scenario
        self.batch = batch
        shape = batch.active.shape
        self.profiling = s.profiling.skill_weight > 0
        self.discretion = s.discretion.adjustment_noise > 0 or (
            s.discretion.favoured_share > 0 and s.discretion.favouritism > 0
        )
        self.review = s.review.correction_rate > 0
        self.growth = s.growth.stretch > 0
        self.development = s.development.base_share > 0
        self.recognition = s.feedback.recognition_share > 0
        self.rankings = s.transparency.rankings_published
        self.feedback = s.feedback.interval_months > 0
        self.revisions = s.stability.revision_interval > 0
        self.coaching_morale = s.tracking.coaching_morale > 0
        self.period_end = self.recognition or self.rankings or self.review

        self.skill_profile = np.ones(shape)
        self.favoured = np.zeros(shape, dtype=bool)
        self.review_factor = np.zeros(shape)  # log correction of each seat's quota
        self.stretched = np.zeros(shape, dtype=bool)
        self.development_stock = np.zeros(shape)
        self.closing_share = np.ones(shape)
        self.forecast: np.ndarray | None = None
        if self.discretion and s.discretion.favoured_share > 0:
            draws = self._uniform(0)[:, FAVOUR_ROW]
            self.favoured = draws < s.discretion.favoured_share

    def _normal(self, month: int) -> np.ndarray:
        return self.batch.streams.monthly("levers", "normal", NORMAL_ROWS, month)

    def _uniform(self, month: int) -> np.ndarray:
        return self.batch.streams.monthly("levers", "uniform", UNIFORM_ROWS, month)

    # -- profiling ------------------------------------------------------------

    def assess_skills(self, t: int) -> None:
        """Redo the skill assessment of every seat (at each fiscal-year start)."""
        if not self.profiling:
            return
        sigma = self.batch.scenario.profiling.skill_error
        error = self._normal(t)[:, PROFILE_ROW]
        self.skill_profile = self.batch.skill * np.exp(sigma * error)

    def skill_belief(self) -> np.ndarray:
        """Return the skill belief strategies see: learned belief and assessment."""
        belief = self.batch.skill_belief
        if not self.profiling:
            return belief
        weight = self.batch.scenario.profiling.skill_weight
        return (1.0 - weight) * belief + weight * self.skill_profile

    # -- hires ----------------------------------------------------------------

    def on_hire(self, fill: np.ndarray, t: int) -> None:
        """Reset the levers' state of seats that a new rep fills this month."""
        s = self.batch.scenario
        if self.profiling:
            sigma = s.profiling.skill_error
            error = self._normal(t)[:, HIRE_PROFILE_ROW]
            assessed = self.batch.skill * np.exp(sigma * error)
            self.skill_profile = np.where(fill, assessed, self.skill_profile)
        if self.review:
            self.review_factor = np.where(fill, 0.0, self.review_factor)
        if self.discretion and s.discretion.favoured_share > 0:
            favoured = self._uniform(t)[:, FAVOUR_ROW] < s.discretion.favoured_share
            self.favoured = np.where(fill, favoured, self.favoured)

    # -- period start ---------------------------------------------------------

    def prepare_forecasts(self, t: int) -> None:
        """Collect each rep's forecast of this period's sales for strategies using it.

        A rep forecasts their expected sales at normal effort over the period at
        full productivity (the framework applies the ramp), with an honest error,
        and under-reports by a share drawn from 0 to twice
        ``participation.sandbagging`` unless a truth-telling grid is in place.
        """
        batch = self.batch
        if not getattr(batch.strategy, "uses_forecast", False):
            self.forecast = None
            return
        p = batch.scenario.participation
        fiscal_month = t % 12
        season = batch.season[fiscal_month : fiscal_month + batch.period_months].sum()
        market = batch.regime_multiplier[batch.regime][:, None]
        expected = (
            batch.scenario.team.sales_per_rep_month
            * batch.potential()
            * batch.skill
            * market
            * season
        )
        error = self._normal(t)[:, FORECAST_ROW]
        honest = expected * np.exp(p.forecast_noise * error - 0.5 * p.forecast_noise**2)
        sandbag = 0.0
        # NOTE: the grid is modelled by its intent (honest forecasts), not by its
        # payout formula, and sandbagging does not respond to the rep's ratchet.
        if not p.truth_telling_grid:
            sandbag = 2.0 * p.sandbagging * self._uniform(t)[:, SANDBAG_ROW]
        self.forecast = np.where(batch.active, honest * (1.0 - sandbag), 0.0)

    def adjust_quotas(self, quota: np.ndarray, t: int) -> np.ndarray:
        """Apply review corrections, stretch assignments and manager discretion.

        The engine restores the team total afterwards, so each adjustment moves
        quota between reps and never changes the team quota.
        """
        s = self.batch.scenario
        if self.review:
            quota = quota * np.exp(self.review_factor)
        if self.growth:
            batch = self.batch
            self.stretched = (
                batch.active
                & (batch.tenure >= s.sales.ramp_months)
                & (batch.tenure < s.growth.developing_months)
            )
            quota = quota * np.where(self.stretched, 1.0 + s.growth.stretch, 1.0)
        if self.discretion:
            d = s.discretion
            if d.adjustment_noise:
                noise = self._normal(t)[:, ADJUSTMENT_ROW]
                quota = quota * np.exp(
                    d.adjustment_noise * noise - 0.5 * d.adjustment_noise**2
                )
            quota = quota * np.where(self.favoured, np.exp(-d.favouritism), 1.0)
        return quota

    # -- within the month -----------------------------------------------------

    def commitment(self, month_in_period: int) -> float:
        """Return the goal-commitment multiplier of this month's effort choice.

        A progress talk at the end of month ``k`` (every ``interval_months``)
        raises commitment in the month after it, inside the same period.
        """
        if not self.feedback or month_in_period == 0:
            return 1.0
        interval = self.batch.scenario.feedback.interval_months
        if month_in_period % interval:
            return 1.0
        return 1.0 + self.batch.scenario.feedback.commitment_gain

    def split_effort(self, expected: np.ndarray, month_in_period: int) -> np.ndarray:
        """Set the share of effort spent closing; return expected closing sales.

        Reps spend ``base_share`` of effort on account development when on pace.
        The part not protected by a long-term target (weight
        ``long_term_target``) is cut in proportion to how far they are behind pace
        and to the share of the period already past, so the last month before a
        close goes entirely to closing.
        """
        if not self.development:
            return expected
        batch = self.batch
        d = batch.scenario.development
        share = np.full(expected.shape, d.base_share)
        if d.long_term_target < 1.0:
            elapsed = batch._season_share_elapsed(batch.clock, month_in_period)
            quota = np.where(batch.measured, batch.quota, np.inf)
            pace = batch.period_sales / (quota * max(elapsed, 1e-9))
            on_pace = np.clip(pace, 0.0, 1.0) if month_in_period else 1.0
            months_left = batch.period_months - month_in_period
            cut = on_pace * (months_left - 1) / batch.period_months
            kept = d.long_term_target + (1.0 - d.long_term_target) * cut
            share = share * kept
        self.closing_share = np.where(batch.active, 1.0 - share, 1.0)
        return expected * self.closing_share

    def develop_accounts(self) -> None:
        """Add this month's development effort to the stock; lift potential."""
        if not self.development:
            return
        batch = self.batch
        d = batch.scenario.development
        effort = (1.0 - self.closing_share) * batch.effort
        stock = d.stock_decay * self.development_stock + np.where(
            batch.active, effort, 0.0
        )
        # Potential tracks the stock: log P = base + yield * stock.
        batch.log_potential = batch.log_potential + d.potential_yield * (
            stock - self.development_stock
        )
        self.development_stock = stock

    # -- after sales ------------------------------------------------------------

    def grow_skills(self) -> None:
        """Grow the skill of reps on a stretch assignment this month."""
        if not self.growth:
            return
        g = self.batch.scenario.growth
        gain = g.skill_gain * g.stretch / 12.0
        self.batch.skill = np.where(
            self.stretched & self.batch.active,
            self.batch.skill * np.exp(gain),
            self.batch.skill,
        )

    def feedback_morale(self, month_in_period: int, period_end: bool) -> None:
        """Give progress feedback on pace after the months it is scheduled."""
        if not self.feedback or period_end:
            return
        interval = self.batch.scenario.feedback.interval_months
        if (month_in_period + 1) % interval:
            return
        batch = self.batch
        elapsed = batch._season_share_elapsed(batch.clock, month_in_period + 1)
        quota = np.where(batch.measured, batch.quota, 1.0)
        pace = batch.period_sales / (quota * elapsed)
        signal = np.where(batch.measured, np.tanh((pace - 1.0) / PACE_SCALE), 0.0)
        weight = batch.scenario.feedback.pace_morale_weight
        self._add_morale(weight * signal)

    def coached_morale(self, coached: np.ndarray) -> None:
        """Raise the morale of reps coached this month."""
        if self.coaching_morale:
            gain = self.batch.scenario.tracking.coaching_morale
            self._add_morale(np.where(coached, gain, 0.0))

    def close_period(self, attainment: np.ndarray) -> None:
        """Recognition, published rankings and the manager's review at close."""
        if not self.period_end:
            return
        s = self.batch.scenario
        valid = np.isfinite(attainment)
        percentile = team_percentile(np.nan_to_num(attainment), valid)
        change = np.zeros_like(attainment)
        if self.recognition:
            count = valid.sum(axis=1, keepdims=True)
            top = np.maximum(np.round(s.feedback.recognition_share * count), 1)
            cutoff = 1.0 - (top - 1) / np.maximum(count - 1, 1)
            recognised = valid & (percentile >= cutoff - 1e-9)
            change += np.where(recognised, s.feedback.recognition_morale, 0.0)
        if self.rankings:
            shame = np.clip(1.0 - 2.0 * np.nan_to_num(percentile, nan=1.0), 0.0, 1.0)
            change -= np.where(valid, s.transparency.rank_morale_cost * shame, 0.0)
        if self.recognition or self.rankings:
            self._add_morale(change)
        if self.review:
            self._review(attainment, valid)

    def _review(self, attainment: np.ndarray, valid: np.ndarray) -> None:
        """Carry a share of each rep's log attainment gap into the next quotas."""
        rate = self.batch.scenario.review.correction_rate
        log_attainment = np.log(np.maximum(np.nan_to_num(attainment), 1e-3))
        median = np.nan_to_num(masked_median(log_attainment, valid), nan=0.0)
        gap = log_attainment - median[:, None]
        self.review_factor = np.where(
            valid, self.review_factor + rate * gap, self.review_factor
        )

    def _add_morale(self, change: np.ndarray) -> None:
        batch = self.batch
        batch.morale = np.where(
            batch.active, np.clip(batch.morale + change, 0.0, 1.0), batch.morale
        )


def coaching_priority(batch, pace: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Return each rep's coaching priority under ``tracking.coaching_target``.

    Higher goes first; ``-inf`` marks reps who are not candidates.
    """
    target = batch.scenario.tracking.coaching_target
    if target == "random":
        # Without tracking the manager cannot tell who is behind.
        candidates = batch.measured & batch.active
        draws = batch.levers._uniform(batch.clock)[:, COACH_ROW]
        return np.where(candidates, draws, -np.inf)
    shortfall = 1.0 - pace
    if target == "most_to_gain":
        belief = batch.levers.skill_belief()
        expected = coaching_response(team_percentile(belief, batch.active))
        shortfall = np.nan_to_num(expected) * shortfall
    return np.where(flagged, shortfall, -np.inf)


def coaching_effect(batch, chosen: np.ndarray) -> np.ndarray:
    """Return the sales lift of each rep chosen for coaching this month."""
    manager = batch.scenario.manager
    effect = np.where(chosen, manager.coaching_effect, 0.0)
    if batch.scenario.tracking.coaching_response == "middle":
        percentile = team_percentile(batch.skill, batch.active)
        effect = effect * np.nan_to_num(coaching_response(percentile))
    return effect
