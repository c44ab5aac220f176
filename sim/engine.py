"""The batched engine: R independent teams of N seats advanced one month at a time.

State lives in numpy arrays with a leading replication axis, so one pass advances
many replications at once. Every operation is element-wise or reduces over seats
within one replication, so a replication's path depends only on its own seed, never
on the batch it runs in.

One month, in order (each step is a method below):

1. period start: the team target and the strategy's quotas, from the manager's view;
2. exogenous draws: regime, season, territory shocks and account losses;
3. effort choice (:mod:`sim.effort`);
4. sales;
5. the manager observes sales and the reported pipeline, and may coach or revise
   quotas mid-period (the strategy's revisions, then scheduled ones);
6. pay;
7. morale, fatigue and the manager's beliefs;
8. attrition: voluntary hazard, and performance-managed exits at quarterly reviews;
9. hiring into seats vacant for at least a month;
10. metrics (:mod:`sim.metrics`).

The management levers of :mod:`sim.levers` hook into steps 1, 3, 4, 5, 7 and 9;
each is off by default and then costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from sim import morale as morale_rules
from sim.effort import EffortInputs, choose_effort
from sim.errors import StrategyError
from sim.levers import (
    UNSTATED,
    Levers,
    coaching_effect,
    coaching_priority,
    without_levers,
)
from sim.market import (
    initial_regimes,
    next_regime,
    regime_multipliers,
    season_weights,
    step_territory,
)
from sim.metrics import MonthlyRecord, RunRecorder
from sim.observation import ManagerView
from sim.payplan import PayCurve
from sim.rng import BatchStreams
from sim.scenario import Scenario
from sim.team import PRIOR_MONTHS, build_initial_team, ramp
from strategies.base import Reallocation, Strategy

logger = logging.getLogger(__name__)

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}

# Months of sales and quota history a manager's view carries: two fiscal years,
# enough for year-over-year rules, and a bounded copy per decision.
HISTORY_WINDOW = 24


class TeamBatch:
    """A batch of simulated sales teams under one strategy.

    Args:
        scenario: the validated scenario.
        strategy: the allocation strategy (shared by all replications).
        seeds: one replication seed per team; see :mod:`sim.rng`.
        months: horizon in months.
    """

    def __init__(
        self,
        scenario: Scenario,
        strategy: Strategy,
        seeds: Sequence[int],
        months: int,
    ):
        # The warm-up year runs the firm's usual practice: history-based quotas and
        # no management lever. Both switch to the scenario's at month 0, so a lever
        # on and off start from the same team and the same first target.
        self.policy_scenario = scenario
        if scenario.team.warmup_months:
            scenario = without_levers(scenario)
        self.scenario = scenario
        self.strategy = strategy
        self.seeds = [int(s) for s in seeds]
        self.months = int(months)
        self.replications = len(self.seeds)
        self.seats = scenario.team.seats
        self.period_months = PERIOD_MONTHS[scenario.quota.period]
        self.curve = PayCurve.from_settings(scenario.pay)
        self.base_curve = self.curve
        self.season = season_weights(scenario.market)
        self.regime_multiplier = regime_multipliers(scenario.market)
        self.streams = BatchStreams(self.seeds, self.seats)
        self.strategy_rng = tuple(self.streams.for_stream("strategy"))
        self.clock = 0
        self.warmup = scenario.team.warmup_months
        self.change_log: list[tuple[int, int, int, float, float, str]] = []
        self._init_state()
        self.recorder = RunRecorder(self)
        self._warm_up()

    # -- set-up ---------------------------------------------------------------

    def _init_state(self) -> None:
        s = self.scenario
        shape = (self.replications, self.seats)
        team = build_initial_team(s, self.seeds)

        self.skill = team.skill
        self.log_potential = team.log_potential
        self.deviation = team.deviation
        self.tenure = team.tenure
        self.morale = team.morale
        self.fatigue = np.zeros(shape)
        self.effort = np.ones(shape)
        self.coaching = np.zeros(shape)
        self.active = np.ones(shape, dtype=bool)
        self.vacancy_months = np.zeros(shape)
        self.regime = initial_regimes(s.market, self.seeds)
        self.regime_at_period_start = self.regime.copy()

        horizon = PRIOR_MONTHS + self.warmup + self.months
        self.sales_history = np.zeros((*shape, horizon))
        self.quota_history = np.zeros((*shape, horizon))
        self.sales_history[..., :PRIOR_MONTHS] = team.prior_sales
        self.quota_history[..., :PRIOR_MONTHS] = team.prior_quota
        # Month index at which the current rep joined, relative to the history.
        self.joined = PRIOR_MONTHS - self.tenure

        self.quota = np.zeros(shape)
        self.measured = np.zeros(shape, dtype=bool)
        self.period_sales = np.zeros(shape)
        self.paid_variable = np.zeros(shape)
        self.vacated = np.zeros(shape, dtype=bool)
        self.team_quota = np.zeros(self.replications)
        self.annual_target = np.zeros(self.replications)
        self.last_attainment = np.full(shape, np.nan)
        self.pipeline = np.zeros(shape)

        # The manager's beliefs start from the prior year's record.
        self.potential_estimate = np.ones(shape)
        self.skill_belief = np.ones(shape)
        self._refresh_potential_estimate(month=0)
        self._init_skill_belief()
        self.coached = np.zeros(shape, dtype=bool)
        self.levers = Levers(self)

    def _init_skill_belief(self) -> None:
        prior = slice(0, PRIOR_MONTHS)
        months = np.arange(PRIOR_MONTHS)
        present = months[None, None, :] >= self.joined[..., None]
        tenure_then = self.tenure[..., None] - (PRIOR_MONTHS - months)
        ramp_then = ramp(tenure_then, self.scenario)
        expected = (
            self.scenario.team.sales_per_rep_month
            * self.potential_estimate[..., None]
            * ramp_then
            * self.season[None, None, :]
        )
        usable = present & (ramp_then > 0)
        ratio = np.where(
            usable, self.sales_history[..., prior] / np.maximum(expected, 1e-12), 0
        )
        count = usable.sum(axis=-1)
        self.skill_belief = np.where(
            count > 0, ratio.sum(axis=-1) / np.maximum(count, 1), 1.0
        )

    # -- the month ------------------------------------------------------------

    def _warm_up(self) -> None:
        """Run the firm's usual policy before month 0, the same under every strategy.

        Starting every strategy from the state a history-based policy leaves behind
        (tenure mix, morale, beliefs, quota history) removes the transient of
        arbitrary initial conditions from the comparison.
        """
        if not self.warmup:
            return
        from strategies.builtin import HistoryBased

        chosen = self.strategy
        self.strategy = HistoryBased()
        while self.clock < self.warmup:
            self.step()
        self.strategy = chosen
        if self.scenario is not self.policy_scenario:
            self.scenario = self.policy_scenario
            self.levers = Levers(self)

    @property
    def month(self) -> int:
        """Months of the run completed since the strategy took over."""
        return self.clock - self.warmup

    @property
    def finished(self) -> bool:
        """Whether the horizon has been reached."""
        return self.month >= self.months

    def run(self) -> TeamBatch:
        """Advance to the horizon and return self."""
        while not self.finished:
            self.step()
        return self

    def step(self) -> None:
        """Advance every team one month."""
        t = self.clock
        month_in_period = t % self.period_months
        period_end = month_in_period == self.period_months - 1
        record = MonthlyRecord()
        headcount = self.active.copy()

        if t % 12 == 0:
            self._start_fiscal_year(t)
        if month_in_period == 0:
            self._start_period(t, record)

        draws = self._draw(t)
        self._advance_market(t, draws)
        expected = self.levers.split_effort(self._expected_sales(t), month_in_period)
        self._choose_effort(t, expected, month_in_period)
        sales = self._generate_sales(t, expected, draws)
        self.levers.develop_accounts()
        self._observe_and_act(t, expected, draws, record, month_in_period)
        pay = self._pay(period_end)
        attainment = self._update_people(
            sales, draws, period_end, month_in_period
        )
        exits = self._attrition(t, expected, draws, record)
        self._hire(draws, record)

        if t >= self.warmup:
            self.recorder.record(
                t - self.warmup,
                record,
                sales=sales,
                pay=pay,
                headcount=headcount,
                exits=exits,
                attainment=attainment,
                period_end=period_end,
            )
        self.tenure = np.where(self.active, self.tenure + 1, self.tenure)
        self.clock += 1

    # -- 1. period start ------------------------------------------------------

    def _start_fiscal_year(self, t: int) -> None:
        now = PRIOR_MONTHS + t
        last_year = self.sales_history[..., now - 12 : now].sum(axis=(1, 2))
        self.annual_target = (1 + self.scenario.quota.target_growth) * last_year
        self.levers.assess_skills(t)
        if t > 0:
            self._refresh_potential_estimate(month=t)

    def _refresh_potential_estimate(self, month: int) -> None:
        error = self.streams.monthly("manager", "normal", 2, month)[:, 0]
        sigma = self.scenario.manager.potential_error
        self.potential_estimate = np.exp(
            self.log_potential + self.deviation + sigma * error
        )

    def _start_period(self, t: int, record: MonthlyRecord) -> None:
        fiscal_month = t % 12
        months = slice(fiscal_month, fiscal_month + self.period_months)
        period_weight = self.season[months].sum() / 12.0
        previous_team_quota = self.team_quota.copy()
        self.team_quota = (
            self.annual_target
            * period_weight
            * (1 + self.scenario.quota.over_assignment)
        )
        previous_quota = self.quota.copy()
        previous_measured = self.measured.copy()

        self.levers.prepare_forecasts(t)
        view = self.view(month_in_period=0)
        try:
            allocated = self.strategy.allocate(view)
        except StrategyError as error:
            name = self.strategy.name or type(self.strategy).__name__
            raise StrategyError(f"strategy {name!r}: {error}") from None
        quota = self._checked_allocation(allocated, view)
        quota = self.levers.adjust_quotas(quota, t)
        quota = self._apply_new_hire_rule(quota, view)
        self._set_pay_curve(view)

        self.quota = quota
        self.measured = self.active & (quota > 0)
        self.period_sales = np.zeros_like(self.period_sales)
        self.paid_variable = np.zeros_like(self.paid_variable)
        self.vacated = np.zeros_like(self.vacated)
        self.regime_at_period_start = self.regime.copy()
        self._write_quota_history(t)

        same_rep = previous_measured & self.measured
        record.quota_volatility = morale_rules.relative_quota_change(
            previous_quota, previous_team_quota, quota, self.team_quota, same_rep
        )
        self.morale = morale_rules.on_new_quotas(
            self, previous_quota, previous_team_quota, same_rep, t
        )
        record.quota_set = True

    def _checked_allocation(self, quota: np.ndarray, view: ManagerView) -> np.ndarray:
        quota = np.asarray(quota, dtype=float)
        name = self.strategy.name or type(self.strategy).__name__
        if quota.shape != self.active.shape:
            raise StrategyError(
                f"strategy {name!r} returned quotas of shape {quota.shape}; "
                f"expected {self.active.shape} (replications, seats)"
            )
        if not np.isfinite(quota).all() or (quota < 0).any():
            raise StrategyError(
                f"strategy {name!r} returned negative or non-finite quotas; "
                "quotas must be finite and >= 0"
            )
        return np.where(self.active, quota, 0.0)

    def _set_pay_curve(self, view: ManagerView) -> None:
        """Use the strategy's per-rep pay tiers for this period, if it sets any."""
        tiers = getattr(self.strategy, "pay_tiers", None)
        if tiers is not None:
            threshold, excellence = tiers(view)
            self.curve = PayCurve.with_tiers(self.scenario.pay, threshold, excellence)
        elif self.curve is not self.base_curve:
            self.curve = self.base_curve

    def _apply_new_hire_rule(self, quota: np.ndarray, view: ManagerView) -> np.ndarray:
        """Scale ramping reps' quotas if new hires get ramped quotas; keep the total."""
        if self.scenario.quota.new_hire_quota == "ramped":
            quota = quota * np.where(view.ramping, view.ramp_share, 1.0)
        totals = quota.sum(axis=1, keepdims=True)
        fallback = self.active / np.maximum(self.active.sum(axis=1, keepdims=True), 1)
        share = np.where(
            totals > 0, quota / np.where(totals > 0, totals, 1.0), fallback
        )
        return share * self.team_quota[:, None]

    def _write_quota_history(self, t: int) -> None:
        fiscal_month = t % 12
        weights = self.season[fiscal_month : fiscal_month + self.period_months]
        month_share = weights / weights.sum()
        start = PRIOR_MONTHS + t
        stop = min(start + self.period_months, self.quota_history.shape[-1])
        self.quota_history[..., start:stop] = (
            self.quota[..., None] * month_share[None, None, : stop - start]
        )

    # -- 2. exogenous draws ---------------------------------------------------

    def _draw(self, t: int) -> dict[str, np.ndarray]:
        market_normal = self.streams.monthly("market", "normal", 1, t)
        market_uniform = self.streams.monthly("market", "uniform", 3, t)
        sales_normal = self.streams.monthly("sales", "normal", 3, t)
        attrition_uniform = self.streams.monthly("attrition", "uniform", 2, t)
        hiring_uniform = self.streams.monthly("hiring", "uniform", 1, t)
        hiring_normal = self.streams.monthly("hiring", "normal", 2, t)
        manager_normal = self.streams.monthly("manager", "normal", 2, t)
        return {
            "territory": market_normal[:, 0],
            "regime": market_uniform[:, 0, 0],
            "loss_event": market_uniform[:, 1],
            "loss_size": market_uniform[:, 2],
            "sales_noise": sales_normal[:, 0],
            "morale_noise": sales_normal[:, 1],
            "fairness_noise": sales_normal[:, 2],
            "quit": attrition_uniform[:, 0],
            "review": attrition_uniform[:, 1],
            "fill": hiring_uniform[:, 0],
            "hire_skill": hiring_normal[:, 0],
            "hire_morale": hiring_normal[:, 1],
            "pipeline_noise": manager_normal[:, 1],
        }

    def _advance_market(self, t: int, draws: dict[str, np.ndarray]) -> None:
        market = self.scenario.market
        # Forced downturns count run months from 1; the warm-up is before month 1.
        run_month = t - self.warmup + 1
        self.regime = next_regime(self.regime, draws["regime"], run_month, market)
        self.deviation = step_territory(
            self.deviation,
            draws["territory"],
            draws["loss_event"],
            draws["loss_size"],
            market,
        )

    def potential(self) -> np.ndarray:
        """Return the true territory potential (R, N); hidden from strategies."""
        return np.exp(self.log_potential + self.deviation)

    def _expected_sales(self, t: int) -> np.ndarray:
        """Expected sales this month at normal effort, before luck."""
        s = self.scenario
        trend = (1 + s.market.growth_per_year) ** (t / 12.0)
        market = (
            self.regime_multiplier[self.regime][:, None] * self.season[t % 12] * trend
        )
        return (
            s.team.sales_per_rep_month
            * self.potential()
            * self.skill
            * ramp(self.tenure, s)
            * (1.0 + self.coaching)
            * market
            * self.active
        )

    # -- 3. effort ------------------------------------------------------------

    def _choose_effort(
        self, t: int, expected: np.ndarray, month_in_period: int
    ) -> None:
        s = self.scenario
        fiscal_month = t % 12
        period_start = fiscal_month - month_in_period
        weights = self.season[period_start : period_start + self.period_months]
        rest_weight = weights[month_in_period:].sum() / weights[month_in_period]
        months_left = self.period_months - month_in_period

        quota = np.where(self.measured, self.quota, 1.0)
        sigma = s.sales.noise_sigma
        rest_sigma = np.sqrt(np.log1p(np.expm1(sigma**2) / months_left))
        inputs = EffortInputs(
            done=self.period_sales / quota,
            expected_rest=expected * rest_weight / quota,
            rest_sigma=rest_sigma,
            months_left_share=months_left / self.period_months,
            morale=self.morale,
            fatigue=self.fatigue,
            pass_through=self._pass_through(),
            commitment=self.levers.commitment(month_in_period),
        )
        effort = choose_effort(inputs, s.effort, self.curve, s.sales.effort_elasticity)
        # Reps without a quota this period (hired mid-period) work at normal effort.
        self.effort = np.where(self.measured, effort, 1.0)

    def _pass_through(self) -> float:
        """Return the share of extra sales the quota rule passes into next quotas.

        A manager's review after each period adds its correction rate: it moves
        quota towards the reps who beat it.
        """
        pass_through = self.strategy.ratchet_pass_through
        if self.levers.review:
            rate = self.scenario.review.correction_rate
            pass_through = min(pass_through + rate, 1.0)
        return pass_through

    # -- 4. sales -------------------------------------------------------------

    def _generate_sales(self, t: int, expected: np.ndarray, draws) -> np.ndarray:
        s = self.scenario.sales
        luck = np.exp(s.noise_sigma * draws["sales_noise"] - 0.5 * s.noise_sigma**2)
        sales = expected * self.effort**s.effort_elasticity * luck
        self.period_sales = self.period_sales + sales
        self.sales_history[..., PRIOR_MONTHS + t] = sales
        return sales

    # -- 5. the manager observes and acts ---------------------------------------

    def _observe_and_act(self, t, expected, draws, record, month_in_period) -> None:
        manager = self.scenario.manager
        sandbagging, pipeline_noise = manager.sandbagging, manager.pipeline_noise
        if self.scenario.tracking.pipeline_review:
            kept = 1.0 - self.scenario.tracking.pipeline_review
            sandbagging, pipeline_noise = sandbagging * kept, pipeline_noise * kept
        reported = expected * (1 - sandbagging)
        noise = 1 + pipeline_noise * draws["pipeline_noise"]
        self.pipeline = np.maximum(reported * noise, 0.0)

        self.coaching = self.coaching * manager.coaching_decay
        if manager.coaching_capacity:
            self._coach(manager)

        if month_in_period < self.period_months - 1:
            revises = type(self.strategy).reallocate is not Strategy.reallocate
            if revises:
                self._reallocate(t, month_in_period + 1, record)
            interval = self.scenario.stability.revision_interval
            if interval and (month_in_period + 1) % interval == 0:
                self._scheduled_revision(t, month_in_period + 1, record)

    def _coach(self, manager) -> None:
        """Coach up to capacity the reps the early warning ranks first.

        With the default tracking settings these are the reps furthest behind
        pace among those not written off (pace between 0.5 and 1).
        """
        tracking = self.scenario.tracking
        elapsed = self._season_share_elapsed(
            self.clock, self.clock % self.period_months + 1
        )
        quota = np.where(self.measured, self.quota, np.inf)
        pace = self.period_sales / (quota * elapsed)
        flagged = (
            self.measured
            & self.active
            & (pace > tracking.write_off_pace)
            & (pace < tracking.alert_pace)
        )
        priority = coaching_priority(self, pace, flagged)
        order = np.argsort(-priority, axis=1, kind="stable")
        order = order[:, : manager.coaching_capacity]
        chosen = np.zeros_like(flagged)
        np.put_along_axis(chosen, order, True, axis=1)
        chosen &= np.isfinite(priority)
        effect = coaching_effect(self, chosen)
        self.coaching = np.where(chosen, effect, self.coaching)
        self.coached = chosen
        self.levers.coached_morale(chosen)

    def _season_share_elapsed(self, t: int, elapsed_months: int) -> float:
        fiscal_month = t % 12
        start = fiscal_month - (t % self.period_months)
        weights = self.season[start : start + self.period_months]
        return float(weights[:elapsed_months].sum() / weights.sum())

    def _reallocate(self, t: int, elapsed_months: int, record: MonthlyRecord) -> None:
        view = self.view(month_in_period=elapsed_months)
        revision = self.strategy.reallocate(view)
        if revision is None:
            return
        self._apply_revision(t, revision, self.strategy.name, record)

    def _scheduled_revision(
        self, t: int, elapsed_months: int, record: MonthlyRecord
    ) -> None:
        """Revise the unmet quota on the schedule of ``stability.revision_interval``.

        Where no trigger fires, the change is made anyway and logged as
        ``"unstated"`` unless ``stability.require_trigger`` is set.
        """
        from strategies.builtin import forecast_revision

        stability = self.scenario.stability
        view = self.view(month_in_period=elapsed_months)
        revised, trigger = forecast_revision(view, stability.forecast_blend)
        if not stability.require_trigger:
            trigger = np.where(trigger == "", UNSTATED, trigger)
        fired = (trigger != "")[:, None]
        revision = Reallocation(np.where(fired, revised, self.quota), trigger)
        self._apply_revision(
            t, revision, "scheduled revision", record, revision_by_strategy=False
        )

    def _apply_revision(
        self, t, revision, name, record, revision_by_strategy: bool = True
    ) -> None:
        quota = np.asarray(revision.quotas, dtype=float)
        if (
            quota.shape != self.quota.shape
            or not np.isfinite(quota).all()
            or (quota < 0).any()
        ):
            raise StrategyError(f"strategy {name!r} returned invalid revised quotas")
        before, after = self.quota.sum(axis=1), quota.sum(axis=1)
        if not np.allclose(before, after, rtol=1e-9, atol=1e-6):
            worst = int(np.argmax(np.abs(after - before)))
            message = (
                f"{name!r} changed the team quota mid-period in replication {worst} "
                f"(from {before[worst]:.6g} to {after[worst]:.6g}); "
                "the team total must stay fixed"
            )
            if revision_by_strategy:
                raise StrategyError(f"strategy {message}")
            # A scheduled revision is the engine's own rule: a failure is a bug.
            raise RuntimeError(message)

        trigger = np.asarray(revision.trigger, dtype=str)
        changed = np.abs(quota - self.quota) > 1e-6 * np.maximum(self.quota, 1.0)
        for r, n in zip(*np.nonzero(changed), strict=True):
            self.change_log.append(
                (
                    int(r),
                    t - self.warmup,
                    int(n),
                    float(self.quota[r, n]),
                    float(quota[r, n]),
                    trigger[r],
                )
            )
        stated = (trigger != "") & (trigger != UNSTATED)
        self.morale = morale_rules.on_revision(self, changed & self.active, stated)
        if record.quota_changes is not None:
            changed = changed | record.quota_changes
        record.quota_changes = changed & self.active
        self.quota = quota
        self._write_remaining_quota_history(t)

    def _write_remaining_quota_history(self, t: int) -> None:
        start_month = t - t % self.period_months
        self._write_quota_history(start_month)

    # -- 6. pay ---------------------------------------------------------------

    def _pay(self, period_end: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return this month's variable pay and total pay per seat."""
        pay = self.scenario.pay
        monthly_ote = pay.ote_per_year / 12.0
        incentive_per_period = monthly_ote * (1 - pay.base_share) * self.period_months
        attainment = np.divide(
            self.period_sales,
            self.quota,
            out=np.zeros_like(self.quota),
            where=self.measured,
        )
        earned = self.curve.payout(attainment) * incentive_per_period
        increment = np.where(
            self.measured, np.maximum(earned - self.paid_variable, 0), 0
        )
        self.paid_variable = self.paid_variable + increment
        # Reps without a quota this period are paid their target incentive pro rata.
        guarantee = np.where(
            self.active & ~self.measured, monthly_ote * (1 - pay.base_share), 0
        )
        base = np.where(self.active, monthly_ote * pay.base_share, 0.0)
        return increment, base + increment + guarantee

    # -- 7. people ------------------------------------------------------------

    def _update_people(self, sales, draws, period_end, month_in_period) -> np.ndarray:
        attainment = np.full(self.quota.shape, np.nan)
        if period_end:
            attainment = np.where(
                self.measured & self.active,
                self.period_sales / np.where(self.measured, self.quota, 1.0),
                np.nan,
            )
        self.morale = morale_rules.monthly(self, draws, period_end)
        self.levers.feedback_morale(month_in_period, period_end)
        if period_end:
            self.levers.close_period(attainment)
        self.levers.grow_skills()
        m = self.scenario.morale
        self.fatigue = m.fatigue_decay * self.fatigue + np.maximum(
            self.effort - 1.0, 0.0
        )
        self._update_skill_belief(sales)
        if period_end:
            self.last_attainment = attainment
        return attainment

    def _update_skill_belief(self, sales: np.ndarray) -> None:
        s = self.scenario
        t = self.clock
        rate = 1.0 - 0.5 ** (1.0 / s.manager.skill_half_life_months)
        ramp_now = ramp(self.tenure, s)
        market = self.regime_multiplier[self.regime][:, None] * self.season[t % 12]
        expected = (
            s.team.sales_per_rep_month * self.potential_estimate * ramp_now * market
        )
        observed = sales / np.maximum(expected, 1e-12)
        update = self.active & (ramp_now > 0)
        self.skill_belief = np.where(
            update,
            self.skill_belief + rate * (observed - self.skill_belief),
            self.skill_belief,
        )

    # -- 8. attrition ---------------------------------------------------------

    def _attrition(self, t, expected, draws, record) -> dict[str, np.ndarray]:
        from sim import attrition

        return attrition.apply(self, t, expected, draws, record)

    # -- 9. hiring ------------------------------------------------------------

    def _hire(self, draws, record) -> None:
        from sim import attrition

        attrition.hire(self, draws, record)

    # -- the manager's view -----------------------------------------------------

    def view(self, month_in_period: int) -> ManagerView:
        """Return what the manager can observe now (see :mod:`sim.observation`)."""
        now = PRIOR_MONTHS + self.clock + (1 if month_in_period else 0)
        period = self.period_months
        last_start = PRIOR_MONTHS + self.clock - (self.clock % period) - period
        last = slice(last_start, last_start + period)
        # A rep counts as having a history only if fully ramped all last period:
        # managers do not extrapolate quotas from ramp-up months.
        ramped_by = self.joined + self.scenario.sales.ramp_months
        present_all_last = ramped_by <= last_start
        last_sales = self.sales_history[..., last].sum(axis=-1)
        last_quota = self.quota_history[..., last].sum(axis=-1)
        known = present_all_last & self.active & (last_quota > 0)

        ramp_share = self._ramp_share()
        return ManagerView(
            month=self.month,
            month_in_period=month_in_period,
            months_in_period=period,
            team_quota=self.team_quota,
            team_growth=self.scenario.quota.target_growth,
            active=self.active,
            tenure=self.tenure,
            ramping=self.active & (ramp_share < 1.0),
            ramp_share=ramp_share,
            sales_history=self.sales_history[..., max(now - HISTORY_WINDOW, 0) : now],
            quota_history=self.quota_history[..., max(now - HISTORY_WINDOW, 0) : now],
            last_period_sales=np.where(known, last_sales, np.nan),
            last_period_quota=np.where(known, last_quota, np.nan),
            quota=self.quota,
            period_sales=self.period_sales,
            season_share_elapsed=self._season_share_elapsed(self.clock, month_in_period)
            if month_in_period
            else 0.0,
            potential_estimate=self.potential_estimate,
            skill_belief=self.levers.skill_belief(),
            pipeline=self.pipeline,
            market_index=self.regime_multiplier[self.regime],
            market_index_at_start=self.regime_multiplier[self.regime_at_period_start],
            vacated=self.vacated,
            rng=self.strategy_rng,
            forecast=self.levers.forecast,
        )

    def _ramp_share(self) -> np.ndarray:
        """Mean ramp factor over the months of the current period."""
        offsets = np.arange(self.period_months)
        tenure = self.tenure[..., None] + offsets
        return ramp(tenure, self.scenario).mean(axis=-1)
