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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.scenario import PaySettings


@dataclass(frozen=True)
class PayCurve:
    """Payout curve of a pay plan as slopes at kinks: ``sum(slope * (a - kink)+)``."""

    kinks: tuple[float, ...]
    slopes: tuple[float, ...]
    bonus: float
    commission_share: float

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
        for kink, slope in zip(self.kinks, self.slopes, strict=True):
            call, above = _call(done, mean, log_mean, sigma, kink)
            total = total + slope * call
            if kink == 1.0:
                chance = above
        total = total * self.commission_share
        if self.bonus:
            total = total + self.bonus * chance
        return total, chance


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
