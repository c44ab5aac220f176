"""The client's historical quota policy, estimated from quotas and sales.

QuotaLab's ``history_based`` rule sets next period's quota from last period's
sales ``s`` and quota ``q`` as ``(1 + g) * (w * s + (1 - w) * q)``, with a larger
weight ``w`` after a beat than after a miss: the ratchet asymmetry Leone, Misra
& Zimmerman (2004) found. Dividing by ``q`` gives a line in attainment ``a``::

    q_next / q = c * (1 + w * (a - 1))

so a least-squares line of ``q_next / q`` on ``a - 1``, fitted separately to
beats and misses, estimates ``w`` as slope / intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strategies.builtin import HistoryBased

# Minimum rep-period pairs on one side (beat or miss) for a weight estimate.
MIN_PAIRS = 5


class HistoricalPolicy(HistoryBased):
    """The history-based rule with the client's own weights after a beat and a miss.

    Args:
        weight_after_beat: weight of last period's sales after a beat.
        weight_after_miss: weight of last period's sales after a miss.
    """

    name = "historical_policy"

    def __init__(self, weight_after_beat: float, weight_after_miss: float):
        self.weight_after_beat = float(weight_after_beat)
        self.weight_after_miss = float(weight_after_miss)


@dataclass(frozen=True)
class QuotaPolicy:
    """Estimated weights of the history rule and where they came from.

    Attributes:
        weight_after_beat: weight of last period's sales after a beat.
        weight_after_miss: weight of last period's sales after a miss.
        beat_pairs: rep-period pairs after a beat behind the estimate.
        miss_pairs: rep-period pairs after a miss behind the estimate.
        note: provenance of both weights, starting ``data:`` or ``default:``.
    """

    weight_after_beat: float = HistoryBased.weight_after_beat
    weight_after_miss: float = HistoryBased.weight_after_miss
    beat_pairs: int = 0
    miss_pairs: int = 0
    note: str = "default: no quotas in the team data; history_based weights"

    def strategy(self) -> HistoricalPolicy:
        """Return the policy as a strategy for the engine."""
        return HistoricalPolicy(self.weight_after_beat, self.weight_after_miss)


def estimate_policy(
    sales: np.ndarray, quota: np.ndarray | None, period_months: int, offset: int
) -> QuotaPolicy:
    """Estimate the history rule's weights from consecutive quota periods.

    Args:
        sales: (reps, months) net sales, NaN off the team.
        quota: (reps, months) quota per month, NaN where none; None if no quotas.
        period_months: quota period length.
        offset: index of the first month that starts a quota period.
    """
    if quota is None:
        return QuotaPolicy()
    count = (sales.shape[1] - offset) // period_months
    if count < 2:
        return QuotaPolicy(note="default: fewer than two quota periods in the data")
    stop = offset + count * period_months
    shape = (len(sales), count, period_months)
    period_sales = sales[:, offset:stop].reshape(shape).sum(axis=2)
    period_quota = quota[:, offset:stop].reshape(shape).sum(axis=2)

    attainment = period_sales[:, :-1] / period_quota[:, :-1]
    change = period_quota[:, 1:] / period_quota[:, :-1]
    usable = np.isfinite(attainment) & np.isfinite(change) & (period_quota[:, :-1] > 0)
    beat = usable & (attainment > 1.0)
    miss = usable & (attainment <= 1.0)
    after_beat = _weight(attainment[beat], change[beat])
    after_miss = _weight(attainment[miss], change[miss])

    default = QuotaPolicy()
    notes = []
    for label, value, pairs in (
        ("beat", after_beat, int(beat.sum())),
        ("miss", after_miss, int(miss.sum())),
    ):
        if value is None:
            notes.append(f"after a {label}: default ({pairs} pairs, need {MIN_PAIRS})")
        else:
            notes.append(f"after a {label}: {value:.2f} from {pairs} pairs")
    source = "data" if after_beat is not None or after_miss is not None else "default"
    return QuotaPolicy(
        weight_after_beat=default.weight_after_beat
        if after_beat is None
        else after_beat,
        weight_after_miss=default.weight_after_miss
        if after_miss is None
        else after_miss,
        beat_pairs=int(beat.sum()),
        miss_pairs=int(miss.sum()),
        note=(
            f"{source}: weight of last period's sales in the next quota, from a line "
            "of quota change on attainment per side; " + "; ".join(notes)
        ),
    )


def _weight(attainment: np.ndarray, change: np.ndarray) -> float | None:
    if len(attainment) < MIN_PAIRS or np.ptp(attainment) <= 0:
        return None
    slope, intercept = np.polyfit(attainment - 1.0, change, 1)
    if intercept <= 0:
        return None
    return float(np.clip(slope / intercept, 0.0, 1.0))
