"""Result folders, the run manifest and the comparison table.

A result folder is written under a temporary name beside its destination and renamed
into place only when every file is complete, so an interrupted or failed run never
leaves a folder that looks finished.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from sim.errors import OptionError
from sim.metrics import HEADLINE_METRICS

logger = logging.getLogger(__name__)

PACKAGES = ("quotalab", "mesa", "numpy", "pandas", "scipy", "pyarrow", "matplotlib")

# Metrics shown as percentages in the table.
PERCENT = (
    "completion_rate",
    "share_at_quota",
    "attrition_rate",
    "regretted_attrition",
    "voluntary_attrition",
    "involuntary_attrition",
    "morale_low_share",
)


def default_out_dir(command: str = "compare") -> Path:
    """Return a new folder name under ``results/`` stamped with the time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{command}-{stamp}"


def check_out_dir(path: Path) -> None:
    """Reject an output folder that already holds files."""
    if path.exists() and not path.is_dir():
        raise OptionError(f"--out: {path} is a file; give a folder path")
    if path.exists() and any(path.iterdir()):
        raise OptionError(
            f"--out: {path} already exists and is not empty; "
            "choose a new folder or remove it"
        )


@contextmanager
def staged_folder(path: Path):
    """Yield a temporary folder that replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        if path.exists():
            path.rmdir()  # empty, checked by check_out_dir
        os.replace(staging, path)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OptionError(
            f"--out: cannot move results into {path} ({error.strerror}); another run "
            "may have written there; choose a new folder"
        ) from None


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages results depend on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> dict[str, object]:
    """Return the commit of the QuotaLab checkout, or ``None`` outside a checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def machine() -> dict[str, object]:
    """Return a short description of the machine."""
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def write_json(path: Path, data: dict) -> None:
    """Write JSON with stable formatting; NaN becomes null."""
    path.write_text(
        json.dumps(_plain(data), indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_comparison(
    result, out_dir: Path, manifest: dict, figures: bool = True
) -> Path:
    """Write a comparison's files into ``out_dir`` atomically; return the folder."""
    from sim.figures import plot_attainment, plot_headlines

    started = datetime.now(UTC)
    with staged_folder(out_dir) as staging:
        result.summary.to_csv(staging / "summary.csv", index=False)
        result.differences.to_csv(staging / "differences.csv", index=False)
        result.runs.to_parquet(staging / "runs.parquet", index=False)
        result.monthly.to_parquet(staging / "monthly.parquet", index=False)
        result.changes.to_csv(staging / "changes.csv", index=False)
        if figures:
            (staging / "figures").mkdir()
            plot_headlines(
                result.monthly, result.strategies, staging / "figures" / "headlines.png"
            )
            plot_attainment(
                result.attainment,
                result.strategies,
                staging / "figures" / "attainment.png",
            )
        manifest = dict(manifest)
        manifest.setdefault("timings", {})["write_seconds"] = (
            datetime.now(UTC) - started
        ).total_seconds()
        manifest["files"] = sorted(
            str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()
        ) + ["manifest.json"]
        # The manifest is written last: its presence marks a complete folder.
        write_json(staging / "manifest.json", manifest)
    return out_dir


def base_manifest(command: str) -> dict:
    """Return the provenance fields every result manifest carries."""
    return {
        "quotalab_command": command,
        "command_line": sys.argv,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "git": git_commit(),
        "machine": machine(),
    }


def format_value(metric: str, value: float) -> str:
    """Format one metric value for the table."""
    if not np.isfinite(value):
        return "n/a"
    if metric in PERCENT:
        return f"{100 * value:.1f}%"
    if metric in ("revenue", "pay_cost"):
        return f"{value / 1e6:,.2f}M"
    return f"{value:.3f}"


def format_interval(metric: str, mean: float, low: float, high: float) -> str:
    """Format ``mean [low, high]`` for the table."""
    low_text, high_text = format_value(metric, low), format_value(metric, high)
    return f"{format_value(metric, mean)} [{low_text}, {high_text}]"


def format_difference(metric: str, mean: float, low: float, high: float) -> str:
    """Format a paired difference with its sign."""
    if not np.isfinite(mean):
        return "n/a"
    if metric in PERCENT:

        def pts(v):
            return f"{100 * v:+.1f}" if np.isfinite(v) else "n/a"

        return f"{pts(mean)} pts [{pts(low)}, {pts(high)}]"
    if metric in ("revenue", "pay_cost"):

        def mil(v):
            return f"{v / 1e6:+,.2f}M" if np.isfinite(v) else "n/a"

        return f"{mil(mean)} [{mil(low)}, {mil(high)}]"

    def num(v):
        return f"{v:+.3f}" if np.isfinite(v) else "n/a"

    return f"{num(mean)} [{num(low)}, {num(high)}]"


def format_table(result, metrics=HEADLINE_METRICS) -> str:
    """Return the comparison as text: means with 95% intervals, then differences."""
    lines = [f"Mean over {len(result.seeds)} replications [95% confidence interval]"]
    lines += _grid(
        result.summary,
        metrics,
        lambda m, row: format_interval(
            m, row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"]
        ),
    )
    lines.append("")
    lines.append(
        f"Paired difference against {result.baseline} "
        "(same seeds; percentages in points) [95% CI]"
    )
    others = result.differences[result.differences["strategy"] != result.baseline]
    lines += _grid(
        others,
        metrics,
        lambda m, row: format_difference(
            m, row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"]
        ),
    )
    return "\n".join(lines)


def _grid(frame, metrics, cell) -> list[str]:
    rows = [
        [row["strategy"], *[cell(m, row) for m in metrics]]
        for _, row in frame.iterrows()
    ]
    # One block per metric keeps lines readable in an 88-column terminal.
    lines = []
    width = max(len(str(r[0])) for r in rows) if rows else 8
    for i, metric in enumerate(metrics, start=1):
        lines.append(f"  {metric}")
        for row in rows:
            lines.append(f"    {row[0]:<{width}}  {row[i]}")
    return lines
