"""Sweeps end to end: the folder contract, paired seeds, executors and resume."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from sim.engine import TeamBatch
from sim.errors import OptionError
from sim.metrics import RUN_METRICS
from sim.rng import replication_seeds
from sim.sweep import (
    load_design,
    load_experiment,
    load_manifest,
    load_monthly,
    load_runs,
    run_sweep,
)
from strategies import get_strategy

SMALL = """
strategies = ["history_based", "equal_split"]
replications = 5
seed = 11
months = 12

[base.team]
seats = 8
warmup_months = 0

[factors.growth]
setting = "quota.target_growth"
values = [0.0, 0.3]

[factors.period]
setting = "quota.period"
values = ["quarterly", "monthly"]

[metrics]
run = ["completion_rate", "morale", "attrition_rate", "revenue"]
monthly = ["morale", "revenue"]
"""

# Long enough (2 strategies x 30 points x 120 months) to kill part-way.
SLOW = """
strategies = ["history_based", "dynamic"]
replications = 2
seed = 5
months = 120

[factors.growth]
setting = "quota.target_growth"
low = 0.0
high = 0.29
levels = 30

[metrics]
monthly = ["completion_rate"]
"""


def experiment_file(tmp_path, text=SMALL, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def quotalab(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        **kwargs,
    )


def test_folder_follows_contract(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    out = tmp_path / "sweep"
    result = run_sweep(experiment, out, executor="serial")

    assert result.expected_runs == 2 * 4 * 5
    assert result.completed_runs == result.expected_runs
    design = load_design(out)
    assert list(design.columns) == ["point", "quota.target_growth", "quota.period"]
    assert design["point"].tolist() == [0, 1, 2, 3]

    runs = load_runs(out)
    keys = ["strategy", "point", "replication", "seed"]
    factors = ["quota.target_growth", "quota.period"]
    assert list(runs.columns) == [*keys, *factors, *experiment.run_metrics]
    assert len(runs) == result.expected_runs
    assert not runs.duplicated(["strategy", "point", "replication"]).any()
    merged = runs.merge(design, on="point", suffixes=("", "_design"))
    for factor in factors:
        assert (merged[factor] == merged[f"{factor}_design"]).all()

    monthly = load_monthly(out)
    assert list(monthly.columns) == [
        "strategy",
        "point",
        "replication",
        "month",
        "morale",
        "revenue",
    ]
    assert len(monthly) == result.expected_runs * 12

    subset = load_runs(out, columns=["strategy", "revenue"])
    assert list(subset.columns) == ["strategy", "revenue"]
    assert subset["revenue"].tolist() == runs["revenue"].tolist()


def test_manifest_records_provenance(tmp_path):
    path = experiment_file(tmp_path)
    experiment = load_experiment(path)
    out = tmp_path / "sweep"
    run_sweep(experiment, out, executor="serial")
    manifest = load_manifest(out)

    assert manifest["status"] == "complete"
    assert manifest["expected_runs"] == manifest["completed_runs"] == 40
    assert manifest["experiment"]["path"] == str(path)
    assert manifest["experiment"]["text"] == path.read_text(encoding="utf-8")
    assert len(manifest["experiment"]["sha256"]) == 64
    assert manifest["design"]["method"] == "full_factorial"
    assert manifest["design"]["points"] == [
        [0.0, "quarterly"],
        [0.0, "monthly"],
        [0.3, "quarterly"],
        [0.3, "monthly"],
    ]
    assert manifest["strategies"] == ["history_based", "equal_split"]
    assert manifest["replications"] == 5
    assert manifest["root_seed"] == 11
    assert manifest["months"] == 12
    assert "SeedSequence" in manifest["seed_scheme"]
    assert manifest["replication_seeds"] == replication_seeds(11, 5)
    assert manifest["versions"]["numpy"] == np.__version__
    assert "SALib" in manifest["versions"]
    assert "commit" in manifest["git"]
    assert manifest["machine"]["cpu_count"] >= 1
    assert manifest["started"] <= manifest["finished"]
    assert manifest["executor"] == "serial"
    assert manifest["workers"] == 1


def test_replication_seed_same_everywhere(tmp_path):
    out = tmp_path / "sweep"
    run_sweep(load_experiment(experiment_file(tmp_path)), out, executor="serial")
    runs = load_runs(out)
    seeds = replication_seeds(11, 5)
    assert runs["seed"].tolist() == [seeds[r] for r in runs["replication"]]
    per_replication = runs.groupby("replication")["seed"].nunique()
    assert (per_replication == 1).all()


def test_run_equals_direct_batch(tmp_path):
    # A sweep run is the engine's run of that scenario and seed, whatever its task.
    experiment = load_experiment(experiment_file(tmp_path))
    out = tmp_path / "sweep"
    run_sweep(experiment, out, executor="serial")
    runs = load_runs(out)
    scenario = experiment.base.replace(
        {"quota.target_growth": 0.3, "quota.period": "monthly"}
    )
    seeds = replication_seeds(11, 5)
    batch = TeamBatch(scenario, get_strategy("equal_split"), seeds[3:4], 12).run()
    direct = batch.recorder.run_metrics()
    row = runs[
        (runs["strategy"] == "equal_split")
        & (runs["point"] == 3)
        & (runs["replication"] == 3)
    ]
    assert len(row) == 1
    for metric in experiment.run_metrics:
        assert row[metric].iloc[0] == pytest.approx(direct[metric][0], rel=0, abs=0)


def test_common_random_numbers_pair_strategies(tmp_path):
    # Under common random numbers, the team and market of replication i are shared,
    # so paired revenue differences vary less than unpaired ones.
    text = SMALL.replace("replications = 5", "replications = 40")
    out = tmp_path / "sweep"
    run_sweep(load_experiment(experiment_file(tmp_path, text)), out, executor="serial")
    runs = load_runs(out)
    point = runs[runs["point"] == 0]
    first = point[point["strategy"] == "history_based"].set_index("replication")
    second = point[point["strategy"] == "equal_split"].set_index("replication")
    paired = (first["revenue"] - second["revenue"]).var()
    unpaired = first["revenue"].var() + second["revenue"].var()
    assert paired < unpaired / 2


def sweep_frames(folder):
    return load_runs(folder), load_monthly(folder)


def test_executors_give_identical_results(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    serial = run_sweep(experiment, tmp_path / "serial", executor="serial")
    processes = run_sweep(
        experiment, tmp_path / "processes", executor="processes", workers=3
    )
    dask = run_sweep(experiment, tmp_path / "dask", executor="dask", workers=2)

    expected = sweep_frames(serial.folder)
    for result in (processes, dask):
        runs, monthly = sweep_frames(result.folder)
        pd.testing.assert_frame_equal(runs, expected[0])
        pd.testing.assert_frame_equal(monthly, expected[1])
    # Three workers split replications into smaller blocks than one does.
    parts = {
        name: len(list((tmp_path / name / "runs").iterdir()))
        for name in ("serial", "processes")
    }
    assert parts["processes"] > parts["serial"]
    assert load_manifest(dask.folder)["executor"] == "dask"


def test_resume_completes_missing_tasks(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    whole = run_sweep(experiment, tmp_path / "whole", executor="serial")
    out = tmp_path / "cut"
    run_sweep(experiment, out, executor="serial", workers=2)

    # Simulate a crash: drop some finished tasks and leave a half-written file.
    dropped = sorted((out / "runs").iterdir())[::3]
    dropped_runs = sum(len(pd.read_parquet(part)) for part in dropped)
    for part in dropped:
        part.unlink()
        (out / "monthly" / part.name).unlink()
    leftover = out / "runs" / ".tmp-part-x.parquet.abc"
    leftover.write_bytes(b"half")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))

    result = run_sweep(experiment, out, executor="processes", workers=2, resume=True)
    assert dropped_runs > 0
    assert result.runs_this_session == dropped_runs
    assert not leftover.exists()
    assert load_manifest(out)["status"] == "complete"
    assert len(load_manifest(out)["sessions"]) == 2
    pd.testing.assert_frame_equal(load_runs(out), load_runs(whole.folder))
    pd.testing.assert_frame_equal(load_monthly(out), load_monthly(whole.folder))


def test_rerun_of_complete_folder_runs_nothing(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    out = tmp_path / "sweep"
    run_sweep(experiment, out, executor="serial")
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    again = run_sweep(experiment, out, executor="serial")
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert again.runs_this_session == 0
    assert again.completed_runs == again.expected_runs
    assert before == after


def test_folder_of_other_experiment_rejected(tmp_path):
    out = tmp_path / "sweep"
    run_sweep(load_experiment(experiment_file(tmp_path)), out, executor="serial")
    before = sorted(p.name for p in (out / "runs").iterdir())
    other = experiment_file(tmp_path, SMALL.replace("seed = 11", "seed = 12"), "b.toml")
    with pytest.raises(OptionError) as caught:
        run_sweep(load_experiment(other), out, executor="serial")
    assert "different experiment file" in str(caught.value)
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    assert load_manifest(out)["root_seed"] == 11


def test_quick_folder_rejected_without_quick(tmp_path):
    path = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    run_sweep(load_experiment(path, quick=True), out, executor="serial")
    with pytest.raises(OptionError) as caught:
        run_sweep(load_experiment(path), out, executor="serial")
    assert "started with --quick" in str(caught.value)


def test_resume_without_folder_rejected(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    with pytest.raises(OptionError) as caught:
        run_sweep(experiment, tmp_path / "none", executor="serial", resume=True)
    assert "--resume: no sweep to resume" in str(caught.value)


def test_folder_with_other_files_rejected(tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    experiment = load_experiment(experiment_file(tmp_path))
    with pytest.raises(OptionError) as caught:
        run_sweep(experiment, out, executor="serial")
    assert "is not a sweep folder" in str(caught.value)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_cli_prints_size_and_logs_progress(tmp_path):
    path = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    result = quotalab("sweep", str(path), "--out", str(out), "--executor", "serial")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2 strategies x 4 points x 5 replications = 40 runs"
    assert lines[-1] == f"40 of 40 runs stored in {out}"
    # Without a terminal, progress goes to log lines rather than a bar.
    assert "40/40 runs (100%)" in result.stderr
    assert "runs/s" in result.stderr


def test_cli_rejects_unknown_executor(tmp_path):
    path = experiment_file(tmp_path)
    result = quotalab("sweep", str(path), "--executor", "threads")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "quotalab sweep: error: --executor: unknown executor 'threads'; "
        "valid: serial, processes, dask"
    ]


def count_parts(folder):
    runs = folder / "runs"
    if not runs.is_dir():
        return 0
    return sum(1 for p in runs.iterdir() if p.name.startswith("part-"))


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    path = experiment_file(tmp_path, SLOW)
    experiment = load_experiment(path)
    whole = run_sweep(experiment, tmp_path / "whole", executor="serial")
    total_parts = count_parts(whole.folder)

    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "sim",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--executor",
        "serial",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while count_parts(out) < 5 and process.poll() is None:
            assert time.monotonic() < deadline, "the sweep stored no parts in 300 s"
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the sweep finished before the kill"
    stored = count_parts(out)
    assert 5 <= stored < total_parts
    assert load_manifest(out)["status"] == "running"

    result = quotalab(
        "sweep", str(path), "--out", str(out), "--resume", "--workers", "2"
    )
    assert result.returncode == 0, result.stderr
    assert "resuming" in result.stderr
    manifest = load_manifest(out)
    assert manifest["status"] == "complete"
    assert manifest["completed_runs"] == manifest["expected_runs"] == 2 * 30 * 2
    runs = load_runs(out)
    assert not runs.duplicated(["strategy", "point", "replication"]).any()
    pd.testing.assert_frame_equal(runs, load_runs(whole.folder))
    pd.testing.assert_frame_equal(load_monthly(out), load_monthly(whole.folder))
    assert list(runs.columns[-len(RUN_METRICS) :]) == list(RUN_METRICS)


def test_manifest_count_follows_parts(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path))
    out = tmp_path / "sweep"
    seen = []

    def check(runs):
        stored = len(load_runs(out))
        seen.append((load_manifest(out)["completed_runs"], stored))

    run_sweep(experiment, out, executor="serial", workers=4, progress=check)
    assert len(seen) > 1
    for in_manifest, stored in seen:
        assert in_manifest == stored


def start_sweep(path, out, *extra):
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    return subprocess.Popen(
        [*command, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_parts(process, out, parts):
    deadline = time.monotonic() + 300
    while count_parts(out) < parts:
        assert process.poll() is None, "the sweep ended before the signal"
        assert time.monotonic() < deadline, "the sweep stored no parts in 300 s"
        time.sleep(0.02)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_ctrl_c_keeps_count_and_says_so(tmp_path, executor):
    path = experiment_file(tmp_path, SLOW)
    out = tmp_path / "sweep"
    process = start_sweep(path, out, "--executor", executor, "--workers", "2")
    try:
        wait_for_parts(process, out, 3)
        # A terminal's Ctrl-C sends SIGINT to the whole process group.
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    assert process.returncode == 130, stderr
    stored = len(load_runs(out))
    manifest = load_manifest(out)
    assert manifest["completed_runs"] == stored
    assert manifest["status"] == "running"
    last = stderr.strip().splitlines()[-1]
    assert last == (
        f"quotalab sweep: interrupted; {stored} of 120 runs stored in {out}; "
        "rerun with --resume to finish"
    )


def worker_pids(pid):
    """Return the pids of a process's multiprocessing workers (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            workers.append(int(child))
    return workers


def is_running(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_after_parent_sigkill(tmp_path):
    path = experiment_file(tmp_path, SLOW)
    out = tmp_path / "sweep"
    process = start_sweep(path, out, "--executor", "processes", "--workers", "2")
    workers = []
    try:
        wait_for_parts(process, out, 1)
        workers = worker_pids(process.pid)
        assert len(workers) == 2
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 20
        while any(is_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "workers outlived their parent"
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        for pid in workers:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


def test_cli_out_file_named_as_file(tmp_path):
    path = experiment_file(tmp_path)
    out = tmp_path / "results.txt"
    out.write_text("mine")
    result = quotalab("sweep", str(path), "--out", str(out), "--executor", "serial")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"quotalab sweep: error: --out: {out} is a file, not a folder; "
        "give a new or sweep folder"
    ]


def test_cli_folder_as_file_named_as_folder(tmp_path):
    result = quotalab("sweep", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"quotalab sweep: error: FILE: {tmp_path} is a folder, not an experiment "
        "file; give a TOML file"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler: only applies"),
        (["--resume"], "--resume: no sweep to resume"),
    ],
)
def test_cli_option_errors_before_size(tmp_path, args, message):
    path = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    result = quotalab("sweep", str(path), "--out", str(out), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert not out.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a pty")
def test_cli_dumb_terminal_gets_log_lines(tmp_path):
    import pty

    path = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    leader, follower = pty.openpty()
    environment = {**os.environ, "TERM": "dumb"}
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--executor", "serial"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # Linux raises EIO once the pty's last writer closes.
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0
    text = output.decode()
    assert "40/40 runs (100%)" in text
    assert "\r" not in text.replace("\r\n", "\n")
