"""Print the default scenario's simulated figures beside the industry targets.

Usage: python scripts/calibration_table.py [--replications 200] [--seed 2024]
The output is the table in docs/calibration.md.
"""

from __future__ import annotations

import argparse

from sim.compare import run_comparison
from sim.scenario import Scenario

TARGETS = [
    (
        "annual_share_at_quota",
        "share of reps at or above annual quota",
        "about 0.50",
        "0.25-0.70",
        "CSO Insights 2009-2015; Alexander Group 2014; RepVue 2024",
    ),
    (
        "share_at_quota",
        "share of rep-quarters at or above quota",
        "about 0.50",
        "0.25-0.70",
        "as above (quarterly quotas)",
    ),
    (
        "annual_median_attainment",
        "median annual attainment",
        "0.85-1.00",
        "",
        "Alexander Group 2014 (median 95%)",
    ),
    (
        "attainment_skew",
        "skew of attainment",
        "> 0 (right-skewed)",
        "",
        "Alexander Group; O'Boyle & Aguinis 2012",
    ),
    (
        "attainment_cv",
        "attainment CV across reps, per quarter",
        "about 0.35 (hunter)",
        "0.15-0.40",
        "practitioner bands (80% of reps within 50-150%)",
    ),
    (
        "attrition_rate",
        "annual turnover",
        "0.20-0.30",
        "0.10-0.40",
        "Alexander Group 2014/15; Optymyze; Bridge Group",
    ),
    ("voluntary_share", "voluntary share of exits", "about 0.70", "", "assumption"),
    (
        "mean_vacancy_duration",
        "vacancy length (months)",
        "2-3",
        "1-4",
        "SBI; recruiter figures",
    ),
    (
        "payout_p90_ratio",
        "90th-percentile payout / target incentive",
        "2-3",
        "",
        "Alexander Group 2015",
    ),
    (
        "completion_rate",
        "team completion (sales / target)",
        "0.90-1.00",
        "",
        "Alexander Group Trends 2015-17",
    ),
]


def main() -> None:
    """Run the default scenario and print the calibration table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    result = run_comparison(
        Scenario(),
        ["history_based"],
        replications=args.replications,
        months=36,
        seed=args.seed,
        workers=2,
    )
    runs = result.runs
    runs = runs.assign(
        voluntary_share=runs["voluntary_attrition"] / runs["attrition_rate"]
    )
    print("| figure | simulated mean [95% CI] | target | range seen | source |")
    print("|---|---|---|---|---|")
    from sim.compare import confidence_interval

    for metric, label, target, seen, source in TARGETS:
        mean, low, high = confidence_interval(runs[metric].to_numpy())
        print(
            f"| {label} (`{metric}`) | {mean:.3f} [{low:.3f}, {high:.3f}] | {target} "
            f"| {seen} | {source} |"
        )


if __name__ == "__main__":
    main()
