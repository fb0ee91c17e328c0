"""``mlpkit grade``: its arguments and what it runs (see ``engine.py``)."""
from __future__ import annotations

import json
from pathlib import Path

from .notebooks import STAGES


def add_arguments(parser) -> None:
    parser.add_argument("submission", type=Path,
                        help="folder holding the student's notebooks (any layout), or one notebook")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--json", type=Path, metavar="results.json", help="write Gradescope's results.json here")
    parser.add_argument("--junit", type=Path, metavar="report.xml", help="write a JUnit XML report here")
    parser.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: random)")
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="folder of the instructor notebooks (default: the kit's solutions/)")


def run(args) -> int:
    from . import report
    from .cli import UserError
    from .engine import GradingError, grade_submission

    try:
        result = grade_submission(args.submission, args.stages, args.seed, source=args.source)
    except GradingError as error:
        raise UserError(str(error)) from None
    print(report.table(result))
    try:
        if args.json:
            args.json.write_text(json.dumps(report.gradescope(result), indent=2) + "\n")
        if args.junit:
            args.junit.write_text(report.junit(result))
    except OSError as error:
        raise UserError(f"cannot write the report: {error}") from None
    return 0
