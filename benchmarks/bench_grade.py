"""Grading speed: ``mlpkit grade`` against ``nbgrader autograde``, one run.

Grades one complete six-stage submission (the solution notebooks, as a
student would hand them in) with both tools, each as the command a user
types, alternating them so that load on the shared machine hits both
alike.  nbgrader needs one ``autograde`` command per assignment, so its
time is the sum of six commands.  Prints each tool's median time, their
ratio (target: mlpkit at least 20x faster), both scores and the load
average seen (the machine is shared: run it when ``uptime`` is low).

    python benchmarks/bench_grade.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import STAGES  # noqa: E402

CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
"""


def nbgrader(course: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                          capture_output=True, text=True, timeout=1800)


def prepare(course: Path) -> Path:
    """A course with the six assignments released and one submission."""
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)))
    for stage in STAGES:
        shutil.copytree(ROOT / "solutions" / stage, course / "source" / stage)
        result = nbgrader(course, "generate_assignment", stage)
        if result.returncode:
            raise SystemExit(f"nbgrader generate_assignment {stage} failed:\n{result.stderr[-2000:]}")
        submitted = course / "submitted" / "student1" / stage
        submitted.mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / stage / f"{stage}.ipynb", submitted)
    return course / "submitted" / "student1"


def time_nbgrader(course: Path) -> float:
    start = time.perf_counter()
    for stage in STAGES:
        result = nbgrader(course, "autograde", stage)
        if result.returncode:
            raise SystemExit(f"nbgrader autograde {stage} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def nbgrader_score(course: Path) -> tuple:
    code = ("from nbgrader.api import Gradebook\n"
            f"with Gradebook('sqlite:///{course}/gradebook.db') as gb:\n"
            "    s = gb.find_student('student1')\n"
            "    subs = [gb.find_submission(a.name, 'student1') for a in gb.assignments]\n"
            "    print(sum(x.score for x in subs), sum(x.max_score for x in subs))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def time_mlpkit(submission: Path, results: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--json",
                             str(results), "--seed", "1"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"mlpkit grade failed:\n{result.stderr[-2000:]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as folder:
        course = Path(folder)
        submission = prepare(course)
        results = course / "results.json"
        times = {"mlpkit grade": [], "nbgrader autograde": []}
        loads = [os.getloadavg()[0]]
        time_mlpkit(submission, results)   # untimed: the first run fills the operating system's file cache
        for _ in range(args.repeats):
            times["mlpkit grade"].append(time_mlpkit(submission, results))
            times["nbgrader autograde"].append(time_nbgrader(course))
            loads.append(os.getloadavg()[0])
        ours = json.loads(results.read_text())
        theirs = nbgrader_score(course)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"one six-stage submission (the solution notebooks), median of {args.repeats} alternating runs; "
          f"load average {min(loads):.2f}-{max(loads):.2f}")
    print(f"  mlpkit grade runs: {', '.join(f'{value:.2f}' for value in times['mlpkit grade'])} s")
    print(f"  mlpkit grade        {median['mlpkit grade']:7.2f} s   score "
          f"{ours['score']:g}/{ours['extra_data']['max_score']:g} ({len(ours['tests'])} checks)")
    print(f"  nbgrader autograde  {median['nbgrader autograde']:7.2f} s   score {theirs[0]:g}/{theirs[1]:g} "
          f"(6 commands)")
    print(f"  ratio nbgrader / mlpkit: {median['nbgrader autograde'] / median['mlpkit grade']:.1f}x "
          "(target: at least 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
