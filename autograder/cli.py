"""``mlpkit``: the kit's command line, parsing and dispatch only.

Each verb is one module of ``autograder/commands/`` with ``HELP`` (one
line), ``add_arguments(parser)`` and ``run(args, course) -> int``; a verb
whose module sets ``USES_COURSE`` gets ``--course DIR`` and the ``Course``
it names (or the one holding the current folder), announced in one line on
standard error.  Commands import what they need when they run, so
``mlpkit --help`` stays fast.

Errors meant for the user (``autograder.errors.UserError``) are printed as
one line, exit status 2; anything else is a bug of the kit and keeps its
traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from .errors import UserError

VERBS: dict[str, str] = {
    "moons": "moons",
    "release": "release",
    "grade": "grade",
    "grade-batch": "grade_batch",
    "override": "override",
    "history": "history",
    "export": "export",
    "gradescope": "gradescope",
    "gradescope-run": "gradescope_run",
    "classroom": "classroom",
}


def command(verb: str) -> ModuleType:
    return importlib.import_module(f"autograder.commands.{VERBS[verb]}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlpkit", description="MLP course kit: reference, release and grading.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    for verb in VERBS:
        module = command(verb)
        verb_parser = sub.add_parser(verb, help=module.HELP, description=module.HELP)
        module.add_arguments(verb_parser)
        if getattr(module, "USES_COURSE", False):
            verb_parser.add_argument("--course", type=Path, metavar="DIR",
                                     help="the course folder (holding nbgrader_config.py); default: the one "
                                          "holding the current folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = command(args.verb)
    try:
        course = None
        if getattr(module, "USES_COURSE", False):
            from .course import find_course

            course = find_course(args.course)
            print(f"mlpkit: {course.describe()}", file=sys.stderr)
        return module.run(args, course)
    except UserError as error:
        print(f"mlpkit: error: {error}", file=sys.stderr)
        return 2
