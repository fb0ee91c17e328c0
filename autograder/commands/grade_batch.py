"""``mlpkit grade-batch``: grade a class in parallel, resumably (see ``autograder/batch/``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "grade a class in parallel, resumably: results, feedback pages, gradebook.sqlite and grades.csv"
USES_COURSE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..course import STAGES

    parser.add_argument("root", type=Path, metavar="ROOT",
                        help="folder of student folders (nbgrader's submitted/, or ROOT/<student>/*.ipynb)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where results, feedback, gradebook.sqlite and grades.csv go (resumed if present)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="students graded at once (default: all cores)")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--seed", type=int, default=None,
                        help="batch seed of the hidden checks (default: none; each student gets the seed `mlpkit grade` "
                             "gives them)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="write results.json only, no HTML feedback pages")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--allow-unconfined", action="store_true",
                        help="grade even where student code cannot be confined (each student's code could then "
                             "read and change the others' work; see docs/grading.md)")


def run(args: argparse.Namespace, course) -> int:
    from ..batch.run import GRADEBOOK_NAME, run_batch

    try:
        summary = run_batch(args.root, args.out, course.source, stages=args.stages, jobs=args.jobs,
                            seed=args.seed, feedback=not args.no_feedback, progress=not args.no_progress,
                            allow_unconfined=args.allow_unconfined)
    except KeyboardInterrupt:
        print(f"mlpkit grade-batch: interrupted; every student finished so far is in {args.out / GRADEBOOK_NAME}. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    print(summary.describe())
    return 1 if summary.errors else 0
