"""``mlpkit gradescope``: write a Gradescope autograder zip (see ``autograder/platforms/gradescope.py``)."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write a Gradescope autograder zip (setup.sh, run_autograder, the kit and its hidden checks)"
USES_COURSE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..course import STAGES

    parser.add_argument("out", type=Path, metavar="OUT.zip", help="the autograder zip to write")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable; one Gradescope assignment per stage is usual); "
                             "default: all six")


def run(args: argparse.Namespace, course) -> int:
    from ..errors import BundleError
    from ..platforms.gradescope import build_bundle

    try:
        path, names, stages = build_bundle(args.out, course, args.stages)
    except OSError as error:
        raise BundleError(f"cannot write {args.out}: {error}") from None
    print(f"mlpkit gradescope: wrote {path} ({len(names)} files, stages: {', '.join(stages)})")
    print("  upload it as the assignment's autograder (Configure Autograder > Zip file upload)")
    return 0
