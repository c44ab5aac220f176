"""The pay plan: base salary plus variable pay on quota attainment.

Variable pay is in units of the target incentive (TI) of the quota period. The payout
curve of attainment ``a`` is

* 0 below the threshold,
* rising linearly from 0 at the threshold to 1 at quota,
* ``1 + accelerator * (a - 1)`` above quota,
* flat beyond the cap (an attainment level), when a cap is set,

plus an optional lump-sum bonus on reaching quota. The curve is a sum of ramps, so
its expectation under lognormal sales has a closed form (Black 1976 call prices),
which the expectancy effort rule uses.

A tiered plan (:meth:`PayCurve.with_tiers`) sets the threshold and an excellence
tier per rep: kinks may then be arrays of shape (R, N) instead of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.scenario import PaySettings


@dataclass(frozen=True)
class PayCurve:
    """Payout curve of a pay plan as slopes at kinks: ``sum(slope * (a - kink)+)``."""

    kinks: tuple[float | np.ndarray, ...]
    slopes: tuple[float | np.ndarray, ...]
    bonus: float
    commission_share: float
    quota_index: int = 1  # position of the kink at attainment 1 (quota)

    @classmethod
    def from_settings(cls, pay: PaySettings) -> PayCurve:
        """Build the curve of a pay plan."""
        rise = 1.0 / (1.0 - pay.threshold)
        kinks = [pay.threshold, 1.0]
        slopes = [rise, pay.accelerator - rise]
        if pay.cap:
            kinks.append(pay.cap)
            slopes.append(-pay.accelerator)
        return cls(
            tuple(kinks),
            tuple(slopes),
            pay.quota_bonus_share,
            1.0 - pay.quota_bonus_share,
        )

    @classmethod
    def with_tiers(
        cls, pay: PaySettings, threshold: np.ndarray, excellence: np.ndarray
    ) -> PayCurve:
        """Build a tiered curve with per-rep threshold and excellence tiers (R, N).

        Payout rises from 0 at the rep's threshold to 1 at quota, grows at
        ``pay.accelerator`` up to the excellence tier and at twice that beyond it,
        and stays flat beyond ``pay.cap`` when one is set (Steenburgh & Ahearne
        2012 on tiered targets). Tiers are attainment levels: threshold < 1 <=
        excellence.
        """
        threshold = np.clip(threshold, 0.0, 0.99)
        excellence = np.maximum(excellence, 1.0)
        if pay.cap:
            excellence = np.minimum(excellence, pay.cap)
        rise = 1.0 / (1.0 - threshold)
        kinks = [threshold, 1.0, excellence]
        slopes = [rise, pay.accelerator - rise, pay.accelerator]
        if pay.cap:
            kinks.append(pay.cap)
            slopes.append(-2.0 * pay.accelerator)
        return cls(
            tuple(kinks),
            tuple(slopes),
            pay.quota_bonus_share,
            1.0 - pay.quota_bonus_share,
        )

    def payout(self, attainment: np.ndarray) -> np.ndarray:
        """Return variable pay in target-incentive units for given attainment."""
        a = np.asarray(attainment, dtype=float)
        total = np.zeros_like(a)
        for kink, slope in zip(self.kinks, self.slopes, strict=True):
            total += slope * np.maximum(a - kink, 0.0)
        total *= self.commission_share
        if self.bonus:
            total += self.bonus * (a >= 1.0)
        return total

    def expected_payout(
        self,
        done: np.ndarray,
        mean: np.ndarray,
        sigma: np.ndarray | float,
        log_mean: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return expected payout and P(attainment >= 1) for lognormal remaining sales.

        Attainment is ``done + Y`` where ``Y`` (remaining sales over quota) is
        lognormal with mean ``mean`` and log-sd ``sigma``. Arrays broadcast;
        ``log_mean`` may be passed when the caller has it cheaper.
        """
        sigma = np.maximum(sigma, 1e-9)
        if log_mean is None:
            log_mean = np.log(np.maximum(mean, 1e-300))
        total = 0.0
        chance = None
        pairs = enumerate(zip(self.kinks, self.slopes, strict=True))
        for index, (kink, slope) in pairs:
            # Per-rep tiers (R, N) meet an effort-grid axis: (R, N, G).
            kink = _expand(kink, done)
            slope = _expand(slope, done)
            call, above = _call(done, mean, log_mean, sigma, kink)
            total = total + slope * call
            if index == self.quota_index:
                chance = above
        total = total * self.commission_share
        if self.bonus:
            total = total + self.bonus * chance
        return total, chance


def _expand(value, done):
    """Add a trailing axis to a per-rep tier when ``done`` has an effort-grid axis."""
    if np.ndim(value) and np.ndim(done) > np.ndim(value):
        return np.asarray(value)[..., None]
    return value


def _call(done, mean, log_mean, sigma, kink):
    """E[(done + Y - kink)+] and P(done + Y >= kink) for lognormal Y."""
    strike = kink - done
    in_money = strike <= 0
    safe_strike = np.where(in_money, 1.0, strike)
    # Strike and sigma do not depend on the effort grid: take their logs once.
    d2 = log_mean - np.log(safe_strike)
    d2 /= sigma
    d2 -= 0.5 * sigma
    above = ndtr(d2)
    d2 += sigma
    call = mean * ndtr(d2)
    call -= safe_strike * above
    if in_money.any():
        call = np.where(in_money, mean - strike, call)
        above = np.where(in_money, 1.0, above)
    return call, above
