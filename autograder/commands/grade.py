"""``mlpkit grade``: grade one submission (see ``autograder/engine.py``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "grade a student's notebooks in a sandbox: a table, and optionally results.json or JUnit XML"
USES_COURSE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..course import STAGES

    parser.add_argument("submission", type=Path,
                        help="folder holding the student's notebooks (any layout), or one notebook")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--json", type=Path, metavar="results.json", help="write Gradescope's results.json here")
    parser.add_argument("--junit", type=Path, metavar="report.xml", help="write a JUnit XML report here")
    parser.add_argument("--seed", type=int,
                        help="seed of the hidden checks' random inputs (default: fixed by the student's folder "
                             "name, the same as grade-batch uses, so a regrade gives the same score)")


def run(args: argparse.Namespace, course) -> int:
    from ..course import hidden_paths
    from ..sandbox import Limits, Sandbox

    # The sandbox starts first: its process imports NumPy and Matplotlib while this one imports the engine.
    sandbox = Sandbox(Limits(), hide=hidden_paths(course.source), wait=False)
    try:
        from ..engine import grade_submission
        from ..errors import UserError
        from ..reports.junit import junit
        from ..reports.results_json import results_json
        from ..reports.table import table
    except BaseException:
        sandbox.close()
        raise

    report = grade_submission(args.submission, args.stages, args.seed, source=course.source, sandbox=sandbox)
    print(table(report))
    try:
        if args.json:
            args.json.write_text(json.dumps(results_json(report), indent=2) + "\n")
        if args.junit:
            args.junit.write_text(junit(report))
    except OSError as error:
        raise UserError(f"cannot write the report: {error}") from None
    return 0
