"""``mlpkit``: the kit's command line.  Each subcommand is one entry of
``COMMANDS``: a function that adds its arguments and the one that runs it."""
from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """A mistake of the caller's, reported as one line without a traceback."""


def _moons_arguments(parser):
    parser.add_argument("--no-experiments", action="store_true",
                        help="skip the Part 6 architecture and learning-rate tables")


def _moons(args) -> int:
    from reference import experiments

    data = experiments.moons_data()
    run = experiments.moons_run(data)
    architectures = [] if args.no_experiments else experiments.architecture_runs(data)
    rates = [] if args.no_experiments else experiments.learning_rate_runs(data)
    print(experiments.format_moons_report(data, run, architectures, rates))
    return 0


def _release_arguments(parser):
    from . import release

    release.add_arguments(parser)


def _release(args) -> int:
    from . import release

    return release.run(args)


def _grade_arguments(parser):
    from . import grade

    grade.add_arguments(parser)


def _grade(args) -> int:
    from . import grade

    return grade.run(args)


def _grade_batch_arguments(parser):
    from . import batch

    batch.add_arguments(parser)


def _grade_batch(args) -> int:
    from . import batch

    return batch.run(args)


def _gradescope_arguments(parser):
    from . import gradescope

    gradescope.add_arguments(parser)


def _gradescope(args) -> int:
    from . import gradescope

    return gradescope.run(args)


COMMANDS = {
    "moons": ("train the tutorial's moons model with the reference and print its results",
              _moons_arguments, _moons),
    "release": ("write the student release: nbgrader for every stage, then the students' test kit",
                _release_arguments, _release),
    "grade": ("grade a student's notebooks in a sandbox: a table, and optionally results.json or JUnit XML",
              _grade_arguments, _grade),
    "grade-batch": ("grade a class in parallel, resumably: results, feedback pages, gradebook.sqlite and grades.csv",
                    _grade_batch_arguments, _grade_batch),
    "gradescope": ("write a Gradescope autograder zip (setup.sh, run_autograder, the kit and its hidden checks)",
                   _gradescope_arguments, _gradescope),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlpkit", description="MLP course kit: reference, release and grading.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(command)
        command.set_defaults(run=run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"mlpkit: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Run the package's copy of this module, so that the UserError raised by
    # subcommands (which import autograder.cli) is the one caught above.
    from autograder.cli import main as package_main
    sys.exit(package_main())
