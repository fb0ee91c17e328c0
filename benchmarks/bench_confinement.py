"""What confinement costs: grading with and without it, one run, side by side.

Grades one complete six-stage submission (the solution notebooks) with the
engine in-process, confined (the default: namespaces and the minimal root;
as root, also the user-namespace path the kit takes for other users) and
unconfined (``Limits(namespaces=False)``), alternating the modes so that
load on the shared machine hits them alike.  Each mode keeps one
``Grader`` (one sandbox) for all its rounds, as ``grade-batch`` does.
Prints each mode's median time per submission, the ratio to unconfined
(target: below 1.10), and the median cost of one session (start a runner,
one call, end it), the part confinement adds to.

Where bubblewrap is installed it also times what a bwrap-per-session
design would pay for each session: a new Python importing NumPy and
Matplotlib inside ``bwrap`` (the kit's zygote imports them once and forks).

    python benchmarks/bench_confinement.py [--repeats 7] [--sessions 40]
"""
from __future__ import annotations

import argparse
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
from autograder.engine import Grader  # noqa: E402
from autograder.sandbox import Limits, Remote, confinement_gaps  # noqa: E402

MODES = {"confined": Limits(), "confined, user namespace": Limits(user_namespace=True),
         "unconfined": Limits(namespaces=False)}


def submission(folder: Path) -> Path:
    for stage in STAGES:
        (folder / stage).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / stage / f"{stage}.ipynb", folder / stage)
    return folder


def session_seconds(grader: Grader) -> float:
    start = time.perf_counter()
    session = grader.sandbox.session("bench")
    remote = Remote()
    remote.attach(session)
    remote.load([{"id": "c", "source": "def f(x):\n    return x\n"}], 10)
    remote.function("f")(1.0)
    session.close()
    return time.perf_counter() - start


def bwrap_seconds() -> float | None:
    """One new Python importing NumPy and Matplotlib inside bubblewrap."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    prefix = os.path.realpath(sys.base_prefix)
    site = [p for p in sys.path if p.endswith("-packages")]
    command = [bwrap, "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
               "--symlink", "usr/bin", "/bin", "--ro-bind", prefix, prefix, "--tmpfs", "/tmp", "--proc", "/proc",
               "--dev", "/dev", "--unshare-all", "--die-with-parent", "--setenv", "MPLBACKEND", "Agg",
               sys.executable, "-I", "-S", "-c",
               f"import sys; sys.path += {site!r}; import numpy, matplotlib.pyplot"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True)
    return time.perf_counter() - start if result.returncode == 0 else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="submissions graded per mode")
    parser.add_argument("--sessions", type=int, default=40, help="sessions started per mode")
    args = parser.parse_args(argv)
    if os.getuid() != 0:
        del MODES["confined, user namespace"]    # not root: "confined" is already the user-namespace path
    with tempfile.TemporaryDirectory() as folder:
        work = submission(Path(folder) / "submission")
        graders = {name: Grader(limits) for name, limits in MODES.items()}
        try:
            isolation = {}
            for name, grader in graders.items():
                report = grader.grade(work, seed=1)                 # warm-up, and the score
                assert report.score == report.max_score, (name, report.score, report.max_score)
                isolation[name] = report.stages[0].isolation
            times = {name: [] for name in graders}
            sessions = {name: [] for name in graders}
            for _ in range(args.repeats):
                for name, grader in graders.items():
                    start = time.perf_counter()
                    grader.grade(work, seed=1)
                    times[name].append(time.perf_counter() - start)
            for _ in range(args.sessions):
                for name, grader in graders.items():
                    sessions[name].append(session_seconds(grader))
        finally:
            for grader in graders.values():
                grader.close()
    base = statistics.median(times["unconfined"])
    print(f"one six-stage submission (the solution notebooks, {len(STAGES)} sessions), median of "
          f"{args.repeats} alternating rounds; one session: median of {args.sessions}")
    print(f"  {'mode':<26} {'grading':>9} {'ratio':>7} {'one session':>12}   missing from the confinement")
    for name in graders:
        grading, session = statistics.median(times[name]), statistics.median(sessions[name])
        gaps = ", ".join(confinement_gaps(isolation[name])) or "nothing"
        print(f"  {name:<26} {grading:>8.3f}s {grading / base:>6.3f}x {1000 * session:>10.1f}ms   {gaps}")
    ratio = statistics.median(times["confined"]) / base
    print(f"confined / unconfined: {ratio:.3f} (target: below 1.10)")
    bwrap = [seconds for seconds in (bwrap_seconds() for _ in range(3)) if seconds is not None]
    if bwrap:
        print(f"a session started through bubblewrap instead (a new Python importing NumPy and Matplotlib): "
              f"{1000 * statistics.median(bwrap):.0f}ms, {len(STAGES)} per submission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
