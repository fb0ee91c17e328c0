"""``mlpkit override``: an instructor's grade for one stage of one student,
with the reason, kept in the gradebook and in every export (see
``autograder/batch/grades.py``)."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "set (or --remove) an instructor's grade for a student's stage, with the reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student", metavar="STUDENT", help="the student (their folder's name)")
    parser.add_argument("stage", metavar="STAGE", help="the stage overridden")
    parser.add_argument("points", type=float, nargs="?", metavar="POINTS",
                        help="the stage's points from now on, whatever the checks, the late penalty or a regrade say")
    parser.add_argument("--reason", default="", help="why (kept in the gradebook and shown in the exports)")
    parser.add_argument("--remove", action="store_true", help="remove the override: the computed grade counts again")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="the --out folder of grade-batch")


def run(args: argparse.Namespace, course=None) -> int:
    from ..batch.gradebook import GRADED, now, open_gradebook
    from ..batch.grades import Override
    from ..batch.run import CSV_NAME, push_to_nbgrader
    from ..errors import UsageError
    from ..reports.text import points

    with open_gradebook(args.out) as book:
        stages = book.meta("stages", [])
        if args.stage not in stages:
            raise UsageError(f"{args.stage} is not graded in {args.out} (its stages: {', '.join(stages)})")
        if book.statuses().get(args.student) != GRADED:
            raise UsageError(f"{args.student} has no grade in {args.out}")
        if args.remove:
            previous = book.remove_override(args.student, args.stage)
            said = (f"removed the override of {args.student}'s {args.stage} ({points(previous.points)}: "
                    f"{previous.reason})") if previous else f"{args.student}'s {args.stage} had no override"
        else:
            if args.points is None or not args.reason.strip():
                raise UsageError("give the points and --reason (or --remove)")
            if args.points < 0:
                raise UsageError(f"points cannot be negative ({points(args.points)})")
            previous = book.set_override(args.student, Override(args.stage, args.points, args.reason.strip(), now()))
            said = f"{args.student}'s {args.stage} is now {points(args.points)} points: {args.reason.strip()}"
            if previous:
                said += f" (replacing {points(previous.points)}: {previous.reason})"
        where = push_to_nbgrader(book, args.student)
        book.write_csv(args.out / CSV_NAME, stages)
    print(f"mlpkit override: {said}")
    print(f"  grades: {args.out / CSV_NAME}" + (f"; nbgrader: {where}" if where else ""))
    return 0
