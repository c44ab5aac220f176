"""The sweep output folder: manifest, design table, Parquet parts, and resume.

Layout (``docs/experiments.md``, "Output folder")::

    manifest.json               provenance, plan, expected and completed runs, status
    design.parquet              point, then one column per factor
    runs/part-<task>.parquet    one row per (strategy, point, replication)
    monthly/part-<task>.parquet one row per run and month, when monthly metrics are kept

Every file is written under a temporary name and renamed when complete, so a file
that is present is complete, and a task is done when its ``runs`` part exists. A
new folder is first assembled under a temporary name beside its destination, so a
folder with a manifest always has its design table and part folders.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.errors import OptionError
from sim.output import staged_folder, write_json

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
MONTHLY = "monthly"
PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
# Temporary files start with a dot, so readers and the done-task scan skip them.
TEMPORARY_PREFIX = ".tmp-"


class SweepFolder:
    """An output folder being written by a sweep.

    Args:
        path: the folder; it must already contain a manifest.
        manifest: the manifest as last written.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = Path(path)
        self.manifest = manifest

    @classmethod
    def create(
        cls, path: Path, manifest: dict[str, Any], design: pd.DataFrame
    ) -> SweepFolder:
        """Create a new sweep folder with its manifest and design table."""
        monthly = bool(manifest["metrics"]["monthly"])
        with staged_folder(path) as staging:
            write_parquet(design, staging / DESIGN)
            (staging / RUNS).mkdir()
            if monthly:
                (staging / MONTHLY).mkdir()
            write_json_atomic(staging / MANIFEST, manifest)
        return cls(path, manifest)

    def completed_tasks(self) -> set[str]:
        """Return the ids of the tasks whose run results are stored."""
        return {
            part.name[len(PART_PREFIX) : -len(PART_SUFFIX)]
            for part in (self.path / RUNS).glob(f"{PART_PREFIX}*{PART_SUFFIX}")
        }

    def remove_temporaries(self) -> int:
        """Delete temporary files left by a write that was cut off; return how many."""
        removed = 0
        for folder in (self.path / RUNS, self.path / MONTHLY, self.path):
            if folder.is_dir():
                for leftover in folder.glob(f"{TEMPORARY_PREFIX}*"):
                    leftover.unlink(missing_ok=True)
                    removed += 1
        return removed

    def write_task(
        self, task_id: str, runs: pd.DataFrame, monthly: pd.DataFrame | None
    ) -> None:
        """Store one task's results; the runs part is written last and marks it done."""
        name = f"{PART_PREFIX}{task_id}{PART_SUFFIX}"
        if monthly is not None:
            write_parquet(monthly, self.path / MONTHLY / name)
        write_parquet(runs, self.path / RUNS / name)

    def update_manifest(self, **changes: Any) -> None:
        """Change top-level manifest fields and rewrite the manifest atomically."""
        self.manifest.update(changes)
        write_json_atomic(self.path / MANIFEST, self.manifest)


def open_folder(path: Path, plan: dict[str, Any], resume: bool) -> SweepFolder | None:
    """Open an existing sweep folder to resume it, or return ``None`` for a new one.

    Args:
        path: the output folder.
        plan: the ``experiment`` and ``plan_sha256`` fields the new sweep would
            write; the folder's manifest must match them.
        resume: ``--resume`` was given, so the folder must already hold a sweep.

    Raises:
        OptionError: the folder contains other files or a different sweep, or
            ``--resume`` was given and there is nothing to resume.
    """
    path = Path(path)
    empty = not path.exists() or (path.is_dir() and not any(path.iterdir()))
    if empty:
        if resume:
            raise OptionError(
                f"--resume: no sweep to resume in {path}; run without --resume "
                "to start one, or give its folder with --out"
            )
        return None
    if not path.is_dir():
        raise OptionError(
            f"--out: {path} is a file, not a folder; give a new or sweep folder"
        )
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise OptionError(
            f"--out: {path} exists and is not a sweep folder (no {MANIFEST}); "
            "choose a new folder or remove it"
        )

    manifest = load_manifest(path)
    theirs = manifest.get("experiment", {})
    ours = plan["experiment"]
    if theirs.get("sha256") != ours["sha256"]:
        raise OptionError(
            f"--out: {path} contains a sweep of a different experiment file "
            f"({theirs.get('path')}, sha256 {str(theirs.get('sha256'))[:12]}), not "
            f"{ours['path']} (sha256 {ours['sha256'][:12]}); "
            "choose a new folder, or rerun the file that made it"
        )
    if manifest.get("quick") != plan["quick"]:
        made = "with" if manifest.get("quick") else "without"
        raise OptionError(
            f"--quick: {path} was started {made} --quick; rerun it the same way "
            "or choose a new folder"
        )
    if manifest.get("plan_sha256") != plan["plan_sha256"]:
        raise OptionError(
            f"--out: {path} was started with a different base scenario or design "
            "(has the scenario file or team data changed?); choose a new folder"
        )
    return SweepFolder(path, manifest)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a table to Parquet under a temporary name, then rename it into place."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    temporary = _temporary_name(path)
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON under a temporary name, then rename it into place."""
    temporary = _temporary_name(path)
    try:
        write_json(temporary, data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary_name(path: Path) -> Path:
    handle, name = tempfile.mkstemp(
        prefix=f"{TEMPORARY_PREFIX}{path.name}.", dir=path.parent
    )
    os.close(handle)
    return Path(name)


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """Return a sweep folder's manifest."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise OptionError(f"FOLDER: {folder} is not a sweep folder (no {MANIFEST})")
    return json.loads(path.read_text(encoding="utf-8"))


def load_design(folder: str | Path) -> pd.DataFrame:
    """Return a sweep's design table: ``point`` and one column per factor."""
    path = Path(folder) / DESIGN
    if not path.is_file():
        raise OptionError(f"FOLDER: {folder} is not a sweep folder (no {DESIGN})")
    return pq.read_table(path).to_pandas()


def load_runs(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Return a sweep's run results, one row per (strategy, point, replication).

    Rows are in plan order: strategy (as listed in the experiment), then point,
    then replication. Only stored runs are returned, so an unfinished sweep gives
    fewer rows than ``expected_runs``.

    Args:
        folder: the sweep folder.
        columns: columns to read; all when ``None``. Reading fewer columns reads
            less from disk.
    """
    return _load_parts(Path(folder) / RUNS, columns)


def load_monthly(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Return a sweep's kept monthly metrics, one row per run and month."""
    path = Path(folder) / MONTHLY
    if not path.is_dir():
        raise OptionError(f"FOLDER: {folder} kept no monthly metrics (no {MONTHLY}/)")
    return _load_parts(path, columns)


def _load_parts(folder: Path, columns: list[str] | None) -> pd.DataFrame:
    if not folder.is_dir():
        raise OptionError(f"FOLDER: {folder.parent} is not a sweep folder")
    # Task ids are zero-padded, so sorted file names are in plan order.
    parts = sorted(str(p) for p in folder.glob(f"{PART_PREFIX}*{PART_SUFFIX}"))
    if not parts:
        return pd.DataFrame(columns=columns or [])
    dataset = ds.dataset(parts, format="parquet")
    if columns is not None:
        missing = [c for c in columns if c not in dataset.schema.names]
        if missing:
            valid = ", ".join(dataset.schema.names)
            raise OptionError(f"columns: unknown {missing}; valid: {valid}")
    return dataset.to_table(columns=columns).to_pandas()
