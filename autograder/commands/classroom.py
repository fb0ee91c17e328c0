"""``mlpkit classroom``: grade a student's repository for GitHub Classroom
and print ``result=<base64>`` for ``$GITHUB_OUTPUT`` (see
``autograder/reports/classroom.py``); the table goes to standard error."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "grade for GitHub Classroom: print result=<base64> for the autograding reporter"
USES_COURSE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..course import STAGES

    parser.add_argument("submission", type=Path, help="the student's repository (or any folder of notebooks)")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs")


def run(args: argparse.Namespace, course) -> int:
    from ..engine import grade_submission
    from ..reports.classroom import encode, runner_result
    from ..reports.table import table

    report = grade_submission(args.submission, args.stages, args.seed, source=course.source)
    print(table(report), file=sys.stderr)
    print(f"result={encode(runner_result(report))}")
    return 0
