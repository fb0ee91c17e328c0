"""What a rerun of ``mlpkit grade-batch`` costs, against the first run.

A synthetic class (``tests/support/synthetic_class.py``) in a course whose
six stages are recorded in nbgrader's gradebook.  Four runs of the command
an instructor types, ``grade-batch submitted --out graded --nbgrader
--no-feedback``:

1. the first run: every student graded, every grade written into
   nbgrader's gradebook;
2. the same command again, nothing changed: the digests of every
   student's notebooks and of the instructor notebooks, the scores given in
   formgrader read back, nbgrader kept in step;
3. one student hands in again: that student regraded, nbgrader in step;
4. the first run again without ``--nbgrader`` (a new ``--out``), for the
   cost of keeping nbgrader in step.

Prints each run's wall time and its ratio to the first.

    python benchmarks/bench_regrade.py [--students 50] [--jobs N]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.batch.planning import default_jobs  # noqa: E402
from autograder.course import STAGES  # noqa: E402
from tests.support.synthetic_class import copy_course, hand_in, make_class  # noqa: E402


def grade_batch(course: Path, *options: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", "submitted", "--seed", "11",
                             "--no-progress", "--no-feedback", *options], cwd=course, capture_output=True,
                            text=True, timeout=7200)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"grade-batch failed:\n{result.stderr[-3000:]}")
    return elapsed, result.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-regrade-") as folder:
        course = copy_course(Path(folder) / "course", STAGES)
        subprocess.run([sys.executable, "-m", "autograder", "release"], cwd=course, check=True,
                       capture_output=True, timeout=600)
        make_class(course / "submitted", args.students, seed=7)
        jobs = ("--jobs", str(args.jobs))
        runs = {"first run, --nbgrader": grade_batch(course, "--out", "graded", "--nbgrader", *jobs),
                "again, nothing changed": grade_batch(course, "--out", "graded", *jobs)}
        student = sorted(path.name for path in (course / "submitted").iterdir())[0]
        shutil.rmtree(course / "submitted" / student)
        for stage in STAGES:
            hand_in(course / "submitted", student, stage, "solution")
        runs["again, one student handed in again"] = grade_batch(course, "--out", "graded", *jobs)
        runs["first run, without --nbgrader"] = grade_batch(course, "--out", "graded-alone", "--no-nbgrader", *jobs)
    first = runs["first run, --nbgrader"][0]
    print(f"{args.students} students x {len(STAGES)} stages, {args.jobs} processes")
    for name, (seconds, summary) in runs.items():
        print(f"  {name:<38} {seconds:7.1f} s  {seconds / first:5.2f} of the first run   | {summary}")


if __name__ == "__main__":
    main()
