"""``mlpkit grade-batch --scheduler ADDRESS`` on a real Dask cluster: a
``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, started
by the tests (``support/dask_cluster.py``).

* grades identical to a local run: the gradebook, grades.csv, every
  results.json and every feedback page;
* a worker killed (SIGKILL, with its nanny) mid-run loses no student;
* the coordinator killed (``kill -9``) mid-run and run again resumes to the
  same gradebook;
* a student whose grading kills a worker twice is recorded as an error;
* a worker that cannot confine student code refuses work, said in the
  summary; with no other worker the students stay ungraded for a rerun.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the Dask tests need Dask distributed (the dev extra)")

from autograder.batch.cluster import DIED_TWICE  # noqa: E402
from autograder.batch.gradebook import ERROR, GRADED, Gradebook  # noqa: E402
from autograder.batch.run import CSV_NAME, GRADEBOOK_NAME, run_batch  # noqa: E402

from .support.batch_fakes import fake_grade, no_curves  # noqa: E402
from .support.dask_cluster import PROJECT, DaskCluster, free_port  # noqa: E402
from .support.gradebook_rows import row_count, wait_for_rows  # noqa: E402
from .support.hostile import containment  # noqa: E402
from .support.synthetic_class import make_class  # noqa: E402

pytestmark = pytest.mark.slow
STUDENTS = 8
STAGES = ["01_activations", "04_mlp_class", "05_moons"]


def command(root: Path, out: Path, *extra) -> list:
    args = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--seed", "2024",
            "--no-progress", *extra]
    for stage in STAGES:
        args += ["--stage", stage]
    return args


def files(out: Path) -> dict:
    """Every student's files, results.json without its timing."""
    found = {}
    for path in sorted(out.glob("*/results.json")) + sorted(out.glob("*/feedback/*.html")):
        text = path.read_text()
        if path.name == "results.json":
            data = json.loads(text)
            data.pop("execution_time", None)
            text = json.dumps(data, sort_keys=True)
        found[str(path.relative_to(out))] = text
    return found


def assert_same_as(out: Path, expected: Path) -> None:
    with Gradebook(out / GRADEBOOK_NAME) as ours, Gradebook(expected / GRADEBOOK_NAME) as theirs:
        assert ours.snapshot() == theirs.snapshot()
        assert {s: ours.curves(s) is not None for s in ours.statuses()} == \
               {s: theirs.curves(s) is not None for s in theirs.statuses()}
    assert (out / CSV_NAME).read_text() == (expected / CSV_NAME).read_text()
    ours, theirs = files(out), files(expected)
    assert sorted(ours) == sorted(theirs) and len(ours) == STUDENTS * (1 + len(STAGES) + 1)
    assert [name for name in ours if ours[name] != theirs[name]] == []


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask") / "submitted"
    make_class(root, STUDENTS, seed=9, stages=STAGES)
    return root


@pytest.fixture(scope="module")
def local(classroom, tmp_path_factory):
    """The class graded locally: what every Dask run must reproduce."""
    out = tmp_path_factory.mktemp("local") / "graded"
    result = subprocess.run(command(classroom, out, "--jobs", "2"), capture_output=True, text=True, timeout=600,
                            cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture
def cluster(tmp_path):
    with DaskCluster(tmp_path / "cluster") as running:
        yield running.start(2)


def test_grades_on_dask_are_those_of_a_local_run(classroom, local, cluster, tmp_path):
    out = tmp_path / "graded"
    result = subprocess.run(command(classroom, out, "--scheduler", cluster.address), capture_output=True, text=True,
                            timeout=600, cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"on 2 Dask workers at {cluster.address}" in result.stdout
    assert_same_as(out, local)
    with Gradebook(out / GRADEBOOK_NAME) as book:
        assert set(book.statuses().values()) == {GRADED}
    # The same output folder, graded again locally: nothing to do, everything already there.
    again = subprocess.run(command(classroom, out, "--jobs", "2"), capture_output=True, text=True, timeout=600,
                           cwd=PROJECT)
    assert f"{STUDENTS} graded before, 0 graded now" in again.stdout


def test_a_worker_lost_mid_run_loses_no_student(classroom, local, cluster, tmp_path):
    out = tmp_path / "graded"
    process = subprocess.Popen(command(classroom, out, "--scheduler", cluster.address), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=PROJECT)
    wait_for_rows(out / GRADEBOOK_NAME, 2, process, seconds=300)
    cluster.kill_worker("w1")
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert row_count(out / GRADEBOOK_NAME) == STUDENTS, "the run ended before the kill"
    assert_same_as(out, local)
    assert cluster.worker_count() == 1


def test_a_killed_coordinator_resumes(classroom, local, cluster, tmp_path):
    out = tmp_path / "graded"
    process = subprocess.Popen(command(classroom, out, "--scheduler", cluster.address), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=PROJECT, start_new_session=True)
    wait_for_rows(out / GRADEBOOK_NAME, 3, process, seconds=300)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    killed_at = row_count(out / GRADEBOOK_NAME)
    assert 3 <= killed_at < STUDENTS, "the kill came after the batch had finished"
    again = subprocess.run(command(classroom, out, "--scheduler", cluster.address), capture_output=True, text=True,
                           timeout=600, cwd=PROJECT)
    assert again.returncode == 0, again.stderr[-3000:]
    graded_now = int(again.stdout.split(" graded now")[0].rsplit(" ", 1)[1])
    assert graded_now == STUDENTS - killed_at
    assert_same_as(out, local)


def test_a_student_whose_grading_kills_two_workers_is_an_error(cluster, tmp_path):
    root = tmp_path / "class"
    for name in ("ann", "crash", "zoe"):
        (root / name).mkdir(parents=True)
        (root / name / "01_activations.ipynb").write_text("{}")
    summary = run_batch(root, tmp_path / "graded", PROJECT / "solutions", stages=["01_activations"], seed=3,
                        feedback=False, progress=False, grade=fake_grade, curves=no_curves,
                        scheduler=cluster.address)
    with Gradebook(tmp_path / "graded" / GRADEBOOK_NAME) as book:
        assert book.statuses() == {"ann": GRADED, "crash": ERROR, "zoe": GRADED}
        assert book.errors()["crash"] == DIED_TWICE
    assert summary.errors == {"crash": DIED_TWICE}
    cluster.wait_for(2)   # the nannies restarted both workers


@pytest.mark.skipif(bool(containment.available()), reason=containment.available() or "-")
def test_a_worker_that_cannot_confine_student_code_refuses_work(classroom, tmp_path):
    with DaskCluster(tmp_path / "cluster") as cluster:
        cluster.scheduler = cluster._spawn("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler",
                                                         "--host", "127.0.0.1", "--port", str(cluster.port),
                                                         "--no-dashboard"])
        cluster.add_worker("jailed", wrap=containment.refusing)
        cluster.wait_for(1)
        out = tmp_path / "graded"
        refused = subprocess.run(command(classroom, out, "--scheduler", cluster.address), capture_output=True,
                                 text=True, timeout=600, cwd=PROJECT)
        assert refused.returncode == 1, refused.stderr[-3000:]
        lines = refused.stdout.splitlines()
        said = [line for line in lines if line.startswith("  refused: worker tcp://127.0.0.1:")]
        assert len(said) == 1 and "student code cannot be confined on this worker" in said[0], refused.stdout
        assert "unshare: Operation not permitted" in said[0]
        assert any(line.startswith(f"  not graded: {STUDENTS} students") for line in lines), refused.stdout
        assert row_count(out / GRADEBOOK_NAME) == 0

        cluster.add_worker("free")
        cluster.wait_for(2)
        graded = subprocess.run(command(classroom, out, "--scheduler", cluster.address), capture_output=True,
                                text=True, timeout=600, cwd=PROJECT)
        assert graded.returncode == 0, graded.stderr[-3000:]
        assert f"0 graded before, {STUDENTS} graded now" in graded.stdout
        assert any(line.startswith("  refused: worker") for line in graded.stdout.splitlines())
        with Gradebook(out / GRADEBOOK_NAME) as book:
            assert set(book.statuses().values()) == {GRADED}


def test_a_scheduler_that_does_not_answer_is_one_line(classroom, tmp_path):
    out, address = tmp_path / "graded", f"tcp://127.0.0.1:{free_port()}"
    result = subprocess.run(command(classroom, out, "--scheduler", address), capture_output=True, text=True,
                            timeout=300, cwd=PROJECT)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("mlpkit: error:")]
    assert len(errors) == 1 and f"--scheduler {address}: no Dask scheduler answered" in errors[0]
    assert not out.exists()
