"""The ``quotalab`` command: a thin layer over the library, one subcommand per action.

User mistakes end in one line on stderr naming the option, file or value and what
is valid, with exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from sim.errors import OptionError, QuotaLabError
from sim.options import whole_number

logger = logging.getLogger("sim")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> None:  # noqa: D102
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``quotalab`` command."""
    from sim.compare import default_workers

    parser = _Parser(
        prog="quotalab",
        description="Simulate a sales team and compare quota allocation strategies.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    compare = commands.add_parser(
        "compare",
        help="compare strategies on common random numbers",
        description="Run every strategy on the same replications and compare outcomes.",
    )
    compare.add_argument("--team", type=Path, help="folder of team data to start from")
    compare.add_argument(
        "--format",
        default="generic",
        help="format of --team data (default generic); docs/team-data.md lists all",
    )
    compare.add_argument("--scenario", type=Path, help="scenario TOML file")
    compare.add_argument(
        "--strategies",
        help="comma-separated strategy names or module:attribute paths "
        "(default: all built-ins)",
    )
    compare.add_argument(
        "--baseline", help="strategy for paired differences (default: history_based)"
    )
    compare.add_argument(
        "--replications",
        type=whole_number(1),
        default=200,
        help="paired replications per strategy (default 200)",
    )
    compare.add_argument(
        "--months",
        type=whole_number(1),
        default=36,
        help="horizon in months (default 36)",
    )
    compare.add_argument(
        "--seed", type=whole_number(0), default=0, help="root seed (default 0)"
    )
    compare.add_argument(
        "--workers",
        type=whole_number(1),
        default=default_workers(),
        help="worker processes (default: all cores)",
    )
    compare.add_argument(
        "--out", type=Path, help="output folder (default: results/compare-<time>)"
    )
    compare.add_argument(
        "--no-figures", action="store_true", help="skip the PNG figures"
    )
    compare.add_argument("--quiet", action="store_true", help="print only the table")
    compare.set_defaults(handler=_compare)

    bench = commands.add_parser(
        "bench",
        help="measure simulation speed against Mesa's BoltzmannWealth",
        description="Report rep-months per second at 25, 100 and 1,000 seats.",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    bench.set_defaults(handler=_bench)

    from sim.calibration.commands import add_commands as add_calibration_commands

    add_calibration_commands(commands)

    sweep = commands.add_parser(
        "sweep",
        help="run an experiment file: designs, replications, resume",
        description="Run every strategy at every design point of an experiment "
        "file for every replication, streaming results to Parquet "
        "(docs/experiments.md). Rerunning into the same folder resumes it.",
    )
    sweep.add_argument("file", type=Path, metavar="FILE", help="experiment TOML file")
    sweep.add_argument(
        "--out", type=Path, help="output folder (default: the file's [output] folder)"
    )
    sweep.add_argument(
        "--quick", action="store_true", help="apply the file's [quick] overrides"
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="finish the interrupted sweep in the output folder",
    )
    sweep.add_argument(
        "--executor",
        default="processes",
        help="serial, processes (default) or dask",
    )
    sweep.add_argument(
        "--workers",
        type=whole_number(1),
        default=default_workers(),
        help="worker processes (default: all cores)",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --executor dask: scheduler address (default: a local cluster)",
    )
    sweep.add_argument(
        "--quiet",
        action="store_true",
        help="print only the size and the folder; no progress",
    )
    sweep.set_defaults(handler=_sweep)

    report = commands.add_parser(
        "report",
        help="summarise a sweep folder: tables, figures, sensitivity",
        description="Summarise a finished sweep: means with 95% confidence "
        "intervals, paired differences against a baseline, the winner at each "
        "design point, figures, and sobol or morris sensitivity indices.",
    )
    report.add_argument("folder", type=Path, metavar="FOLDER", help="sweep folder")
    report.add_argument(
        "--out", type=Path, help="report folder (default: FOLDER/report)"
    )
    report.add_argument(
        "--metrics",
        help="comma-separated run metrics (default: the headline metrics kept)",
    )
    report.add_argument(
        "--baseline",
        help="strategy for paired differences (default: the experiment's baseline)",
    )
    report.add_argument(
        "--partial",
        action="store_true",
        help="analyse a sweep that is not complete",
    )
    report.add_argument(
        "--resamples",
        type=whole_number(1),
        default=1000,
        help="bootstrap resamples of sensitivity intervals (default 1000)",
    )
    report.add_argument(
        "--seed", type=whole_number(0), default=0, help="bootstrap seed (default 0)"
    )
    report.add_argument(
        "--no-figures", action="store_true", help="skip the PNG figures"
    )
    report.add_argument("--quiet", action="store_true", help="print only the tables")
    report.set_defaults(handler=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Like `python -m`, let module:attribute strategies live in the current folder.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    _configure_logging(getattr(args, "quiet", False))
    try:
        return args.handler(args) or 0
    except QuotaLabError as error:
        print(f"quotalab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"quotalab {args.command}: interrupted; no results written", file=sys.stderr
        )
        return 130


def _configure_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _compare(args) -> int:
    from sim.compare import run_comparison
    from sim.output import (
        base_manifest,
        check_out_dir,
        default_out_dir,
        format_table,
        write_comparison,
    )
    from sim.scenario import Scenario
    from strategies import builtin_names

    started = time.time()
    out_dir = args.out or default_out_dir("compare")
    check_out_dir(out_dir)
    scenario = Scenario.load(args.scenario) if args.scenario else Scenario()
    provenance: dict[str, str] = {}
    if args.team:
        scenario, provenance = _scenario_from_team(args, scenario)
    elif args.format != "generic":
        raise OptionError("--format: only applies with --team PATH")

    strategies = _strategy_list(args.strategies, builtin_names())
    baseline = args.baseline or (
        "history_based" if "history_based" in strategies else strategies[0]
    )
    progress = _progress_bar(args, len(strategies) * args.replications)
    try:
        result = run_comparison(
            scenario,
            strategies,
            replications=args.replications,
            months=args.months,
            seed=args.seed,
            workers=args.workers,
            baseline=baseline,
            progress=progress.update if progress else None,
        )
    finally:
        if progress:
            progress.close()

    manifest = base_manifest("compare")
    manifest.update(
        {
            "strategies": result.strategies,
            "baseline": result.baseline,
            "replications": args.replications,
            "months": args.months,
            "root_seed": args.seed,
            "replication_seeds": result.seeds,
            "seed_scheme": "numpy SeedSequence(root_seed, spawn_key=(replication,))",
            "workers": args.workers,
            "scenario_file": str(args.scenario) if args.scenario else None,
            "team": {"path": str(args.team), "format": args.format}
            if args.team
            else None,
            "scenario": scenario.to_dict(),
            "provenance": provenance,
            "timings": {
                "simulate_seconds": result.seconds,
                "total_seconds_before_write": time.time() - started,
            },
        }
    )
    write_comparison(result, out_dir, manifest, figures=not args.no_figures)
    print(format_table(result))
    if not args.quiet:
        print(f"\nResults written to {out_dir}")
    return 0


def _strategy_list(text: str | None, builtins: list[str]) -> list[str]:
    if text is None:
        return list(builtins)
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise OptionError(
            f"--strategies: empty name in {text!r}; separate names with commas"
        )
    from strategies import get_strategy

    for name in names:
        get_strategy(name)  # raises a one-line error naming the valid strategies
    return names


def _scenario_from_team(args, scenario):
    from sim.teamdata import FORMATS, read_team, scenario_from_team

    if args.format not in FORMATS:
        valid = ", ".join(sorted(FORMATS))
        raise OptionError(f"--format: unknown format {args.format!r}; valid: {valid}")
    # Reading logs its notes (what was dropped or changed, with counts).
    team = read_team(args.team, args.format)
    scenario, provenance = scenario_from_team(team, scenario)
    from_data = sorted(k for k, v in provenance.items() if v.startswith("data"))
    defaults = sorted(k for k, v in provenance.items() if not v.startswith("data"))
    logger.info("From the data (%s, %s):", args.team, args.format)
    for key in from_data:
        logger.info("  %s: %s", key, provenance[key])
    logger.info("Defaults (not informed by the data):")
    for key in defaults:
        logger.info("  %s: %s", key, provenance[key])
    logger.info("  all other settings: scenario defaults")
    return scenario, provenance


def _progress_bar(args, total: int):
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="runs", unit="run", file=sys.stderr, delay=0.5)


def _bench(args) -> int:
    from sim.bench import format_report, run_benchmark

    print(format_report(run_benchmark(quick=args.quick)))
    return 0


def _report(args) -> int:
    from sim.analysis import analyse_sweep, format_report, write_report

    metrics = None
    if args.metrics is not None:
        metrics = [part.strip() for part in args.metrics.split(",")]
        if not all(metrics):
            raise OptionError(
                f"--metrics: empty name in {args.metrics!r}; separate names "
                "with commas"
            )
    analysis = analyse_sweep(
        args.folder,
        metrics,
        args.baseline,
        partial=args.partial,
        resamples=args.resamples,
        seed=args.seed,
    )
    out_dir = write_report(analysis, args.out, figures=not args.no_figures)
    print(format_report(analysis))
    if not args.quiet:
        print(f"\nReport written to {out_dir}")
    return 0


def _sweep(args) -> int:
    from sim.sweep import (
        EXECUTORS,
        ProgressLog,
        SweepInterrupted,
        check_sweep,
        load_experiment,
        resolve_design,
        run_sweep,
        sweep_size,
    )
    from sim.sweep.storage import load_manifest

    if args.executor not in EXECUTORS:
        raise OptionError(
            f"--executor: unknown executor {args.executor!r}; "
            f"valid: {', '.join(EXECUTORS)}"
        )
    experiment = load_experiment(args.file, quick=args.quick)
    design = resolve_design(experiment)
    out_dir = args.out or experiment.default_folder()
    # Option errors come before the size line, so a failed start prints one line.
    check_sweep(
        experiment,
        out_dir,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        design=design,
    )
    print(sweep_size(experiment, design), flush=True)

    # The bar covers only the runs still missing when resuming a folder.
    total = len(experiment.strategies) * len(design) * experiment.replications
    if (out_dir / "manifest.json").is_file():
        total -= load_manifest(out_dir).get("completed_runs", 0)
    # A pty with TERM=dumb (CI runners, editor shells) cannot redraw a \r line,
    # so it gets the log lines as a file or pipe does.
    bar = None if os.environ.get("TERM") == "dumb" else _progress_bar(args, total)
    log = None if bar or args.quiet else ProgressLog(total)
    progress = None
    if bar:
        progress = bar.update
    elif log:
        progress = log.update
    try:
        result = run_sweep(
            experiment,
            out_dir,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            design=design,
            progress=progress,
        )
    except SweepInterrupted as interrupted:
        if bar:
            bar.close()
        print(
            f"quotalab sweep: interrupted; {interrupted.completed_runs:,} of "
            f"{interrupted.expected_runs:,} runs stored in {interrupted.folder}; "
            "rerun with --resume to finish",
            file=sys.stderr,
        )
        return 130
    finally:
        if bar:
            bar.close()
    print(
        f"{result.completed_runs:,} of {result.expected_runs:,} runs stored "
        f"in {result.folder}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
