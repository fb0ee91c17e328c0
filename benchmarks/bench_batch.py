"""Class grading speed: ``mlpkit grade-batch`` against ``nbgrader autograde``.

Builds a synthetic class from the solutions (``tests/support/synthetic_class.py``:
each student hands in each of the six stages as the solution, the solution
with a random mistake, the release stub, or nothing), then grades the whole
class with both tools, each as the command an instructor types:

* ``mlpkit grade-batch ROOT --out DIR`` on all cores (feedback pages
  included);
* ``nbgrader autograde "*"`` in a course where the six stages were
  generated, the submissions copied to ``submitted/<student>/<stage>/``.

With ``--repeats R`` both tools run R rounds, alternating, so that load on
the shared machine hits both alike.  Prints each tool's wall time and
students per minute per round, the medians, and their ratio
(target: grade-batch with feedback pages at least 20x nbgrader's students
per minute on the same machine), with the load average seen.

``--without-feedback`` also times ``grade-batch --no-feedback`` (its own
ratio).  ``--hanging`` then grades the class once more with one more
student, whose ``MLP.forward`` loops forever, and prints what that student
cost (the policy: at most one time limit per stage; the feedback pages use
the curves recorded while grading).  The ratios are of the class without
that student: one student who hangs is a fixed cost of a run, not a rate.

    python benchmarks/bench_batch.py [--students 50] [--jobs N] [--nbgrader-students K]
                                     [--repeats R] [--without-feedback] [--hanging]

``--nbgrader-students K`` times nbgrader on the first K students only (its
rate is per student, and a full class takes it about half an hour); the
default grades the whole class with both.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.batch.planning import default_jobs  # noqa: E402
from autograder.batch.run import GRADEBOOK_NAME  # noqa: E402
from autograder.course import STAGES  # noqa: E402
from autograder.notebooks import find_submission  # noqa: E402
from tests.support.synthetic_class import make_class  # noqa: E402


def time_grade_batch(root: Path, out: Path, jobs: int, seed: int, *extra) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out),
                             "--jobs", str(jobs), "--seed", str(seed), "--no-progress", *extra],
                            capture_output=True, text=True, timeout=7200)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"grade-batch failed:\n{result.stderr[-3000:]}")
    print(result.stdout.strip().splitlines()[0])   # the summary line (not the missing notebooks of each student)
    return elapsed


def nbgrader_course(course: Path, root: Path, students: list) -> None:
    """A course with the six stages generated into its gradebook and the
    students' notebooks in nbgrader's submitted/ layout."""
    from autograder import release

    course.mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for stage in STAGES:
        shutil.copytree(ROOT / "solutions" / stage, course / "solutions" / stage)
    release.make_release(course)
    for student in students:
        for stage in STAGES:
            notebook = find_submission(root / student, stage)
            if notebook is not None:
                folder = course / "submitted" / student / stage
                folder.mkdir(parents=True)
                shutil.copyfile(notebook, folder / f"{stage}.ipynb")


def time_nbgrader(course: Path) -> float:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    started = time.perf_counter()
    result = subprocess.run(["nbgrader", "autograde", "*", "--force"], cwd=course, capture_output=True, text=True,
                            timeout=4 * 3600, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"nbgrader autograde failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed


def nbgrader_students(course: Path) -> int:
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute("SELECT COUNT(DISTINCT student_id) FROM submitted_assignment").fetchone()[0]


def add_hanging_student(folder: Path) -> None:
    """A student who hands in the six solutions, with an ``MLP.forward``
    that loops forever."""
    from tests.support.hostile import builders

    for stage in STAGES:
        notebook = builders.solution(stage)
        if stage == "04_mlp_class":
            notebook = builders.edit_answer(notebook, "mlp_class", 'self.cache = {"A0": X}',
                                            'while True:\n            pass\n        self.cache = {"A0": X}')
        builders.write(notebook, folder, stage)


def time_hanging(work: Path, root: Path, args, class_seconds: float) -> None:
    """Grade the class again with one more student, whose ``MLP.forward``
    never returns, and print what that student cost: their own time in
    the gradebook and the run's wall time beyond the class's median."""
    from autograder.sandbox import Limits

    with_hanging = work / "submitted-hanging"
    shutil.copytree(root, with_hanging)
    add_hanging_student(with_hanging / "zz-hanging")
    out = work / "graded-hanging"
    run_seconds = time_grade_batch(with_hanging, out, args.jobs, args.seed)
    with sqlite3.connect(out / GRADEBOOK_NAME) as db:
        own = db.execute("SELECT seconds FROM students WHERE student = 'zz-hanging'").fetchone()[0]
    limits = Limits()
    print(f"hanging student: graded in {own:.1f} s of one process (time limits: {limits.call_seconds:g} s a call, "
          f"{limits.check_seconds:g} s a check); the run took {run_seconds:.1f} s, "
          f"{run_seconds - class_seconds:+.1f} s beyond the class's median")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="grade-batch processes (default: all cores)")
    parser.add_argument("--nbgrader-students", type=int, default=None, metavar="K",
                        help="time nbgrader on the first K students only (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic class and of the hidden checks")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build everything in DIR and keep it")
    parser.add_argument("--without-feedback", action="store_true", help="also time grade-batch --no-feedback")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds of both tools, alternating; the ratio is of the median rates")
    parser.add_argument("--hanging", action="store_true",
                        help="add a student whose MLP.forward never returns, and say what they cost")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="mlpkit-bench-batch-"))
    try:
        root = work / "submitted"
        manifest = make_class(root, args.students, seed=args.seed)
        kinds = [kind.split(":")[0] if ":" in kind else kind for stages in manifest.values() for kind in stages.values()]
        print(f"synthetic class: {args.students} students x {len(STAGES)} stages in {root} "
              f"({kinds.count('solution')} solutions, {kinds.count('stub')} stubs, {kinds.count('missing')} missing, "
              f"{len(kinds) - kinds.count('solution') - kinds.count('stub') - kinds.count('missing')} with a mistake)")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

        subset = sorted(manifest)[: args.nbgrader_students or args.students]
        course = work / "nbgrader-course"
        nbgrader_course(course, root, subset)
        rates = {"feedback": [], "plain": [], "nbgrader": []}
        seconds = {"feedback": []}
        for round_ in range(args.repeats):
            out = work / f"graded-{round_}"
            batch_seconds = time_grade_batch(root, out, args.jobs, args.seed)
            with sqlite3.connect(out / GRADEBOOK_NAME) as db:
                graded = db.execute("SELECT COUNT(*) FROM students").fetchone()[0]
            rates["feedback"].append(60 * graded / batch_seconds)
            seconds["feedback"].append(batch_seconds)
            print(f"round {round_ + 1}: grade-batch ({args.jobs} processes, feedback pages): {graded} students in "
                  f"{batch_seconds:.1f} s = {rates['feedback'][-1]:.1f} students/min (load {os.getloadavg()[0]:.2f})")
            if args.without_feedback:
                plain_seconds = time_grade_batch(root, work / f"graded-plain-{round_}", args.jobs, args.seed,
                                                 "--no-feedback")
                rates["plain"].append(60 * graded / plain_seconds)
                print(f"round {round_ + 1}: grade-batch ({args.jobs} processes, --no-feedback): {graded} students in "
                      f"{plain_seconds:.1f} s = {rates['plain'][-1]:.1f} students/min (load {os.getloadavg()[0]:.2f})")
            nbgrader_seconds = time_nbgrader(course)
            autograded = nbgrader_students(course)
            rates["nbgrader"].append(60 * autograded / nbgrader_seconds)
            print(f"round {round_ + 1}: nbgrader autograde: {autograded} students in {nbgrader_seconds:.1f} s = "
                  f"{rates['nbgrader'][-1]:.2f} students/min (load {os.getloadavg()[0]:.2f})")
        median = {name: statistics.median(values) for name, values in rates.items() if values}
        print(f"medians of {args.repeats} rounds: grade-batch {median['feedback']:.1f}, "
              + (f"--no-feedback {median['plain']:.1f}, " if "plain" in median else "")
              + f"nbgrader {median['nbgrader']:.2f} students/min; load average at the end {os.getloadavg()[0]:.2f}")
        print(f"ratio (grade-batch with feedback pages / nbgrader students per minute): "
              f"{median['feedback'] / median['nbgrader']:.1f}x (target: at least 20x)")
        if "plain" in median:
            print(f"ratio (grade-batch --no-feedback / nbgrader students per minute): "
                  f"{median['plain'] / median['nbgrader']:.1f}x")
        if args.hanging:
            time_hanging(work, root, args, statistics.median(seconds["feedback"]))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
