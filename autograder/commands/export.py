"""``mlpkit export``: the final grades of a gradebook as a CSV file that
Canvas or Moodle imports (see ``autograder/batch/lms.py``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write the final grades as a CSV file for Canvas or Moodle, students mapped by a roster"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..batch.lms import FORMATS

    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="the --out folder of grade-batch")
    parser.add_argument("--lms", choices=sorted(FORMATS), required=True, help="the LMS that imports the file")
    parser.add_argument("--roster", type=Path, required=True, metavar="roster.csv",
                        help="CSV file: a column 'student' (folder names) and the LMS's ids (see the docs)")
    parser.add_argument("--to", type=Path, required=True, metavar="FILE.csv", help="the file to write")


def run(args: argparse.Namespace, course=None) -> int:
    from ..batch import lms
    from ..batch.gradebook import open_gradebook
    from ..errors import UserError
    from ..files import write_atomic

    with open_gradebook(args.out) as book:
        stages = book.meta("stages", [])
        rows, maxima, left_out, notes = lms.kit_rows(book.grades(stages), stages)
    result = lms.export(args.lms, rows, stages, maxima, args.roster)
    left_out += result.left_out
    try:
        write_atomic(args.to, result.text)
    except OSError as error:
        raise UserError(f"cannot write {args.to}: {error}") from None
    print(f"mlpkit export: {result.written} students to {args.to} ({args.lms})")
    for line in left_out + notes + result.notes:
        print(f"  {line}", file=sys.stderr)
    return 1 if left_out else 0
