"""The scenario: every magnitude of the model in one validated object.

A scenario is a set of sections (``team``, ``market``, ``sales``, ``effort``, ``pay``,
``quota``, ``morale``, ``attrition``, ``hiring``, ``manager``, and the management
levers ``profiling`` to ``participation`` described in ``docs/levers.md``). Each
setting declares
its default, unit, valid range and source with :func:`setting`, so validation, the
TOML file format and the documentation table are all built from one declaration.

Most behavioural magnitudes have no direct empirical estimate. Their sources state
this, and they are calibration choices (see ``docs/calibration.md``).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from sim.errors import ScenarioError


def setting(
    default: Any,
    unit: str,
    source: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    doc: str = "",
    low_open: bool = False,
) -> Any:
    """Declare one scenario setting with its default, unit, bounds and source."""
    meta = {
        "unit": unit,
        "source": source,
        "low": low,
        "high": high,
        "choices": choices,
        "doc": doc,
        "low_open": low_open,
    }
    if isinstance(default, list | tuple):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


ASSUMPTION = "assumption, calibrated to the default-scenario targets"


@dataclass(frozen=True)
class TeamSettings:
    """The sales force at the start of a run."""

    seats: int = setting(25, "seats", "typical first-line team", low=1, high=100_000)
    sales_per_rep_month: float = setting(
        100_000.0,
        "currency per month",
        "expected monthly sales of a fully ramped rep with skill 1 on a territory "
        "of potential 1; a scale only, attainment does not depend on it",
        low=0.0,
        low_open=True,
    )
    skill_sigma: float = setting(
        0.35,
        "log-sd",
        "O'Boyle & Aguinis 2012 (Paretian individual output)",
        low=0.0,
        high=2.0,
    )
    potential_sigma: float = setting(
        0.30,
        "log-sd",
        "assumption; territory imbalance is the usual state (Zoltners & Lorimer 2000)",
        low=0.0,
        high=2.0,
    )
    tenure_mean_months: float = setting(
        18.0,
        "months",
        "Bridge Group 2018 via Xactly: average rep tenure about 1.5 years",
        low=0.0,
    )
    warmup_months: int = setting(
        12,
        "months",
        "months simulated under history-based quotas before month 0, so every "
        "strategy starts from a settled team; 0 for teams read from data",
        low=0,
        high=120,
    )
    morale_mean: float = setting(
        0.65, "0-1", "assumption (baseline morale)", low=0.0, high=1.0
    )
    morale_sd: float = setting(
        0.10, "morale", "spread of initial and new-hire morale (assumption)", low=0.0
    )
    productivity: list[float] = setting(
        [],
        "relative to team mean",
        "team data: each seat's relative productivity; empty means drawn",
        doc="One value per seat; overrides the drawn skill x potential.",
    )
    tenure_months: list[float] = setting(
        [],
        "months",
        "team data: tenure of each seat's rep at the start; empty means drawn",
    )
    last_year_sales: float = setting(
        0.0,
        "currency",
        "team data: team sales in the last 12 months; 0 means simulated",
        low=0.0,
    )
    initial_quota_share: list[float] = setting(
        [],
        "share of team quota",
        "team data: each seat's share of the last quota period; empty means drawn",
    )


@dataclass(frozen=True)
class MarketSettings:
    """Common market regime, seasonality, territory shocks."""

    regime_stay: float = setting(
        0.96, "probability per month", "assumption", low=0.0, high=1.0
    )
    boom_multiplier: float = setting(
        1.10, "sales multiplier", "assumption", low=0.0, low_open=True
    )
    downturn_multiplier: float = setting(
        0.85,
        "sales multiplier",
        "Alexander Group 2020: COVID-era revenue hits above 15%",
        low=0.0,
        low_open=True,
    )
    initial_regime: str = setting(
        "stationary",
        "",
        "regime at the start of the warm-up; 'stationary' draws it from the chain's "
        "long-run distribution (equal thirds)",
        choices=("stationary", "normal", "boom", "downturn"),
    )
    downturn_start_month: int = setting(
        0,
        "month",
        "scenario lever: force a downturn from this run month (1 = first; 0 = none)",
        low=0,
    )
    downturn_length_months: int = setting(
        12, "months", "scenario lever: length of a forced downturn", low=1
    )
    year_end_lift: float = setting(
        0.10,
        "share",
        "Oyer 1998 (fiscal-year-end sales lift); amplitude is an assumption",
        low=0.0,
        high=1.0,
    )
    season_profile: list[float] = setting(
        [],
        "relative sales per month",
        "team data: 12 monthly sales factors, the first for the run's first month; "
        "empty means the year_end_lift profile",
        doc="Replaces year_end_lift when given; rescaled to mean 1.",
    )
    growth_per_year: float = setting(
        0.03,
        "share per year",
        "Alexander Group Trends 2016: 3.5% median growth achieved",
        low=-0.5,
        high=1.0,
    )
    territory_rho: float = setting(
        0.95, "per month", "assumption (persistent territory shocks)", low=0.0, high=1.0
    )
    territory_sigma: float = setting(
        0.05, "log-sd per month", "assumption", low=0.0, high=1.0
    )
    account_loss_probability: float = setting(
        0.015, "probability per seat-month", "assumption", low=0.0, high=1.0
    )
    account_loss_low: float = setting(
        0.10, "share of potential", "assumption", low=0.0, high=1.0
    )
    account_loss_high: float = setting(
        0.30, "share of potential", "assumption", low=0.0, high=1.0
    )


@dataclass(frozen=True)
class SalesSettings:
    """Monthly sales from effort, skill, ramp and luck."""

    effort_elasticity: float = setting(
        0.5,
        "exponent",
        "assumption: a 20% effort swing moves output about 10%",
        low=0.0,
        high=2.0,
    )
    noise_sigma: float = setting(
        0.30,
        "log-sd per month",
        "0.30 for new-business roles, 0.12 for account management (assumption)",
        low=0.0,
        high=3.0,
    )
    ramp_months: float = setting(
        5.0,
        "months",
        "Bridge Group 2024: median AE ramp 5.0 months (range 3-12)",
        low=1.0,
        high=36.0,
    )
    ramp_lag_months: float = setting(
        1.0,
        "months",
        "months of tenure before the ramp starts; new hires sell nothing in their "
        "first ramp_lag_months + 1 months (assumption: a short sales cycle)",
        low=0.0,
        high=12.0,
    )


@dataclass(frozen=True)
class EffortSettings:
    """Reps' effort choice in response to their quota."""

    rule: str = setting(
        "expectancy",
        "",
        "expectancy over the pay plan (Oliver 1974; Chung, Steenburgh & Sudhir "
        "2014) or the fast piecewise inverted U (Kumar, Goreczny & Maurer 2018)",
        choices=("expectancy", "piecewise"),
    )
    floor: float = setting(
        0.70,
        "effort (1 = normal)",
        "assumption: give-up effort",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    ceiling: float = setting(
        1.50, "effort (1 = normal)", "assumption", low=1.0, high=3.0
    )
    grid_points: int = setting(
        9, "levels", "resolution of the expectancy rule", low=2, high=101
    )
    cost: float = setting(
        0.9,
        "target incentive per period at effort 1",
        ASSUMPTION,
        low=0.0,
    )
    goal_commitment: float = setting(
        0.3,
        "target incentive per period",
        "value of reaching quota at full morale; Locke & Latham 2002 (assumption)",
        low=0.0,
    )
    ratchet_foresight: float = setting(
        0.0,
        "0-1",
        "share of the quota rule's pass-through reps anticipate (Weitzman 1980; "
        "Misra & Nair 2011); 0 = naive reps",
        low=0.0,
        high=1.0,
    )
    coast_effort: float = setting(
        0.95, "effort", "piecewise rule: effort when the quota is easy", low=0.0
    )
    peak_effort: float = setting(
        1.08, "effort", "piecewise rule: peak effort (assumption)", low=0.0
    )
    easy_difficulty: float = setting(
        0.85, "ratio", "piecewise rule: difficulty below which reps coast", low=0.0
    )
    peak_difficulty: float = setting(
        1.15, "ratio", "piecewise rule: difficulty of peak effort", low=0.0
    )
    give_up_difficulty: float = setting(
        1.60, "ratio", "piecewise rule: difficulty at which reps give up", low=0.0
    )
    give_up_probability: float = setting(
        0.15,
        "probability",
        "piecewise rule: reps give up when the chance of reaching quota is below",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class PaySettings:
    """The pay plan: base and variable mix, threshold, accelerator, cap."""

    ote_per_year: float = setting(
        240_000.0,
        "currency per year",
        "quota about 5x on-target earnings (practitioner guidance)",
        low=0.0,
        low_open=True,
    )
    base_share: float = setting(
        0.60,
        "share of OTE",
        "Alexander Group 2014: 60/40 the most common pay mix",
        low=0.0,
        high=1.0,
    )
    threshold: float = setting(
        0.50,
        "attainment",
        "common 50% threshold (QuotaPath templates)",
        low=0.0,
        high=0.99,
    )
    accelerator: float = setting(
        1.5,
        "payout slope above quota",
        "1.5-2.5x above 100% (QuotaPath; Alexander Group)",
        low=0.0,
        high=10.0,
    )
    cap: float = setting(
        0.0,
        "attainment",
        "Alexander Group 2014: over 70% of firms do not cap; 0 = no cap",
        low=0.0,
    )
    quota_bonus_share: float = setting(
        0.0,
        "share of target incentive",
        "lump-sum bonus paid on reaching quota",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class QuotaSettings:
    """Team target setting and its split into quota periods."""

    period: str = setting(
        "quarterly",
        "",
        "QuotaPath: about half of SaaS firms use quarterly quotas",
        choices=("monthly", "quarterly", "annual"),
    )
    target_growth: float = setting(
        0.10,
        "share per year",
        "WorldatWork/BSC 2012: 84% of firms set 'last year plus x%'",
        low=-0.5,
        high=2.0,
    )
    over_assignment: float = setting(
        0.0,
        "share",
        "Alexander Group 2014: 60% of firms do not over-assign",
        low=0.0,
        high=0.5,
    )
    new_hire_quota: str = setting(
        "ramped",
        "",
        "Alexander Group 2016: 32% full, 18.8% ramped",
        choices=("ramped", "full"),
    )


@dataclass(frozen=True)
class MoraleSettings:
    """Morale dynamics. No coefficient here has a direct empirical estimate."""

    reversion: float = setting(0.10, "per month", ASSUMPTION, low=0.0, high=1.0)
    pace_weight: float = setting(
        0.02,
        "per month",
        "Locke & Latham high-performance cycle; " + ASSUMPTION,
        low=0.0,
    )
    fairness_weight: float = setting(
        0.03, "per quota set", "Ramaswami & Singh 2003; " + ASSUMPTION, low=0.0
    )
    fairness_tolerance: float = setting(
        0.15,
        "log ratio",
        "quota-burden gap to the median that reps accept; " + ASSUMPTION,
        low=0.0,
    )
    fairness_noise: float = setting(
        0.15, "log-sd", "noise in perceived territory potential", low=0.0
    )
    volatility_cost: float = setting(
        0.03,
        "per unexplained quota change",
        "WorldatWork/BSC 2012; assumption",
        low=0.0,
    )
    triggered_change_discount: float = setting(
        0.5,
        "share",
        "share of the volatility cost a change with a stated trigger avoids",
        low=0.0,
        high=1.0,
    )
    ratchet_cost: float = setting(
        0.03,
        "per 10% excess quota rise",
        "Leone, Misra & Zimmerman 2004; " + ASSUMPTION,
        low=0.0,
    )
    fatigue_weight: float = setting(0.02, "per unit fatigue", ASSUMPTION, low=0.0)
    fatigue_decay: float = setting(0.8, "per month", ASSUMPTION, low=0.0, high=1.0)
    noise: float = setting(0.02, "sd per month", ASSUMPTION, low=0.0)
    low_threshold: float = setting(
        0.40, "morale", "distress threshold for morale_low_share", low=0.0, high=1.0
    )


@dataclass(frozen=True)
class AttritionSettings:
    """Voluntary hazard and performance-managed exits."""

    base_hazard: float = setting(
        0.009,
        "probability per month",
        "about 15% a year voluntary; " + ASSUMPTION,
        low=0.0,
        high=1.0,
    )
    morale_coefficient: float = setting(3.0, "per unit morale", ASSUMPTION, low=0.0)
    pay_coefficient: float = setting(
        2.0, "per log pay gap", "pay below the outside option; " + ASSUMPTION, low=0.0
    )
    fatigue_coefficient: float = setting(
        0.3, "per unit fatigue", "turnover meta-analysis (exhaustion)", low=0.0
    )
    outside_skill_elasticity: float = setting(
        0.5,
        "exponent",
        "outside offer rises with skill; drives regretted attrition (assumption)",
        low=0.0,
    )
    labour_market: float = setting(
        0.0, "log hazard shift", "labour-market tightness (0 = normal)"
    )
    review_floor: float = setting(
        0.60,
        "attainment",
        "performance-managed exit below this trailing two-quarter attainment",
        low=0.0,
        high=2.0,
    )
    review_exit_probability: float = setting(
        0.35, "probability", ASSUMPTION, low=0.0, high=1.0
    )


@dataclass(frozen=True)
class HiringSettings:
    """Vacancies and new hires."""

    mean_vacancy_months: float = setting(
        2.5,
        "months",
        "SBI: 60 days to recruit; recruiters: 90 days source to start",
        low=1.0,
    )
    new_hire_skill_shift: float = setting(
        0.0,
        "log skill",
        "mean shift of new hires' skill (assumption)",
        low=-2.0,
        high=2.0,
    )


@dataclass(frozen=True)
class ManagerSettings:
    """The manager's observations, beliefs and coaching."""

    potential_error: float = setting(
        0.25,
        "log-sd",
        "error of territory potential estimates, refreshed yearly (assumption)",
        low=0.0,
        high=3.0,
    )
    skill_half_life_months: float = setting(
        12.0, "months", "EWMA half-life of the skill belief (assumption)", low=0.1
    )
    pipeline_noise: float = setting(
        0.15, "relative sd", "noise of the reported pipeline (assumption)", low=0.0
    )
    sandbagging: float = setting(
        0.10,
        "share",
        "pipeline under-reporting by reps (assumption)",
        low=0.0,
        high=0.9,
    )
    coaching_capacity: int = setting(
        0, "reps per month", "reps coached per month; 0 = no coaching", low=0
    )
    coaching_effect: float = setting(
        0.05,
        "sales multiplier",
        "CEB/SEC: up to +19% for core performers; default +5%",
        low=0.0,
        high=1.0,
    )
    coaching_decay: float = setting(
        0.5,
        "per month",
        "share of the coaching effect kept each month",
        low=0.0,
        high=1.0,
    )


# Management levers (docs/levers.md). Each is off or neutral by default, so the
# default scenario gives the same results as a model without them.


@dataclass(frozen=True)
class ProfilingSettings:
    """Profiling before allocating: a direct assessment of each rep's skill.

    The accuracy of territory-potential estimates is ``manager.potential_error``.
    """

    skill_weight: float = setting(
        0.0,
        "share",
        "weight of the profiling assessment in the skill belief strategies see; "
        "0 = no profiling (belief learned from sales only)",
        low=0.0,
        high=1.0,
    )
    skill_error: float = setting(
        0.30,
        "log-sd",
        "error of the assessment, redone at each fiscal-year start and at hire; "
        "aptitude tests explain under 20% of performance variance (Churchill et "
        "al. 1985); assumption",
        low=0.0,
        high=3.0,
    )


@dataclass(frozen=True)
class TrackingSettings:
    """Progress tracking, early warning and where coaching goes.

    Coaching capacity, effect and decay are ``manager.coaching_*``.
    """

    coaching_target: str = setting(
        "behind_pace",
        "",
        "behind_pace: the alerted reps furthest behind; most_to_gain: alerted reps "
        "with the largest expected response; random: no tracking, any rep",
        choices=("behind_pace", "most_to_gain", "random"),
    )
    alert_pace: float = setting(
        1.0,
        "pace",
        "early warning: a rep is flagged when period-to-date pace is below this",
        low=0.0,
        high=2.0,
    )
    write_off_pace: float = setting(
        0.5,
        "pace",
        "reps below this pace are not coached (too far behind to recover)",
        low=0.0,
        high=2.0,
    )
    coaching_response: str = setting(
        "middle",
        "",
        "middle: the effect peaks at the median skill and vanishes at the extremes "
        "(Sales Executive Council 2008: up to +19% for the middle 60%, little for "
        "the tails); uniform: the same effect for everyone",
        choices=("middle", "uniform"),
    )
    coaching_morale: float = setting(
        0.0,
        "morale per coached month",
        "morale gain from being coached; 0.01 in the literature-based design "
        "(assumption)",
        low=0.0,
        high=1.0,
    )
    pipeline_review: float = setting(
        0.0,
        "share",
        "share of pipeline sandbagging and noise that pipeline reviews remove "
        "(Jordan & Kelly 2015, correlational); 0 = no reviews",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class StabilitySettings:
    """How often the manager revises quotas mid-period, and on what grounds."""

    revision_interval: int = setting(
        0,
        "months",
        "months between scheduled mid-period revisions of the unmet quota; 0 = "
        "targets stay fixed within the period (WorldatWork/BSC 2012: firms rarely "
        "change quotas mid-cycle)",
        low=0,
        high=11,
    )
    require_trigger: bool = setting(
        False,
        "",
        "revise only where a stated trigger fires (market, vacancy, pace); "
        "otherwise every scheduled revision happens, unexplained",
    )
    forecast_blend: float = setting(
        0.5,
        "share",
        "weight of the run-rate and pipeline forecast in a revised remainder",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class TransparencySettings:
    """Published allocation criteria and published rankings."""

    criteria_published: bool = setting(
        False,
        "",
        "allocation criteria are published (procedural justice; Ramaswami & Singh "
        "2003)",
    )
    criteria_noise_share: float = setting(
        0.5,
        "share",
        "share of morale.fairness_noise left when criteria are published "
        "(assumption)",
        low=0.0,
        high=1.0,
    )
    rankings_published: bool = setting(
        False,
        "",
        "attainment rankings are published to the team at each period close",
    )
    rank_morale_cost: float = setting(
        0.02,
        "morale per period",
        "morale loss of the lowest-ranked rep, falling linearly to 0 at the "
        "median; removing rank feedback raised sales 11% (Barankay 2012)",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class FeedbackSettings:
    """Recognition of top performers and progress feedback within the period."""

    recognition_share: float = setting(
        0.0,
        "share of reps",
        "top share by attainment recognised at each period close; 0 = none",
        low=0.0,
        high=1.0,
    )
    recognition_morale: float = setting(
        0.02,
        "morale per recognition",
        "symbolic awards raised output 12% (Kosfeld & Neckermann 2011); the "
        "morale size is an assumption",
        low=0.0,
        high=1.0,
    )
    interval_months: int = setting(
        0,
        "months",
        "months between progress-feedback talks; 0 = feedback only at period close",
        low=0,
        high=12,
    )
    commitment_gain: float = setting(
        0.2,
        "share",
        "rise of goal commitment in a month with feedback (Locke & Latham 2002: "
        "feedback moderates goal effects); assumption",
        low=0.0,
        high=5.0,
    )
    pace_morale_weight: float = setting(
        0.01,
        "morale per feedback",
        "morale response to the pace reported in feedback, positive ahead of pace "
        "and negative behind; over a third of feedback interventions lowered "
        "performance (Kluger & DeNisi 1996)",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class DevelopmentSettings:
    """Short-term closing versus long-term account development."""

    base_share: float = setting(
        0.0,
        "share of effort",
        "effort spent developing accounts when on pace; 0 = no development",
        low=0.0,
        high=0.9,
    )
    long_term_target: float = setting(
        0.0,
        "share",
        "weight of a separate long-term development target: the share of "
        "development effort it protects; without it reps behind pace or near the "
        "period close cut development (Kim, Sudhir, Uetake & Canales 2019; Chung, "
        "Narayandas & Chang 2021)",
        low=0.0,
        high=1.0,
    )
    potential_yield: float = setting(
        0.04,
        "log potential per unit of stock",
        "lift of territory potential per unit of development stock (assumption)",
        low=0.0,
        high=1.0,
    )
    stock_decay: float = setting(
        0.97,
        "per month",
        "share of the development stock kept each month (assumption)",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class DiscretionSettings:
    """Manager discretion: adjustments to the rule's quotas at each period start."""

    adjustment_noise: float = setting(
        0.0,
        "log-sd",
        "random manager adjustments to each quota; 0 = the standard process",
        low=0.0,
        high=2.0,
    )
    favoured_share: float = setting(
        0.0,
        "share of seats",
        "seats the manager favours with lower quotas; 13-15% of quota adjustments "
        "are self-serving (Benson 2014)",
        low=0.0,
        high=1.0,
    )
    favouritism: float = setting(
        0.15,
        "log quota cut",
        "quota cut of a favoured seat before the team total is restored "
        "(assumption)",
        low=0.0,
        high=2.0,
    )


@dataclass(frozen=True)
class ReviewSettings:
    """Review after each period: correct the allocation from its last errors."""

    correction_rate: float = setting(
        0.0,
        "share per period",
        "share of a rep's log attainment gap to the team median carried into the "
        "next quotas; 0 = no review. A learning allocator, and a ratchet when high",
        low=0.0,
        high=1.0,
    )


@dataclass(frozen=True)
class GrowthSettings:
    """Growth assignments: stretch quotas for developing reps."""

    stretch: float = setting(
        0.0,
        "share of quota",
        "quota uplift for developing reps before the team total is restored; "
        "0 = no growth assignments",
        low=0.0,
        high=1.0,
    )
    developing_months: float = setting(
        24.0,
        "months",
        "reps past ramp with tenure below this count as developing",
        low=0.0,
    )
    skill_gain: float = setting(
        0.05,
        "log skill per year at stretch 1",
        "skill growth from a stretch assignment, proportional to the stretch "
        "(assumption)",
        low=0.0,
        high=2.0,
    )


@dataclass(frozen=True)
class ParticipationSettings:
    """Rep forecasts for the participatory strategy."""

    sandbagging: float = setting(
        0.15,
        "share",
        "mean under-forecast; each rep draws from 0 to twice this each period "
        "(assumption; Gonik 1978 on the incentive to sandbag)",
        low=0.0,
        high=0.45,
    )
    truth_telling_grid: bool = setting(
        False,
        "",
        "a Gonik bonus grid makes an honest forecast the rep's best choice, so "
        "forecasts carry no sandbagging",
    )
    forecast_noise: float = setting(
        0.10,
        "log-sd",
        "error of a rep's honest forecast of their own period sales (assumption)",
        low=0.0,
        high=2.0,
    )


SECTIONS: dict[str, type] = {
    "team": TeamSettings,
    "market": MarketSettings,
    "sales": SalesSettings,
    "effort": EffortSettings,
    "pay": PaySettings,
    "quota": QuotaSettings,
    "morale": MoraleSettings,
    "attrition": AttritionSettings,
    "hiring": HiringSettings,
    "manager": ManagerSettings,
    "profiling": ProfilingSettings,
    "tracking": TrackingSettings,
    "stability": StabilitySettings,
    "transparency": TransparencySettings,
    "feedback": FeedbackSettings,
    "development": DevelopmentSettings,
    "discretion": DiscretionSettings,
    "review": ReviewSettings,
    "growth": GrowthSettings,
    "participation": ParticipationSettings,
}


@dataclass(frozen=True)
class Scenario:
    """All magnitudes of one simulated sales team, validated on construction.

    Build it with keyword sections (``Scenario(pay=PaySettings(cap=2.0))``), from a
    TOML file with :meth:`load`, or change a copy with :meth:`replace`
    (``scenario.replace({"pay.cap": 2.0})``).
    """

    team: TeamSettings = field(default_factory=TeamSettings)
    market: MarketSettings = field(default_factory=MarketSettings)
    sales: SalesSettings = field(default_factory=SalesSettings)
    effort: EffortSettings = field(default_factory=EffortSettings)
    pay: PaySettings = field(default_factory=PaySettings)
    quota: QuotaSettings = field(default_factory=QuotaSettings)
    morale: MoraleSettings = field(default_factory=MoraleSettings)
    attrition: AttritionSettings = field(default_factory=AttritionSettings)
    hiring: HiringSettings = field(default_factory=HiringSettings)
    manager: ManagerSettings = field(default_factory=ManagerSettings)
    profiling: ProfilingSettings = field(default_factory=ProfilingSettings)
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    stability: StabilitySettings = field(default_factory=StabilitySettings)
    transparency: TransparencySettings = field(default_factory=TransparencySettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    development: DevelopmentSettings = field(default_factory=DevelopmentSettings)
    discretion: DiscretionSettings = field(default_factory=DiscretionSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    growth: GrowthSettings = field(default_factory=GrowthSettings)
    participation: ParticipationSettings = field(
        default_factory=ParticipationSettings
    )

    def __post_init__(self) -> None:
        for name in SECTIONS:
            _validate_section(name, getattr(self, name))
        _validate_cross_fields(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "") -> Scenario:
        """Build a scenario from nested mappings, rejecting unknown keys."""
        if not isinstance(data, dict):
            raise ScenarioError("scenario", data, "must be a table of sections", source)
        sections = {}
        for name, values in data.items():
            if name not in SECTIONS and not isinstance(values, dict):
                valid = ", ".join(SECTIONS)
                raise ScenarioError(
                    name,
                    values,
                    f"setting outside any section; put it under one of [{valid}]",
                    source,
                )
            if name not in SECTIONS:
                valid = ", ".join(SECTIONS)
                raise ScenarioError(
                    name, name, f"unknown section; valid: {valid}", source
                )
            if not isinstance(values, dict):
                raise ScenarioError(name, values, "must be a table of settings", source)
            sections[name] = _build_section(name, values, source)
        try:
            return cls(**sections)
        except ScenarioError as error:
            if source and not error.source:
                raise ScenarioError(
                    error.field, error.value, error.expected, source
                ) from None
            raise

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a scenario TOML file; settings it omits keep their defaults."""
        path = Path(path)
        if path.is_dir():
            raise ScenarioError(
                "--scenario", str(path), "is a folder; give a TOML scenario file"
            )
        if not path.is_file():
            raise ScenarioError(
                "--scenario", str(path), "file not found; give a TOML scenario file"
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ScenarioError(
                "--scenario", str(path), f"invalid TOML: {error}"
            ) from None
        data.pop("provenance", None)
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Return the scenario as nested plain mappings (TOML- and JSON-ready)."""
        return {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}

    def save(self, path: str | Path, provenance: dict[str, str] | None = None) -> None:
        """Write the scenario as TOML, optionally with a provenance table."""
        data: dict[str, Any] = self.to_dict()
        if provenance:
            data = {"provenance": dict(provenance), **data}
        Path(path).write_text(tomli_w.dumps(data), encoding="utf-8")

    def replace(self, changes: dict[str, Any]) -> Scenario:
        """Return a copy with dotted settings changed, e.g. ``{"pay.cap": 2.0}``."""
        data = self.to_dict()
        for dotted, value in changes.items():
            section, _, name = dotted.partition(".")
            if section not in data or name not in data[section]:
                raise ScenarioError(dotted, value, "unknown setting")
            data[section][name] = value
        return Scenario.from_dict(data)


def _build_section(name: str, values: dict[str, Any], source: str) -> Any:
    cls = SECTIONS[name]
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            valid = ", ".join(known)
            raise ScenarioError(
                f"{name}.{key}", value, f"unknown setting; valid: {valid}", source
            )
        kwargs[key] = _coerce(f"{name}.{key}", value, known[key], source)
    return cls(**kwargs)


def _coerce(path: str, value: Any, spec: dataclasses.Field, source: str) -> Any:
    """Convert TOML values to the declared type; reject wrong types by name."""
    default = spec.default if spec.default is not dataclasses.MISSING else []
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ScenarioError(path, value, "must be true or false", source)
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, value, "must be a whole number", source)
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(path, value, "must be a number", source)
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ScenarioError(path, value, "must be a string", source)
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise ScenarioError(path, value, "must be a list of numbers", source)
        return [float(v) for v in value]
    return value


def _validate_section(name: str, section: Any) -> None:
    for spec in fields(section):
        value = getattr(section, spec.name)
        path = f"{name}.{spec.name}"
        meta = spec.metadata
        if meta.get("choices"):
            if value not in meta["choices"]:
                raise ScenarioError(
                    path, value, f"must be one of {', '.join(meta['choices'])}"
                )
            continue
        if isinstance(value, list):
            for item in value:
                if not math.isfinite(item) or item < 0:
                    raise ScenarioError(
                        path, item, "list items must be finite and >= 0"
                    )
            continue
        if isinstance(value, str | bool):
            continue
        if not isinstance(value, int | float):
            raise ScenarioError(path, value, "must be a number")
        if not math.isfinite(value):
            raise ScenarioError(path, value, "must be a finite number")
        _check_bounds(path, value, meta)


def _check_bounds(path: str, value: float, meta: Any) -> None:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and (value < low or (meta.get("low_open") and value == low)):
        sign = ">" if meta.get("low_open") else ">="
        rule = f"must be {sign} {low}"
        if high is not None:
            rule = f"must be between {low} and {high}"
        raise ScenarioError(path, value, rule)
    if high is not None and value > high:
        rule = f"must be <= {high}"
        if low is not None:
            rule = f"must be between {low} and {high}"
        raise ScenarioError(path, value, rule)


def _validate_cross_fields(scenario: Scenario) -> None:
    _validate_lever_reach(scenario)
    team = scenario.team
    for name in ("productivity", "tenure_months", "initial_quota_share"):
        values = getattr(team, name)
        if values and len(values) != team.seats:
            raise ScenarioError(
                f"team.{name}",
                f"{len(values)} values",
                f"must have one value per seat (team.seats = {team.seats})",
            )
    if team.productivity and sum(team.productivity) <= 0:
        raise ScenarioError("team.productivity", team.productivity, "must not be all 0")
    profile = scenario.market.season_profile
    if profile and (len(profile) != 12 or sum(profile) <= 0):
        raise ScenarioError(
            "market.season_profile",
            profile,
            "must be empty or 12 values, not all 0",
        )
    if team.warmup_months % 12:
        raise ScenarioError(
            "team.warmup_months", team.warmup_months, "must be a multiple of 12"
        )
    pay = scenario.pay
    if pay.cap and pay.cap <= 1.0:
        raise ScenarioError("pay.cap", pay.cap, "must be 0 (no cap) or above 1.0")
    market = scenario.market
    if market.account_loss_low > market.account_loss_high:
        raise ScenarioError(
            "market.account_loss_low",
            market.account_loss_low,
            f"must be <= market.account_loss_high ({market.account_loss_high})",
        )
    effort = scenario.effort
    if effort.floor >= effort.ceiling:
        raise ScenarioError(
            "effort.floor",
            effort.floor,
            f"must be below effort.ceiling ({effort.ceiling})",
        )
    order = (effort.easy_difficulty, effort.peak_difficulty, effort.give_up_difficulty)
    if not order[0] < order[1] < order[2]:
        raise ScenarioError(
            "effort.peak_difficulty",
            effort.peak_difficulty,
            "must lie between effort.easy_difficulty and effort.give_up_difficulty",
        )


def describe_settings() -> list[dict[str, Any]]:
    """List every setting with its default, unit, range and source (for docs)."""
    rows = []
    for section, cls in SECTIONS.items():
        for spec in fields(cls):
            default = spec.default if spec.default is not dataclasses.MISSING else []
            meta = spec.metadata
            rows.append(
                {
                    "setting": f"{section}.{spec.name}",
                    "default": default,
                    "unit": meta["unit"],
                    "low": meta["low"],
                    "high": meta["high"],
                    "choices": meta["choices"],
                    "source": meta["source"],
                }
            )
    return rows


def _validate_lever_reach(scenario: Scenario) -> None:
    """Reject lever settings that could never act under the rest of the scenario."""
    period = {"monthly": 1, "quarterly": 3, "annual": 12}[scenario.quota.period]
    interval = scenario.stability.revision_interval
    if interval and interval >= period:
        raise ScenarioError(
            "stability.revision_interval",
            interval,
            f"must be below the quota period ({period} months under quota.period = "
            f"{scenario.quota.period}) to take effect; 0 turns revisions off",
        )
    tracking = scenario.tracking
    coached = scenario.manager.coaching_capacity > 0
    if coached and tracking.coaching_target != "random":
        if tracking.write_off_pace >= tracking.alert_pace:
            raise ScenarioError(
                "tracking.write_off_pace",
                tracking.write_off_pace,
                f"must be below tracking.alert_pace ({tracking.alert_pace}), or no "
                "flagged rep can be coached",
            )
