"""Read a sweep output folder with column projection, one Parquet part at a time.

A sweep folder contains ``manifest.json``, ``design.parquet`` (one row per design
point: ``point`` and one column per factor, named by its dotted scenario path),
``runs/part-*.parquet`` (one row per strategy, point and replication) and, when
monthly metrics were kept, ``monthly/part-*.parquet``. Readers here load only the
columns a caller names, so a report on one metric never reads the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from sim.errors import DataError, OptionError

logger = logging.getLogger(__name__)

# Columns that identify a run rather than measure it.
RUN_KEYS = ("strategy", "point", "replication", "seed")
MONTHLY_KEYS = ("strategy", "point", "replication", "month")


@dataclass(frozen=True)
class SweepFolder:
    """A finished or running sweep's output folder.

    Attributes:
        path: the folder.
        manifest: the parsed ``manifest.json``.
    """

    path: Path
    manifest: dict

    @classmethod
    def open(cls, path: str | Path) -> SweepFolder:
        """Open a sweep folder, checking that its manifest and run files exist.

        Raises:
            OptionError: if the folder does not exist or is not a sweep folder.
        """
        path = Path(path)
        if not path.is_dir():
            raise OptionError(f"FOLDER: {path} is not a folder; give a sweep folder")
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise OptionError(
                f"FOLDER: {path} has no manifest.json, so it is not a sweep folder; "
                "give the --out folder of a quotalab sweep"
            )
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise DataError(
                f"{manifest_path}: cannot read the manifest ({error})"
            ) from None
        if not isinstance(manifest, dict):
            raise DataError(f"{manifest_path}: expected a JSON object at the top")
        if not (path / "design.parquet").is_file():
            raise OptionError(
                f"FOLDER: {path} has no design.parquet, so it is not a sweep folder"
            )
        return cls(path, manifest)

    @property
    def complete(self) -> bool:
        """Whether the manifest marks every expected run as done."""
        return self.manifest.get("status") == "complete"

    @property
    def run_counts(self) -> tuple[int | None, int | None]:
        """``(completed_runs, expected_runs)`` from the manifest."""
        return self.manifest.get("completed_runs"), self.manifest.get("expected_runs")

    @cached_property
    def design(self) -> pd.DataFrame:
        """One row per design point in point order: ``point`` and the factors."""
        design = pd.read_parquet(self.path / "design.parquet")
        if "point" not in design.columns:
            raise DataError(f"{self.path / 'design.parquet'}: no 'point' column")
        return design.sort_values("point", kind="stable").reset_index(drop=True)

    @property
    def factors(self) -> list[str]:
        """Factor names (dotted scenario paths), in the design's column order."""
        return [c for c in self.design.columns if c != "point"]

    @cached_property
    def strategies(self) -> list[str]:
        """Strategy names in the order the experiment lists them."""
        listed = self.manifest.get("strategies") or []
        names = [s["name"] if isinstance(s, dict) else str(s) for s in listed]
        if names:
            return names
        found = self.runs(["strategy"])["strategy"].unique()
        return sorted(str(s) for s in found)

    @property
    def run_metrics(self) -> list[str]:
        """Run metric columns present in the run files."""
        keys = set(RUN_KEYS) | set(self.factors)
        return [n for n in self._dataset("runs").schema.names if n not in keys]

    @property
    def monthly_metrics(self) -> list[str]:
        """Monthly metric columns, empty when the sweep kept no monthly series."""
        if not self._parts("monthly"):
            return []
        keys = set(MONTHLY_KEYS) | set(self.factors)
        return [n for n in self._dataset("monthly").schema.names if n not in keys]

    def runs(self, columns: Sequence[str]) -> pd.DataFrame:
        """Read the named columns of every run row.

        Raises:
            OptionError: if a column is not in the run files.
        """
        dataset = self._dataset("runs")
        self._check_columns(dataset, columns, "runs")
        return dataset.to_table(columns=list(columns)).to_pandas()

    def monthly_parts(self, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        """Yield the named monthly columns one part file at a time.

        Raises:
            OptionError: if the sweep kept no monthly series or lacks a column.
        """
        if not self._parts("monthly"):
            raise OptionError(
                f"FOLDER: {self.path} has no monthly files; keep monthly metrics in "
                "the experiment's [metrics] table to get series over time"
            )
        self._check_columns(self._dataset("monthly"), columns, "monthly")
        for part in self._parts("monthly"):
            yield (
                ds.dataset(part, format="parquet")
                .to_table(columns=list(columns))
                .to_pandas()
            )

    def _parts(self, kind: str) -> list[Path]:
        return sorted((self.path / kind).glob("part-*.parquet"))

    def _dataset(self, kind: str) -> ds.Dataset:
        parts = self._parts(kind)
        if not parts:
            raise DataError(
                f"{self.path / kind}: no part-*.parquet files; the sweep has no "
                "finished runs yet"
            )
        return ds.dataset([str(p) for p in parts], format="parquet")

    def _check_columns(self, dataset: ds.Dataset, columns, kind: str) -> None:
        missing = [c for c in columns if c not in dataset.schema.names]
        if missing:
            keys = RUN_KEYS if kind == "runs" else MONTHLY_KEYS
            valid = [n for n in dataset.schema.names if n not in keys]
            raise OptionError(
                f"--metrics: {', '.join(missing)} not in the {kind} files of "
                f"{self.path}; valid: {', '.join(valid)}"
            )
