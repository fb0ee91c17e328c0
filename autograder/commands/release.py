"""``mlpkit release``: the student version of the course (see ``autograder/release.py``)."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write the student release: nbgrader for every stage, then the students' test kit"
USES_COURSE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", action="append", default=[], metavar="NAME",
                        help="release only this stage (repeatable); default: every stage "
                             "that has an instructor notebook")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="release folder (default: the course's release folder, assignments/; "
                             "elsewhere the course gradebook is not touched)")


def run(args: argparse.Namespace, course) -> int:
    from ..release import make_release, summary

    print(summary(make_release(course, args.out, args.stage)))
    return 0
