"""The ``quotalab calibrate`` and ``quotalab import`` subcommands.

``sim.cli`` adds them with :func:`add_commands`.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from sim.errors import OptionError
from sim.options import whole_number

logger = logging.getLogger("sim")


def add_commands(commands) -> None:
    """Add ``calibrate`` and ``import`` to the ``quotalab`` subparsers."""
    calibrate = commands.add_parser(
        "calibrate",
        help="estimate a scenario from a team's data and report the fit",
        description="Read a team's data, estimate a scenario, simulate it to show "
        "how well it reproduces the history, and backtest it on the last third.",
    )
    _add_source_options(calibrate)
    calibrate.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="scenario TOML file to write (replaced if it exists)",
    )
    calibrate.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="folder for fit.md, tables and figures (default: FILE's name + -fit)",
    )
    calibrate.add_argument(
        "--as-of", metavar="YYYY-MM", help="last month of history to use"
    )
    calibrate.add_argument(
        "--replications",
        type=whole_number(1),
        default=100,
        help="simulated teams for the fit and backtest (default 100)",
    )
    calibrate.add_argument(
        "--seed", type=whole_number(0), default=0, help="root seed (default 0)"
    )
    calibrate.add_argument(
        "--no-backtest", action="store_true", help="skip the backtest"
    )
    calibrate.add_argument(
        "--no-figures", action="store_true", help="skip the PNG figures"
    )
    calibrate.add_argument(
        "--quiet", action="store_true", help="print only the fit table"
    )
    calibrate.set_defaults(handler=run_calibrate)

    read = commands.add_parser(
        "import",
        help="write what QuotaLab read from an export in the generic format",
        description="Read a team's data and write it as sales.csv, roster.csv, "
        "quotas.csv and deals.csv, with notes on what was dropped or changed.",
    )
    _add_source_options(read)
    read.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder; must be new or empty",
    )
    read.add_argument("--quiet", action="store_true", help="print nothing")
    read.set_defaults(handler=run_import)


def _add_source_options(parser) -> None:
    parser.add_argument("path", type=Path, metavar="PATH", help="folder or CSV file")
    parser.add_argument(
        "--format",
        default="generic",
        help="data format (default generic); see docs/team-data.md for the list",
    )
    parser.add_argument(
        "--columns",
        metavar="FIELD=HEADER,...",
        help="headers of a deal export, e.g. rep_id=Owner,amount=Value,date=Closed; "
        "alone it selects --format deals",
    )
    parser.add_argument(
        "--rates",
        metavar="CODE=RATE,...",
        help="value of one unit of each other currency in the main currency, "
        "e.g. EUR=1.08,GBP=1.27",
    )
    parser.add_argument(
        "--day-first",
        action="store_true",
        help="read numeric dates such as 03/04/2024 day first (default: inferred)",
    )
    parser.add_argument(
        "--pseudonymize",
        action="store_true",
        help="replace rep ids by stable hashes in every output",
    )


def read_source(args):
    """Read the team named by the source options, applying the mapping and hashing.

    Raises:
        OptionError: an unknown format, or an option the format does not take.
        DataError: the data cannot be read.
    """
    from sim.teamdata import DEAL_EXPORT_FORMATS, FORMATS, read_team
    from sim.teamdata.deals import parse_column_mapping
    from sim.teamdata.export import pseudonymize

    format = args.format
    if args.columns and format == "generic":
        format = "deals"
    if format not in FORMATS:
        valid = ", ".join(sorted(FORMATS))
        raise OptionError(f"--format: unknown format {format!r}; valid: {valid}")

    options: dict[str, object] = {}
    deal_options = {
        "--columns": args.columns,
        "--rates": args.rates,
        "--day-first": args.day_first or None,
    }
    if format in DEAL_EXPORT_FORMATS:
        if args.columns:
            options["columns"] = parse_column_mapping(args.columns)
        elif format == "deals":
            raise OptionError(
                "--columns: required with --format deals; e.g. "
                "--columns rep_id=Owner,amount=Value,date=Close Date"
            )
        if args.rates:
            options["rates"] = parse_rates(args.rates)
        if args.day_first:
            options["day_first"] = True
    else:
        if format == "generic" and args.day_first:
            # The generic reader decides date order per column; this forces it.
            options["day_first"] = True
            deal_options.pop("--day-first")
        given = [name for name, value in deal_options.items() if value]
        if given:
            raise OptionError(
                f"{given[0]}: applies to deal exports "
                f"({', '.join(DEAL_EXPORT_FORMATS)}), not to --format {format}"
            )

    team = read_team(args.path, format, **options)
    if args.pseudonymize:
        team = pseudonymize(team)
    return team, format


def parse_rates(text: str) -> dict[str, float]:
    """Parse ``EUR=1.08,GBP=1.27`` into ``{"EUR": 1.08, "GBP": 1.27}``.

    Raises:
        OptionError: an entry is not ``CODE=NUMBER`` or the number is not > 0.
    """
    rates: dict[str, float] = {}
    for entry in text.split(","):
        code, sep, value = (part.strip() for part in entry.partition("="))
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not sep or not code or not rate > 0:
            raise OptionError(
                f"--rates: entry '{entry.strip()}' is not CODE=RATE with a rate > 0; "
                "write for example EUR=1.08,GBP=1.27"
            )
        rates[code.upper()] = rate
    return rates


def run_import(args) -> int:
    """Write the team read from PATH into a new folder in the generic format."""
    from sim.output import base_manifest, check_out_dir, staged_folder, write_json
    from sim.teamdata.export import write_generic

    check_out_dir(args.out)
    team, format = read_source(args)
    with staged_folder(args.out) as staging:
        files = write_generic(team, staging)
        (staging / "notes.txt").write_text(
            "".join(f"{note}\n" for note in team.notes), encoding="utf-8"
        )
        manifest = base_manifest("import")
        manifest.update(
            {
                "source": str(args.path),
                "format": format,
                "pseudonymized": bool(args.pseudonymize),
                "files": files,
                "rows": {
                    "sales": len(team.sales),
                    "roster": 0 if team.roster is None else len(team.roster),
                    "quotas": 0 if team.quotas is None else len(team.quotas),
                    "deals": 0 if team.deals is None else len(team.deals),
                },
                "notes": list(team.notes),
            }
        )
        write_json(staging / "manifest.json", manifest)
    if not args.quiet:
        print(
            f"Read {len(team.sales):,} sales of {len(team.rep_ids):,} "
            f"rep{'' if len(team.rep_ids) == 1 else 's'}; "
            f"wrote {', '.join(files)} to {args.out}"
        )
    return 0


def run_calibrate(args) -> int:
    """Estimate a scenario, write it with provenance, and write the fit report."""
    from sim.calibration import calibrate
    from sim.calibration.report import format_fit
    from sim.output import check_out_dir

    started = time.time()
    report_dir = args.report or args.out.with_name(args.out.stem + "-fit")
    check_out_dir(report_dir)
    if args.out.suffix.lower() != ".toml":
        raise OptionError(f"-o: {args.out} must end in .toml")

    team, format = read_source(args)
    result = calibrate(
        team,
        as_of=args.as_of,
        replications=args.replications,
        seed=args.seed,
        backtest=not args.no_backtest,
    )
    _save_atomic(result, args.out)
    result.write_report(
        report_dir,
        figures=not args.no_figures,
        manifest_extra={
            "command": "calibrate",
            "source": str(args.path),
            "format": format,
            "scenario_file": str(args.out),
            "seconds": round(time.time() - started, 2),
        },
    )
    print(format_fit(result))
    if not args.quiet:
        print(f"\nScenario written to {args.out}; fit report in {report_dir}")
    return 0


def _save_atomic(result, path: Path) -> None:
    """Write the scenario under a temporary name and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    os.close(handle)
    try:
        result.save_scenario(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
