"""``mlpkit moons``: train the tutorial's moons model with the reference."""
from __future__ import annotations

import argparse

HELP = "train the tutorial's moons model with the reference and print its results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-experiments", action="store_true",
                        help="skip the Part 6 architecture and learning-rate tables")


def run(args: argparse.Namespace, course=None) -> int:
    from reference import experiments

    data = experiments.moons_data()
    result = experiments.moons_run(data)
    architectures = [] if args.no_experiments else experiments.architecture_runs(data)
    rates = [] if args.no_experiments else experiments.learning_rate_runs(data)
    print(experiments.format_moons_report(data, result, architectures, rates))
    return 0
