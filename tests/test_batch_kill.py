"""``mlpkit grade-batch`` survives ``kill -9``: the real command, the real
engine, a small synthetic class.

One run grades the class uninterrupted.  Another is started on the same
class and SIGKILLed (its whole process group: the command and its worker
processes) once its gradebook holds a few students, then run again.  The
resumed run must grade only the missing students and end with the same
gradebook, the same grades.csv and the same results as the uninterrupted one.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from autograder.batch.run import CSV_NAME, GRADEBOOK_NAME
from autograder.batch.gradebook import Gradebook

from .support.gradebook_rows import row_count, wait_for_rows
from .support.synthetic_class import make_class

STUDENTS = 8
KILL_AFTER = 3
STAGES = ["01_activations", "04_mlp_class"]


def command(root, out):
    args = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--jobs", "2",
            "--seed", "2024"]
    for stage in STAGES:
        args += ["--stage", stage]
    return args


def results_without_timings(out, student) -> dict:
    results = json.loads((out / student / "results.json").read_text())
    results.pop("execution_time", None)
    return results


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill") / "submitted"
    make_class(root, STUDENTS, seed=5, stages=STAGES)
    return root


def test_a_killed_batch_resumes_to_the_same_gradebook(classroom, tmp_path):
    complete = tmp_path / "complete"
    finished = subprocess.run(command(classroom, complete), capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]

    resumed = tmp_path / "resumed"
    process = subprocess.Popen(command(classroom, resumed), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    wait_for_rows(resumed / GRADEBOOK_NAME, KILL_AFTER, process, seconds=300)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed_at = row_count(resumed / GRADEBOOK_NAME)
    assert KILL_AFTER <= killed_at < STUDENTS, "the kill came after the batch had finished"

    again = subprocess.run(command(classroom, resumed), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (f"{STUDENTS} students, {killed_at} graded before, {STUDENTS - killed_at} graded now, 0 errors"
            in again.stdout)

    with Gradebook(complete / GRADEBOOK_NAME) as a, Gradebook(resumed / GRADEBOOK_NAME) as b:
        expected, got = a.snapshot(), b.snapshot()
    assert len(got["students"]) == STUDENTS
    for table in expected:
        differ = [(a, b) for a, b in zip(expected[table], got[table]) if a != b]
        assert got[table] == expected[table], f"{table} differ (uninterrupted, resumed): {differ[:5]}"
    assert (resumed / CSV_NAME).read_bytes() == (complete / CSV_NAME).read_bytes()
    for student, *_ in expected["students"]:
        assert results_without_timings(resumed, student) == results_without_timings(complete, student)
        for stage in STAGES:
            assert (resumed / student / "feedback" / f"{stage}.html").stat().st_size > 0
    assert not list(resumed.rglob(".*.tmp-*")), "a temporary file was left behind"
    scores = [row[2] for row in expected["students"]]
    assert len(set(scores)) > 1, "the synthetic class should not score alike"
