"""Seeds and random streams: one seeded path from the root seed to every draw.

Replication ``i`` of a comparison or sweep gets the seed
``replication_seed(root_seed, i)``, derived with :class:`numpy.random.SeedSequence`
from the root seed and spawn key ``(i,)``. The seed does not depend on the strategy
or the design point, so every strategy meets the same market path, shocks and initial
team in replication ``i`` (common random numbers).

Inside a replication the seed is split into independent streams, one per mechanism
(initial team, market, sales, attrition, hiring, manager, strategy). Each stream draws
fixed-shape blocks whatever the state, so a strategy that changes effort or attrition
never shifts the random numbers another mechanism receives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Streams are keyed by their position: append new ones, never reorder, so existing
# draws stay bit-identical. "levers" feeds the management levers (sim/levers.py).
STREAMS = (
    "init",
    "market",
    "sales",
    "attrition",
    "hiring",
    "manager",
    "strategy",
    "levers",
)

# Months of random numbers drawn per call. A fixed block size makes the draws of
# month t independent of the horizon, so a 36-month run equals the first 36 months
# of a 48-month run.
BLOCK_MONTHS = 12


def replication_seed(root_seed: int, index: int) -> int:
    """Return the 63-bit seed of replication ``index`` under ``root_seed``."""
    if root_seed < 0:
        raise ValueError(f"seed must be >= 0 (got {root_seed})")
    sequence = np.random.SeedSequence(root_seed, spawn_key=(index,))
    low, high = sequence.generate_state(2, np.uint32)
    return int((int(high) << 32 | int(low)) & (2**63 - 1))


def replication_seeds(root_seed: int, count: int, start: int = 0) -> list[int]:
    """Return the seeds of replications ``start .. start + count - 1``."""
    return [replication_seed(root_seed, i) for i in range(start, start + count)]


KINDS = ("normal", "uniform")


def stream_generator(seed: int, stream: str, kind: str = "") -> np.random.Generator:
    """Return the generator of one stream (and draw kind) of a replication seed."""
    key = (
        (STREAMS.index(stream),)
        if not kind
        else (
            STREAMS.index(stream),
            KINDS.index(kind) + 1,
        )
    )
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class BatchStreams:
    """The random streams of a batch of replications, drawn in fixed-shape blocks.

    Each (stream, kind) pair has its own generator, so the order in which the
    model requests draws cannot change what any one pair returns.

    Args:
        seeds: one seed per replication.
        seats: number of seats, the last axis of every block.
    """

    def __init__(self, seeds: Sequence[int], seats: int):
        self.seeds = [int(s) for s in seeds]
        self.seats = seats
        self._generators: dict[tuple[str, str], list[np.random.Generator]] = {}
        self._rows: dict[tuple[str, str], int] = {}
        self._blocks: dict[tuple[str, str], np.ndarray] = {}
        self._block_start: dict[tuple[str, str], int] = {}

    def for_stream(self, name: str) -> list[np.random.Generator]:
        """Return the generator of stream ``name`` for every replication."""
        return [stream_generator(s, name) for s in self.seeds]

    def monthly(self, stream: str, kind: str, rows: int, month: int) -> np.ndarray:
        """Return draws of shape (replications, rows, seats) for one month.

        ``kind`` is ``"normal"`` (standard normal) or ``"uniform"`` ([0, 1)). The
        draws for a month depend only on the seed, the stream, ``kind`` and the
        month. Months must be requested in non-decreasing order.
        """
        key = (stream, kind)
        if key not in self._generators:
            self._generators[key] = [
                stream_generator(s, stream, kind) for s in self.seeds
            ]
            self._rows[key] = rows
        elif self._rows[key] != rows:
            raise ValueError(
                f"stream {key} was first drawn with {self._rows[key]} rows"
            )
        start = self._block_start.get(key)
        if start is None or not start <= month < start + BLOCK_MONTHS:
            self._advance(key, (month // BLOCK_MONTHS) * BLOCK_MONTHS)
            start = self._block_start[key]
        return self._blocks[key][:, month - start]

    def _advance(self, key: tuple[str, str], start: int) -> None:
        """Draw block by block up to ``start`` so block k is always the k-th draw."""
        previous = self._block_start.get(key)
        block = 0 if previous is None else previous + BLOCK_MONTHS
        if previous is not None and start < previous:
            raise ValueError("monthly draws must be requested in month order")
        shape = (BLOCK_MONTHS, self._rows[key], self.seats)
        normal = key[1] == "normal"
        blocks = self._blocks.get(key)
        if blocks is None:
            blocks = np.empty((len(self.seeds), *shape))
        while block <= start:
            # Fill each replication's block in place, avoiding a stacked copy.
            for target, g in zip(blocks, self._generators[key], strict=True):
                if normal:
                    g.standard_normal(out=target)
                else:
                    g.random(out=target)
            block += BLOCK_MONTHS
        self._blocks[key] = blocks
        self._block_start[key] = start
