"""Dask throughput: ``mlpkit grade-batch --scheduler`` with one worker and
with two, side by side in one run, and their ratio.

Starts a real ``dask scheduler`` on 127.0.0.1 and ``dask worker``
processes (``--nthreads 1``, as docs/batch-grading.md says to run them;
``tests/support/dask_cluster.py``), builds a synthetic class
(``tests/support/synthetic_class.py``) and grades it into a fresh output
folder with 1 worker, then 2, alternating for ``--repeats`` rounds so that
load on the shared machine hits both alike.  Feedback pages included.
Prints each run's students per minute, the medians and the ratio
(2 workers / 1 worker; at most 2 on two cores), with the load average.

    python benchmarks/bench_dask.py [--students 24] [--repeats 3]
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

from tests.support.dask_cluster import DaskCluster  # noqa: E402
from tests.support.synthetic_class import make_class  # noqa: E402


def grade(root: Path, out: Path, address: str, seed: int) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out),
                             "--scheduler", address, "--seed", str(seed), "--no-progress"],
                            capture_output=True, text=True, timeout=7200, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"grade-batch failed:\n{result.stderr[-3000:]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mlpkit-bench-dask-"))
    try:
        root = work / "submitted"
        make_class(root, args.students, seed=args.seed)
        warm = work / "warm"
        make_class(warm, 2, seed=args.seed + 1)
        print(f"synthetic class: {args.students} students x 6 stages; machine: {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.2f}")
        rates = {1: [], 2: []}
        with DaskCluster(work / "cluster") as cluster:
            cluster.start(1)
            for round_ in range(args.repeats):
                for workers in (1, 2):
                    if cluster.worker_count() != workers:
                        if workers == 2:
                            cluster.add_worker("w2")
                        else:
                            cluster.kill_worker("w2")
                        deadline = time.monotonic() + 60
                        while cluster.worker_count() != workers and time.monotonic() < deadline:
                            time.sleep(0.2)
                    # Untimed: a new worker starts its sandbox on its first student.
                    grade(warm, work / f"warm-{round_}-{workers}", cluster.address, args.seed)
                    seconds = grade(root, work / f"graded-{round_}-{workers}", cluster.address, args.seed)
                    rate = 60 * args.students / seconds
                    rates[workers].append(rate)
                    print(f"  round {round_ + 1}: {workers} worker{'s' if workers > 1 else ''}: "
                          f"{seconds:6.1f} s = {rate:6.1f} students/min (load {os.getloadavg()[0]:.2f})")
        median = {workers: statistics.median(values) for workers, values in rates.items()}
        print(f"median of {args.repeats}: 1 worker {median[1]:.1f} students/min, 2 workers {median[2]:.1f} "
              f"students/min")
        print(f"ratio (2 workers / 1 worker): {median[2] / median[1]:.2f}x (load average at the end "
              f"{os.getloadavg()[0]:.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
