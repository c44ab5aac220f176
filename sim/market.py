"""The market: a common regime chain, seasonality and territory shocks.

* Regime: a Markov chain over normal (1.00), boom and downturn multipliers. Each
  month the regime stays with probability ``regime_stay``, else moves to one of the
  other two with equal chance. A forced downturn (``downturn_start_month``) overrides
  the chain for a stated window, for market-shock experiments.
* Seasonality: flat, with a lift in the last quarter of the fiscal year (Oyer 1998
  finds sales higher at fiscal-year end), normalised so the year averages 1.
* Territory potential: ``ln P = ln P0 + x``, with ``x`` an AR(1) deviation and
  occasional account losses that knock ``x`` down and then decay with it.
"""

from __future__ import annotations

import numpy as np

from sim.rng import stream_generator
from sim.scenario import MarketSettings

REGIMES = ("normal", "boom", "downturn")


def regime_multipliers(market: MarketSettings) -> np.ndarray:
    """Return the sales multiplier of each regime, in ``REGIMES`` order."""
    return np.array([1.0, market.boom_multiplier, market.downturn_multiplier])


def initial_regimes(market: MarketSettings, seeds) -> np.ndarray:
    """Return each replication's starting regime index (R,).

    The chain is symmetric, so its long-run distribution is equal thirds;
    ``stationary`` draws from it with each replication's own market stream.
    """
    if market.initial_regime != "stationary":
        return np.full(len(seeds), REGIMES.index(market.initial_regime))
    draws = [stream_generator(seed, "market").random() for seed in seeds]
    return np.minimum((np.asarray(draws) * 3).astype(int), 2)


def season_weights(market: MarketSettings) -> np.ndarray:
    """Return the 12 monthly seasonal factors of a fiscal year (mean 1)."""
    if market.season_profile:
        profile = np.asarray(market.season_profile, dtype=float)
        return profile / profile.mean()
    weights = np.ones(12)
    weights[9:] += market.year_end_lift
    return weights / weights.mean()


def next_regime(
    regime: np.ndarray, uniform: np.ndarray, month: int, market: MarketSettings
) -> np.ndarray:
    """Advance the regime chain one month; ``uniform`` has shape (R,)."""
    start = market.downturn_start_month
    if start and start <= month < start + market.downturn_length_months:
        return np.full_like(regime, REGIMES.index("downturn"))
    if start and month == start + market.downturn_length_months:
        return np.full_like(regime, REGIMES.index("normal"))

    move = uniform >= market.regime_stay
    # Rescale the leftover probability mass to pick one of the two other regimes.
    other = np.where(
        (uniform - market.regime_stay) / max(1.0 - market.regime_stay, 1e-12) < 0.5,
        1,
        2,
    )
    return np.where(move, (regime + other) % 3, regime)


def step_territory(
    deviation: np.ndarray,
    shock: np.ndarray,
    loss_event: np.ndarray,
    loss_size: np.ndarray,
    market: MarketSettings,
) -> np.ndarray:
    """Advance the AR(1) log-potential deviation of every territory one month."""
    updated = market.territory_rho * deviation + market.territory_sigma * shock
    cut = (
        market.account_loss_low
        + (market.account_loss_high - market.account_loss_low) * loss_size
    )
    lost = loss_event < market.account_loss_probability
    return np.where(lost, updated + np.log1p(-np.minimum(cut, 0.99)), updated)
