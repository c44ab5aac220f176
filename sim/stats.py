"""Row-wise statistics over masked arrays, vectorised across replications.

numpy's ``nanmedian`` and ``nanquantile`` fall back to a Python loop over rows when
NaNs are present; these helpers sort once and index, so their cost does not grow
with a Python loop over replications.
"""

from __future__ import annotations

import numpy as np


def masked_quantile(values: np.ndarray, mask: np.ndarray, q: float) -> np.ndarray:
    """Return the ``q`` quantile of ``values[mask]`` per row (linear interpolation).

    Rows with no masked value give NaN. Matches ``numpy.quantile``'s default method.
    """
    if values.shape[-1] == 0:
        return np.full(values.shape[:-1], np.nan)
    ordered = np.sort(np.where(mask, values, np.nan), axis=-1)  # NaN sort last
    count = mask.sum(axis=-1)
    position = q * np.maximum(count - 1, 0)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    low = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
    result = low + (position - below) * (high - low)
    return np.where(count > 0, result, np.nan)


def masked_median(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the median of ``values[mask]`` per row; NaN for empty rows."""
    return masked_quantile(values, mask, 0.5)
