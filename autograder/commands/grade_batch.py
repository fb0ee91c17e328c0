"""``mlpkit grade-batch``: grade a class in parallel, resumably (see ``autograder/batch/``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "grade a class in parallel, resumably: results, feedback pages, gradebook.sqlite and grades.csv"
USES_COURSE = True


def jobs(text: str) -> int:
    """``--jobs``: a whole number of processes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..course import STAGES
    from ..reports.visibility import HiddenDetails

    parser.add_argument("root", type=Path, metavar="ROOT",
                        help="folder of student folders (nbgrader's submitted/, or ROOT/<student>/*.ipynb)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where results, feedback, gradebook.sqlite and grades.csv go (resumed if present)")
    parser.add_argument("--jobs", "-j", type=jobs, default=None, metavar="N",
                        help="students graded at once (default: all cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="grade on the workers of this Dask scheduler (tcp://host:8786) instead of local "
                             "processes; this machine plans and keeps the gradebook (see docs/batch-grading.md)")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--seed", type=int, default=None,
                        help="batch seed of the hidden checks (default: none; each student gets the seed `mlpkit grade` "
                             "gives them)")
    parser.add_argument("--regrade", action="append", default=[], metavar="STUDENT",
                        help="grade this student again even if their work did not change (repeatable)")
    parser.add_argument("--regrade-all", action="store_true",
                        help="grade every student again (needed after the instructor notebooks or checks changed)")
    parser.add_argument("--hidden", choices=[value.value for value in HiddenDetails], default=None,
                        help="what results.json and the feedback pages show of the hidden checks: everything, "
                             "their points only, or nothing until grades are published (default: as in the "
                             "earlier runs of this --out, else full)")
    parser.add_argument("--nbgrader", action=argparse.BooleanOptionalAction, default=None,
                        help="write the grades into the course's nbgrader gradebook and read back due dates and "
                             "the scores given in formgrader (default: as in the earlier runs of this --out)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="write results.json only, no HTML feedback pages")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--allow-unconfined", action="store_true",
                        help="grade even where student code cannot be confined (each student's code could then "
                             "read and change the others' work; see docs/grading.md)")


def run(args: argparse.Namespace, course) -> int:
    from ..batch.run import CSV_NAME, GRADEBOOK_NAME, run_batch

    nbgrader = course if args.nbgrader else (False if args.nbgrader is False else None)
    try:
        summary = run_batch(args.root, args.out, course.source, stages=args.stages, jobs=args.jobs,
                            seed=args.seed, feedback=not args.no_feedback, progress=not args.no_progress,
                            allow_unconfined=args.allow_unconfined, regrade=args.regrade,
                            regrade_all=args.regrade_all, hidden=args.hidden, nbgrader=nbgrader,
                            scheduler=args.scheduler)
    except KeyboardInterrupt:
        print(f"mlpkit grade-batch: interrupted; every student finished so far is in {args.out / GRADEBOOK_NAME} "
              f"and {args.out / CSV_NAME}. Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    print(summary.describe())
    return 1 if summary.errors or summary.ungraded else 0
