"""``mlpkit gradescope-run``: what the bundle's ``run_autograder`` calls on
Gradescope: grade ``ROOT/submission`` into ``ROOT/results/results.json``."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "grade a Gradescope submission (run by the autograder zip's run_autograder)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", type=Path, nargs="?", default=Path("/autograder"), metavar="ROOT",
                        help="Gradescope's folder, holding source/, submission/ and results/ (default: /autograder)")


def run(args: argparse.Namespace, course=None) -> int:
    from ..platforms.gradescope import run_autograder

    results, path = run_autograder(args.root)
    print(f"mlpkit: {results.get('score', 0):g} points; results in {path}")
    return 0
